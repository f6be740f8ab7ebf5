"""The lead lifecycle, after Place des Entreprises: what advisors may do, and when to nudge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal

from bot.core.workdays import is_working_day, working_days_between


class Status(StrEnum):
    """Where a lead stands, from its arrival to one of four closing outcomes."""

    NOUVEAU = "nouveau"
    PRIS_EN_CHARGE = "pris_en_charge"
    ACCOMPAGNEMENT_PROPOSE = "accompagnement_propose"
    REORIENTE = "reoriente"
    PAS_POUR_NOUS = "pas_pour_nous"
    INJOIGNABLE = "injoignable"


CLOSED: Final = frozenset(
    {Status.ACCOMPAGNEMENT_PROPOSE, Status.REORIENTE, Status.PAS_POUR_NOUS, Status.INJOIGNABLE}
)
"""The outcomes: nothing more is expected of the advisor, unless they reopen the lead."""


class Action(StrEnum):
    """What an advisor does to a lead (one button of its card); declared in button order."""

    TAKE = "take"
    PROPOSE = "propose"
    REDIRECT = "redirect"
    DECLINE = "decline"
    UNREACHABLE = "unreachable"
    REOPEN = "reopen"


Reminder = Literal["remind", "escalate"]
"""A nudge: "remind" the advisors of a lead left new, or "escalate" it to the staff."""

REMIND_AFTER: Final = 2
"""Working days after the assignment before the advisors are reminded, once a working day."""
ESCALATE_AFTER: Final = 5
"""Working days after the assignment before the lead is escalated, once."""

_NEXT: Final[Mapping[tuple[Status, Action], Status]] = MappingProxyType(
    {
        (Status.NOUVEAU, Action.TAKE): Status.PRIS_EN_CHARGE,
        (Status.NOUVEAU, Action.DECLINE): Status.PAS_POUR_NOUS,
        (Status.PRIS_EN_CHARGE, Action.PROPOSE): Status.ACCOMPAGNEMENT_PROPOSE,
        (Status.PRIS_EN_CHARGE, Action.REDIRECT): Status.REORIENTE,
        (Status.PRIS_EN_CHARGE, Action.DECLINE): Status.PAS_POUR_NOUS,
        (Status.PRIS_EN_CHARGE, Action.UNREACHABLE): Status.INJOIGNABLE,
        **{(status, Action.REOPEN): Status.PRIS_EN_CHARGE for status in CLOSED},
    }
)
_ACTIONS: Final[Mapping[Status, tuple[Action, ...]]] = MappingProxyType(
    {status: tuple(action for action in Action if (status, action) in _NEXT) for status in Status}
)
# The advisor types why (decline) or towards whom (redirect); the others need no words.
_REASONED: Final = frozenset({Action.DECLINE, Action.REDIRECT})


def actions(status: Status) -> tuple[Action, ...]:
    """The actions allowed from a status, in button order (the card of a lead shows these)."""
    return _ACTIONS[status]


def next_status(status: Status, action: Action) -> Status | None:
    """The status an action leads to, or None when the action is not allowed from there."""
    return _NEXT.get((status, action))


def needs_reason(action: Action) -> bool:
    """Whether the advisor must say why (decline) or towards whom (redirect)."""
    return action in _REASONED


def closed(status: Status) -> bool:
    """Whether the lead has reached an outcome."""
    return status in CLOSED


def reminder_due(
    status: Status,
    assigned_on: dt.date,
    today: dt.date,
    reminded_on: dt.date | None,
    escalated: bool,
    department: str | None,
) -> Reminder | None:
    """The nudge a lead is due today, if any: at most one a day, only on a working day.

    Only a new lead is nudged. The caller records either nudge as today's (`reminded_on`),
    and an escalation as done (`escalated`).
    """
    if status != Status.NOUVEAU:
        return None
    # One nudge a day, whichever; a date after today (a clock set back) counts as today.
    if reminded_on is not None and reminded_on >= today:
        return None
    # Advisors count working days; a Saturday or a holiday reminder reads as noise.
    if not is_working_day(today, department):
        return None
    waited = working_days_between(assigned_on, today, department)
    if waited >= ESCALATE_AFTER and not escalated:
        return "escalate"
    if waited >= REMIND_AFTER:
        return "remind"
    return None
