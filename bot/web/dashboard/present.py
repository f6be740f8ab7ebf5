"""What the dashboard's pages read: filters from the query string, labels, dates, in French."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from multidict import MultiMapping

from bot.core.content import Content
from bot.core.leads import Status
from bot.services.clock import FRANCE
from bot.services.ports_advisors import Person
from bot.services.ports_dashboard import LeadLine, LeadQuery

PER_PAGE = 25
MAX_PAGE = 10_000
OPEN = "a_traiter"  # the status filter « à traiter »: new or taken
OPEN_STATUSES = (Status.NOUVEAU.value, Status.PRIS_EN_CHARGE.value)
STAFF_QUEUE = "-"  # the counter filter for the leads no counter has (the staff's)
MAX_SEARCH = 200  # characters of a search kept
STATUS_NAMES = {  # the status filter's choices (the cards' words name who and where)
    Status.NOUVEAU: "Nouveau",
    Status.PRIS_EN_CHARGE: "Pris en charge",
    Status.ACCOMPAGNEMENT_PROPOSE: "Accompagnement proposé",
    Status.REORIENTE: "Réorienté",
    Status.PAS_POUR_NOUS: "Pas pour nous",
    Status.INJOIGNABLE: "Injoignable",
}


@dataclass(frozen=True, slots=True)
class Filters:
    """The list's filters as the form shows them, and the query they make."""

    status: str = ""
    counter: str = ""
    department: str = ""
    theme: str = ""
    since: str = ""  # AAAA-MM-JJ, as <input type="date"> sends it
    until: str = ""
    text: str = ""
    page: int = 1

    def query(self) -> LeadQuery:
        """The lead query of these filters (whose leads: narrowed by the worklist)."""
        statuses: tuple[str, ...] = ()
        if self.status == OPEN:
            statuses = OPEN_STATUSES
        elif self.status:
            statuses = (self.status,)
        counter = None
        if self.counter:
            counter = "" if self.counter == STAFF_QUEUE else self.counter
        return LeadQuery(
            scope=None,
            statuses=statuses,
            counter=counter,
            department=self.department or None,
            theme=self.theme or None,
            since=_date(self.since),
            until=_date(self.until),
            text=self.text,
        )

    def link(self, **changes: object) -> str:
        """The query string of these filters, some changed (a page link, an export)."""
        values = {
            "statut": self.status,
            "structure": self.counter,
            "departement": self.department,
            "theme": self.theme,
            "du": self.since,
            "au": self.until,
            "q": self.text,
            "page": str(self.page) if self.page > 1 else "",
        }
        values.update({k: str(v) for k, v in changes.items()})
        return urlencode({k: v for k, v in values.items() if v})


def filters(params: MultiMapping[str], content: Content) -> Filters:
    """The filters of a query string; a value the form cannot send is ignored."""
    statuses = {s.value for s in Status} | {OPEN}
    themes = {t.slug for t in content.catalog.knowledge.themes}
    page = params.get("page", "1")
    return Filters(
        status=_one(params, "statut", statuses),
        counter=params.get("structure", "")[:80],
        department=params.get("departement", "")[:3].upper(),
        theme=_one(params, "theme", themes),
        since=params.get("du", "") if _date(params.get("du", "")) else "",
        until=params.get("au", "") if _date(params.get("au", "")) else "",
        text=" ".join(params.get("q", "").split())[:MAX_SEARCH],
        page=min(MAX_PAGE, int(page)) if page.isdigit() and int(page) > 0 else 1,
    )


def _one(params: MultiMapping[str], name: str, allowed: set[str]) -> str:
    value = params.get(name, "")
    return value if value in allowed else ""


def _date(text: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def day(instant: dt.datetime) -> str:
    """JJ/MM/AAAA, in France."""
    return instant.astimezone(FRANCE).strftime("%d/%m/%Y")


def moment(instant: dt.datetime) -> str:
    """JJ/MM/AAAA à HH:MM, in France."""
    return instant.astimezone(FRANCE).strftime("%d/%m/%Y à %H:%M")


class Words:
    """The content's labels the pages show: statuses, counters, themes, vocabulary.

    Read once into dictionaries: an export words thousands of lines with them.
    """

    def __init__(self, content: Content, people: Mapping[int, Person]) -> None:
        self.content = content
        self.people = people
        knowledge = content.catalog.knowledge
        vocabulary = knowledge.vocabulary
        self._counters = {c.id: c.name for c in knowledge.counters}
        self._themes = {t.slug: t.label.fr for t in knowledge.themes}
        self._carriers = {str(k): v.fr for k, v in vocabulary.carriers.items()}
        self._stages = {str(k): v.fr for k, v in vocabulary.stages.items()}
        self._needs = {str(k): v.fr for k, v in vocabulary.needs.items()}
        self._statuses: dict[tuple[str, int | None, str | None], str] = {}

    def status(self, status: str, taken_by: int | None, target: str | None = None) -> str:
        """« Pris en charge par Camille », « Réorienté vers … »."""
        key = (status, taken_by, target)
        found = self._statuses.get(key)
        if found is None:
            template: str = getattr(self.content.advisors.statuses, status, status)
            taker = self.people.get(taken_by or 0)
            name = taker.first_name if taker else "?"
            found = self._statuses[key] = template.format(name=name, target=target or "…")
        return found

    def counter(self, counter_id: str | None) -> str:
        """A counter's name (None: the staff of the département)."""
        return self._counters.get(counter_id or "", self.content.advisors.card.staff)

    def theme(self, slug: str) -> str:
        """A theme's French label."""
        return self._themes.get(slug, slug)

    def carrier(self, carrier: str) -> str:
        """Who carries the project, in French."""
        return self._carriers.get(carrier, carrier)

    def stage(self, stage: str) -> str:
        """The project's stage, in French."""
        return self._stages.get(stage, stage)

    def need(self, need: str) -> str:
        """A help wanted, in French."""
        return self._needs.get(need, need)

    def themes(self, line: LeadLine) -> str:
        """The lead's themes, in French, comma-separated."""
        return ", ".join(self.theme(t) for t in line.themes)

    def needs(self, line: LeadLine) -> str:
        """The help wanted, in French, comma-separated."""
        return ", ".join(self.need(n) for n in line.needs)
