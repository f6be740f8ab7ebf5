"""The staff's upkeep list: which records need a look, from the knowledge, the day and stored facts.

Pure: the facts read from the database (who is linked, what citizens were shown, the last link
check) come in as values. Each item names its record, where it is written (`file:line`) and, in
French, what the staff member is asked to do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from bot.core.freshness import needs_check
from bot.core.knowledge import Knowledge
from bot.core.links import (
    FIELD_NAMES,
    LinkOutcome,
    LinkReport,
    RecordKind,
    link_targets,
    records,
)
from bot.core.matching.calendar import next_session, open_session
from bot.core.models import Counter, Scheme, Session

CLOSING_SOON = dt.timedelta(days=30)  # a call closing within this is listed
KIND_NAMES: dict[RecordKind, str] = {"scheme": "dispositif", "counter": "structure"}
_MODEL_NAMES: dict[RecordKind, str] = {"scheme": "Scheme", "counter": "Counter"}


class Section(StrEnum):
    """One list of the upkeep page, in the order shown."""

    UNVERIFIED = "unverified"
    CALENDAR = "calendar"
    UNLINKED = "unlinked"
    UNMATCHED = "unmatched"
    BROKEN_LINKS = "broken_links"
    REDIRECTED_LINKS = "redirected_links"


TITLES = {
    Section.UNVERIFIED: "Fiches à vérifier",
    Section.CALENDAR: "Calendriers à revoir",
    Section.UNLINKED: "Structures sans conseiller ni groupe Telegram",
    Section.UNMATCHED: "Jamais proposés à un porteur de projet",
    Section.BROKEN_LINKS: "Liens cassés",
    Section.REDIRECTED_LINKS: "Liens redirigés",
}
HINTS = {
    Section.UNVERIFIED: (
        "Jamais vérifiées sur une page officielle, ou pas depuis plus de 12 mois : le bot "
        "présente leurs faits comme « à vérifier »."
    ),
    Section.CALENDAR: (
        "Appels qui ferment dans les 30 jours, ou dont la session annoncée est passée."
    ),
    Section.UNLINKED: ("Personne ne reçoit leurs demandes : elles vont à l'équipe du Département."),
    Section.UNMATCHED: (
        "Aucun porteur de projet ne les a vus dans ses résultats : leur territoire, leurs "
        "publics ou leurs thèmes sont peut-être trop étroits, ou mal saisis."
    ),
    Section.BROKEN_LINKS: "Liens en erreur lors de la dernière vérification.",
    Section.REDIRECTED_LINKS: (
        "Liens qui mènent ailleurs lors de la dernière vérification : mettez l'adresse à jour "
        "si c'est bien la même page."
    ),
}


@dataclass(frozen=True, slots=True)
class Staffing:
    """Which counters someone is linked to: an enabled advisor, a Telegram group."""

    advised: frozenset[str]
    grouped: frozenset[str]


@dataclass(frozen=True, slots=True)
class Matched:
    """The schemes and counters citizens were ever shown; `since`: the first match known."""

    schemes: frozenset[str]
    counters: frozenset[str]
    since: dt.datetime | None  # None: no match with its ids recorded yet (no information)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the database says; None where it was not read."""

    staffing: Staffing | None = None
    matched: Matched | None = None
    links: LinkReport | None = None  # the last finished check


@dataclass(frozen=True, slots=True)
class Item:
    """One record to look at, where it is written, and what to do, in French."""

    section: Section
    kind: RecordKind
    id: str
    name: str
    file: str
    line: int
    text: str
    url: str | None = None  # the link concerned (link sections)
    date: dt.date | None = None  # the date that matters (a closing, a verification)


@dataclass(frozen=True, slots=True)
class Part:
    """One section of the list with its items; `note` when there is nothing to tell yet."""

    section: Section
    title: str
    hint: str
    items: tuple[Item, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Upkeep:
    """The whole upkeep list, as of `today`."""

    today: dt.date
    parts: tuple[Part, ...]

    @property
    def total(self) -> int:
        """How many items, every section together."""
        return sum(len(part.items) for part in self.parts)


def upkeep(knowledge: Knowledge, today: dt.date, facts: Facts) -> Upkeep:
    """The upkeep list of the knowledge as of `today`, given what the database says."""
    builder = _Builder(knowledge)
    parts = [
        builder.part(Section.UNVERIFIED, builder.unverified(today)),
        builder.part(Section.CALENDAR, builder.calendars(today)),
        _unlinked(builder, facts.staffing),
        _unmatched(builder, facts.matched),
        *_links(builder, knowledge, facts.links),
    ]
    return Upkeep(today, tuple(parts))


def day(value: dt.date) -> str:
    """A date as staff read it: 03/12/2026."""
    return value.strftime("%d/%m/%Y")


class _Builder:
    """Makes the items of one knowledge base (its records by kind and id, their places)."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.records = {(kind, r.id): r for kind, r in records(knowledge)}

    def part(self, section: Section, items: Iterable[Item], note: str | None = None) -> Part:
        """A section with its items, schemes first then counters, each by name."""
        ordered = sorted(items, key=lambda i: (i.kind != "scheme", i.name.casefold(), i.id))
        return Part(section, TITLES[section], HINTS[section], tuple(ordered), note)

    def item(
        self,
        section: Section,
        kind: RecordKind,
        record: Scheme | Counter,
        text: str,
        url: str | None = None,
        date: dt.date | None = None,
    ) -> Item:
        """An item about a record, placed where it is written."""
        place = self.knowledge.places.get((_MODEL_NAMES[kind], record.id), (record.id, 1))
        file, line = place
        return Item(section, kind, record.id, record.name, file, line, text, url, date)

    def unverified(self, today: dt.date) -> Iterator[Item]:
        """Records never verified, or not for 12 months."""
        for kind, record in records(self.knowledge):
            if not needs_check(record, today):
                continue
            where = "la page officielle du financeur" if kind == "scheme" else "son site web"
            if record.verified is None:
                text = (
                    f"Fiche jamais vérifiée (compilée le {day(record.compiled)}) : comparez-la "
                    f"à {where}, corrigez ce qui a changé, puis indiquez « Vérifié aujourd'hui »."
                )
                yield self.item(Section.UNVERIFIED, kind, record, text, record.url)
                continue
            verified = record.verified
            text = (
                f"Fiche vérifiée pour la dernière fois le {day(verified.on)}, il y a plus de "
                "12 mois : comparez-la de nouveau à la page vérifiée, corrigez ce qui a changé, "
                "puis indiquez « Vérifié aujourd'hui »."
            )
            yield self.item(Section.UNVERIFIED, kind, record, text, verified.page, verified.on)

    def calendars(self, today: dt.date) -> Iterator[Item]:
        """Calls closing within 30 days, and calls whose announced session has passed."""
        for scheme in self.knowledge.schemes:
            if scheme.calendar.mode != "periodic":
                continue
            session = open_session(scheme, today)
            if session is not None and session.closes is not None:
                if session.closes - today <= CLOSING_SOON:
                    yield self._closing(scheme, session.closes, today)
                continue
            if next_session(scheme, today) is not None:
                continue
            passed = _last_known(scheme, today)
            if passed is not None:
                yield self._passed(scheme, *passed)

    def _closing(self, scheme: Scheme, closes: dt.date, today: dt.date) -> Item:
        days = (closes - today).days
        when = "aujourd'hui" if days == 0 else ("demain" if days == 1 else f"dans {days} jours")
        text = (
            f"L'appel ferme le {day(closes)} ({when}) : vérifiez la date auprès du financeur, "
            "puis ajoutez la session suivante dès qu'elle est annoncée."
        )
        return self.item(Section.CALENDAR, "scheme", scheme, text, scheme.url, closes)

    def _passed(self, scheme: Scheme, date: dt.date, closed: bool) -> Item:
        if closed:
            what = f"La session annoncée s'est terminée le {day(date)}"
        else:
            what = f"La session annoncée a ouvert le {day(date)}, sans date de clôture connue"
        if scheme.calendar.unconfirmed:
            text = (
                f"{what}{' et' if closed else ', et'} aucune édition suivante n'est confirmée : "
                "regardez si le financeur en a annoncé une et mettez le calendrier à jour."
            )
        else:
            text = (
                f"{what} : ajoutez la session suivante (ou la date de clôture), ou indiquez "
                "qu'aucune édition suivante n'est confirmée."
            )
        return self.item(Section.CALENDAR, "scheme", scheme, text, scheme.url, date)


def _last_known(scheme: Scheme, today: dt.date) -> tuple[dt.date, bool] | None:
    """The latest dated announced session, all of them past: (its date, whether it closed)."""
    announced: list[Session] = [*scheme.calendar.sessions]
    if scheme.calendar.next_expected is not None:
        announced.append(scheme.calendar.next_expected)
    dated = [(s.closes, True) if s.closes else (s.opens, False) for s in announced]
    known = [(date, closed) for date, closed in dated if date is not None]
    if not known:
        return None
    date, closed = max(known)
    if closed and date >= today:  # open, with no opening date: `open_session` says so
        return None
    return date, closed


def _unlinked(builder: _Builder, staffing: Staffing | None) -> Part:
    if staffing is None:
        return builder.part(Section.UNLINKED, (), "Non lu : la base de données n'a pas répondu.")
    items = (
        builder.item(
            Section.UNLINKED,
            "counter",
            counter,
            "Aucun conseiller ni groupe Telegram lié : invitez un conseiller de la structure "
            "(page Équipe) ou liez son groupe Telegram (commande « comptoir counters "
            f"link-code {counter.id} »).",
        )
        for counter in builder.knowledge.counters
        if counter.id not in staffing.advised and counter.id not in staffing.grouped
    )
    return builder.part(Section.UNLINKED, items)


def _unmatched(builder: _Builder, matched: Matched | None) -> Part:
    if matched is None or matched.since is None:
        note = (
            "Pas encore d'information : la liste se remplira quand des porteurs de projet "
            "auront reçu des résultats."
        )
        return builder.part(Section.UNMATCHED, (), note)
    since = day(matched.since.date())
    items: list[Item] = []
    for scheme in builder.knowledge.schemes:
        if scheme.id in matched.schemes or scheme.calendar.mode == "closed":
            continue  # a closed scheme is never proposed: nothing to look at
        text = (
            f"Proposé à personne depuis le {since} : vérifiez son territoire, les porteurs, "
            "les étapes et les thèmes saisis, ou s'il a encore sa place dans la base."
        )
        items.append(builder.item(Section.UNMATCHED, "scheme", scheme, text))
    for counter in builder.knowledge.counters:
        if counter.id in matched.counters:
            continue
        text = (
            f"Proposée à personne depuis le {since} : vérifiez sa zone d'accueil, les "
            "porteurs, les étapes et les thèmes saisis."
        )
        items.append(builder.item(Section.UNMATCHED, "counter", counter, text))
    return builder.part(Section.UNMATCHED, items)


def _links(builder: _Builder, knowledge: Knowledge, report: LinkReport | None) -> list[Part]:
    if report is None or report.finished_at is None:
        note = "Aucune vérification des liens terminée pour l'instant."
        return [
            builder.part(Section.BROKEN_LINKS, (), note),
            builder.part(Section.REDIRECTED_LINKS, (), note),
        ]
    current = set(link_targets(knowledge))
    broken: list[Item] = []
    redirected: list[Item] = []
    for result in report.results:
        target = result.target
        record = builder.records.get((target.kind, target.record_id))
        if record is None or target not in current:  # changed since the check
            continue
        field = FIELD_NAMES.get(target.field, target.field)
        if result.outcome == LinkOutcome.BROKEN:
            text = (
                f"Lien cassé ({field}) : {result.reason}. Cherchez la nouvelle adresse sur "
                "le site de l'organisme et corrigez la fiche."
            )
            broken.append(builder.item(Section.BROKEN_LINKS, target.kind, record, text, target.url))
        elif result.outcome == LinkOutcome.REDIRECTED:
            text = (
                f"Le lien ({field}) mène à {result.final_url} : remplacez l'adresse si c'est "
                "bien la même page."
            )
            item = builder.item(Section.REDIRECTED_LINKS, target.kind, record, text, target.url)
            redirected.append(item)
    return [
        builder.part(Section.BROKEN_LINKS, broken),
        builder.part(Section.REDIRECTED_LINKS, redirected),
    ]
