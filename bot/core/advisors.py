"""What advisors and staff read (dialogs/advisors.yaml): statuses, buttons, cards, answers."""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

from pydantic import Field

from bot.core.knowledge import ContentError, Document, Problem, parse_yaml, validate
from bot.core.models import Level, Record

Words = str  # a French text, with its {placeholders}

# The {placeholders} each text may use (Comptoir fills these in); any other is an error of
# `dialogs check`, not a crash when a card is drawn. Texts not listed take none.
_STATUS = frozenset({"name", "target"})
PLACEHOLDERS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        **{
            f"statuses.{s}": _STATUS
            for s in (
                "nouveau",
                "pris_en_charge",
                "accompagnement_propose",
                "reoriente",
                "pas_pour_nous",
                "injoignable",
            )
        },
        "card.title": frozenset({"reference"}),
        "card.status": frozenset({"status"}),
        "card.idea": frozenset({"idea"}),
        "card.commune": frozenset({"commune"}),
        "card.carrier": frozenset({"carrier"}),
        "card.stage": frozenset({"stage"}),
        "card.themes": frozenset({"themes"}),
        "card.needs": frozenset({"needs"}),
        "card.amount": frozenset({"amount"}),
        "card.scheme_fits": frozenset({"name"}),
        "card.scheme_almost": frozenset({"name", "remedy"}),
        "card.scheme_almost_bare": frozenset({"name"}),
        "card.contact_hidden": frozenset({"first_name", "when"}),
        "card.contact": frozenset({"contact", "first_name", "when"}),
        "card.assessment": frozenset({"levels"}),
        "card.assigned": frozenset({"counter", "reason"}),
        "card.unassigned": frozenset({"commune", "reference"}),
        "card.unassigned_declined": frozenset({"commune", "reference"}),
        "card.last": frozenset({"what", "when"}),
        "card.moved": frozenset({"counter"}),
        "routing.level": frozenset({"commune", "level"}),
        "routing.themes": frozenset({"themes"}),
        "answers.linked_person": frozenset({"name"}),
        "answers.linked_counter": frozenset({"counter"}),
        "answers.ask_decline": frozenset({"first_name"}),
        "answers.ask_redirect": frozenset({"first_name"}),
        "answers.relay_sent": frozenset({"reference"}),
        "answers.relay_unknown": frozenset({"reference"}),
        "answers.citizen_wrote": frozenset({"reference", "text"}),
        "answers.reminder": frozenset({"days", "reference"}),
        "answers.digest_line": frozenset({"commune", "days", "reference"}),
        "answers.escalated": frozenset({"counter", "days", "reference"}),
        "answers.reassigned": frozenset({"counter", "reason", "reference"}),
        "answers.declined_to": frozenset({"counter"}),
        "answers.reason_noted": frozenset({"reference", "status"}),
        "answers.reassign_unknown_counter": frozenset({"counter"}),
        "events.routed": frozenset({"counter"}),
        "events.taken": frozenset({"name"}),
        "events.status": frozenset({"name", "status"}),
        "events.relay_out": frozenset({"name"}),
        "events.note": frozenset({"name"}),
        "events.reassigned": frozenset({"counter"}),
    }
)


class Statuses(Record):
    """How each status of a lead reads on its card."""

    nouveau: Words = Field(min_length=1)
    pris_en_charge: Words = Field(min_length=1)
    accompagnement_propose: Words = Field(min_length=1)
    reoriente: Words = Field(min_length=1)
    pas_pour_nous: Words = Field(min_length=1)
    injoignable: Words = Field(min_length=1)


class Buttons(Record):
    """The label of each action's button."""

    take: Words = Field(min_length=1, max_length=40)
    propose: Words = Field(min_length=1, max_length=40)
    redirect: Words = Field(min_length=1, max_length=40)
    decline: Words = Field(min_length=1, max_length=40)
    unreachable: Words = Field(min_length=1, max_length=40)
    reopen: Words = Field(min_length=1, max_length=40)


class CardTexts(Record):
    """The lines of a lead card."""

    title: Words
    status: Words
    idea: Words
    commune: Words
    carrier: Words
    stage: Words
    themes: Words
    needs: Words
    amount: Words
    schemes: Words
    scheme_fits: Words
    scheme_almost: Words
    scheme_almost_bare: Words
    contact_hidden: Words
    contact: Words
    assessment: Words
    assigned: Words
    unassigned: Words
    unassigned_declined: Words
    last: Words
    forgotten: Words
    moved: Words
    staff: Words
    unknown: Words
    hint: Words


class RoutingTexts(Record):
    """Why a lead went to a counter."""

    level: Words
    themes: Words
    levels: dict[Level, Words]


class Answers(Record):
    """What the bot says to advisors and staff."""

    linked_person: Words
    linked_counter: Words
    linked_staff: Words
    wrong_code: Words
    too_many_codes: Words
    link_usage: Words
    not_allowed: Words = Field(max_length=200)  # an alert (answerCallbackQuery: 200 at most)
    not_linked: Words = Field(max_length=200)
    done: Words = Field(max_length=200)
    stale: Words = Field(max_length=200)
    ask_decline: Words
    ask_redirect: Words
    relay_sent: Words
    relay_not_taken: Words
    relay_unknown: Words
    relay_forgotten: Words
    citizen_wrote: Words
    reminder: Words
    digest: Words
    digest_line: Words
    escalated: Words
    reassigned: Words
    reassigned_unstaffed: Words
    reason_noted: Words
    declined_to: Words
    reassign_usage: Words
    reassign_unknown_counter: Words
    staff_only: Words
    digest_on: Words
    digest_off: Words
    digest_usage: Words
    help: Words


class EventTexts(Record):
    """A lead's timeline, as the last action of its card reads."""

    routed: Words
    gap: Words
    taken: Words
    status: Words
    relay_out: Words
    relay_in: Words
    note: Words
    reminder: Words
    escalated: Words
    reassigned: Words
    forgotten: Words


class AdvisorTexts(Record):
    """dialogs/advisors.yaml."""

    version: str = Field(min_length=1)
    statuses: Statuses
    buttons: Buttons
    card: CardTexts
    routing: RoutingTexts
    answers: Answers
    events: EventTexts


def load_advisor_texts(path: Path) -> AdvisorTexts:
    """Load the advisors' texts; raise ContentError listing every problem by file and line."""
    document, problems = parse_yaml(path, f"dialogs/{path.name}")
    if document is None:
        raise ContentError(problems)
    texts, invalid = validate(document, AdvisorTexts)
    problems.extend(invalid)
    if texts is not None:
        problems.extend(placeholder_problems(document))
    if problems or texts is None:
        raise ContentError(sorted(set(problems)))
    return texts


def placeholder_problems(document: Document) -> Iterator[Problem]:
    """Texts whose braces do not parse, or that use a placeholder Comptoir does not fill in."""
    for location, text in _texts(document.data, ()):
        dotted = ".".join(location)
        allowed = PLACEHOLDERS.get(dotted, frozenset())
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError:
            used = {"{"}
        unknown = sorted(used - allowed)
        if not unknown:
            continue
        permitted = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "aucune"
        shown = ", ".join("{" if n == "{" else f"{{{n}}}" for n in unknown)
        message = f"variable inconnue {shown} (variables permises ici : {permitted})"
        yield Problem(document.label, document.line_of(location), dotted, message)


def _texts(data: object, location: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _texts(value, (*location, str(key)))
    elif isinstance(data, str) and location != ("version",):
        yield location, data
