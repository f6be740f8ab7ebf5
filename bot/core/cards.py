"""A lead's card, as its counter's advisors read it: the project, the match, the contact, status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.advisors import AdvisorTexts
from bot.core.conversation import Button, Reply
from bot.core.filing import Filing
from bot.core.leads import Action, Status, actions
from bot.core.models import Text
from bot.core.money import format_euros
from bot.core.vocabulary import Vocabulary

MAX_IDEA = 700  # characters of the idea on a card (the whole card stays far under 4096)
CALLBACK = "L"  # button data: `L|<lead id>|<action>`
FRANCE_FORMAT = "%d/%m à %H:%M"


@dataclass(frozen=True, slots=True)
class CardView:
    """What a card shows of a lead (built by the leads service from the stored lead)."""

    lead_id: int
    reference: str
    status: Status
    filing: Filing
    counter_name: str | None  # None: the staff queue
    reason: str | None
    taker: str | None  # the first name of who took it
    target: str | None  # where it was redirected (« Réorienté vers… »)
    forgotten: bool  # the citizen erased their data
    moved: str | None  # the counter now in charge, when this card's chat is no longer
    last: str | None  # the last action, worded
    last_at: dt.datetime | None
    declined_by: int = 0  # how many counters said « pas pour nous » (the staff queue says so)


@dataclass(frozen=True, slots=True)
class Labels:
    """What the card reads from the content: vocabulary, theme labels, option labels."""

    vocabulary: Vocabulary
    themes: Mapping[str, Text]
    commune: str  # « Arras (62) — Pas-de-Calais »
    preferred_time: Mapping[str, str]  # the call-back moments as the dialog names them
    markers: Mapping[str, str]  # marker id → label
    scale: Sequence[str]


def card(view: CardView, texts: AdvisorTexts, labels: Labels, local: dt.tzinfo) -> Reply:
    """The card's text (plain: the channel escapes it) and the buttons of its status."""
    c = texts.card
    filing = view.filing
    profile = filing.profile
    v = labels.vocabulary
    lines = [c.title.format(reference=view.reference)]
    if view.moved is not None:  # declined or reassigned: this chat has nothing more to do
        lines += [c.moved.format(counter=view.moved), c.commune.format(commune=labels.commune)]
        return Reply(text="\n".join(lines + _last(view, texts, local)))
    lines.append(c.status.format(status=status(view, texts)))
    if view.forgotten:
        lines.append(c.forgotten)
    elif filing.idea:
        lines.append(c.idea.format(idea=_trimmed(filing.idea)))
    lines.append(c.commune.format(commune=labels.commune))
    lines.append(c.carrier.format(carrier=v.carriers[profile.carrier].fr))
    lines.append(c.stage.format(stage=v.stages[profile.stage].fr))
    themes = [labels.themes[t].fr for t in profile.themes if t in labels.themes]
    lines.append(c.themes.format(themes=", ".join(themes) or c.unknown))
    needs = [v.needs[n].fr for n in profile.needs]
    lines.append(c.needs.format(needs=", ".join(needs) or c.unknown))
    if profile.amount is not None:
        lines.append(c.amount.format(amount=format_euros(profile.amount)))
    schemes = filing.snapshot.schemes[:5]
    almost = filing.snapshot.near_misses[:3]
    if schemes or almost:
        lines.append(c.schemes)
        lines += [c.scheme_fits.format(name=s.name) for s in schemes]
        lines += [
            c.scheme_almost.format(name=s.name, remedy=s.remedy.rstrip("."))
            if s.remedy
            else c.scheme_almost_bare.format(name=s.name)
            for s in almost
        ]
    if not view.forgotten:
        lines.append(_contact(view, texts, labels))
        levels = _assessment(filing, labels)
        if levels:
            lines.append(c.assessment.format(levels=levels))
    if view.counter_name is None:
        unassigned = c.unassigned_declined if view.declined_by else c.unassigned
        lines.append(unassigned.format(commune=labels.commune, reference=view.reference))
    else:
        lines.append(c.assigned.format(counter=view.counter_name, reason=view.reason or ""))
    lines += _last(view, texts, local)
    if view.status is Status.PRIS_EN_CHARGE and not view.forgotten:
        lines.append(c.hint)
    return Reply(text="\n".join(lines), buttons=buttons(view, texts))


def status(view: CardView, texts: AdvisorTexts) -> str:
    """The status as the card reads it (« Pris en charge par Camille »)."""
    template: str = getattr(texts.statuses, view.status.value)
    return template.format(name=view.taker or "?", target=view.target or "?")


def buttons(view: CardView, texts: AdvisorTexts) -> tuple[tuple[Button, ...], ...]:
    """The buttons of the lead's status, two a row."""
    if view.forgotten or view.moved is not None:
        return ()
    row = [
        Button(getattr(texts.buttons, a.value), f"{CALLBACK}|{view.lead_id}|{a.value}")
        for a in actions(view.status)
    ]
    return tuple(tuple(row[i : i + 2]) for i in range(0, len(row), 2))


def parse_button(data: str) -> tuple[int, Action] | None:
    """The lead and the action of a card's button data, if it is one."""
    kind, _, rest = data.partition("|")
    number, _, action = rest.partition("|")
    if kind != CALLBACK or not number.isdigit():
        return None
    try:
        return int(number), Action(action)
    except ValueError:
        return None


def _last(view: CardView, texts: AdvisorTexts, local: dt.tzinfo) -> list[str]:
    if not view.last or view.last_at is None:
        return []
    when = view.last_at.astimezone(local).strftime(FRANCE_FORMAT)
    return [texts.card.last.format(what=view.last, when=when)]


def contact_visible(view: CardView) -> bool:
    """Whether the e-mail or phone shows: once someone took the lead, never after erasure."""
    contact = view.filing.contact.contact
    return bool(contact) and not view.forgotten and view.status is not Status.NOUVEAU


def _contact(view: CardView, texts: AdvisorTexts, labels: Labels) -> str:
    c = texts.card
    contact = view.filing.contact
    first_name = contact.first_name or c.unknown
    when = labels.preferred_time.get(contact.preferred_time or "", c.unknown)
    if not contact_visible(view):
        return c.contact_hidden.format(first_name=first_name, when=when)
    return c.contact.format(first_name=first_name, when=when, contact=contact.contact)


def _assessment(filing: Filing, labels: Labels) -> str:
    parts = [
        f"{labels.markers[a.marker]} {labels.scale[a.level].lower()}"
        for a in filing.assessment
        if a.marker in labels.markers and 0 <= a.level < len(labels.scale)
    ]
    return " ; ".join(parts)


def _trimmed(text: str) -> str:
    return text if len(text) <= MAX_IDEA else text[: MAX_IDEA - 1].rstrip() + "…"
