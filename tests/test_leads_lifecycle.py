"""The lead lifecycle: which action moves a lead where, and when its advisors are nudged."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.leads import (
    CLOSED,
    ESCALATE_AFTER,
    REMIND_AFTER,
    Action,
    Reminder,
    Status,
    actions,
    closed,
    needs_reason,
    next_status,
    reminder_due,
)
from bot.core.workdays import add_working_days, is_working_day

D = dt.date
S = Status
A = Action

# The specification, written out independently of the module's own table.
EXPECTED = {
    (S.NOUVEAU, A.TAKE): S.PRIS_EN_CHARGE,
    (S.NOUVEAU, A.DECLINE): S.PAS_POUR_NOUS,
    (S.PRIS_EN_CHARGE, A.PROPOSE): S.ACCOMPAGNEMENT_PROPOSE,
    (S.PRIS_EN_CHARGE, A.REDIRECT): S.REORIENTE,
    (S.PRIS_EN_CHARGE, A.DECLINE): S.PAS_POUR_NOUS,
    (S.PRIS_EN_CHARGE, A.UNREACHABLE): S.INJOIGNABLE,
    (S.ACCOMPAGNEMENT_PROPOSE, A.REOPEN): S.PRIS_EN_CHARGE,
    (S.REORIENTE, A.REOPEN): S.PRIS_EN_CHARGE,
    (S.PAS_POUR_NOUS, A.REOPEN): S.PRIS_EN_CHARGE,
    (S.INJOIGNABLE, A.REOPEN): S.PRIS_EN_CHARGE,
}
PAIRS = list(itertools.product(Status, Action))
NOT_NEW = [status for status in Status if status is not S.NOUVEAU]


# Transitions


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_every_action_from_every_status_follows_the_table(status: Status, action: Action) -> None:
    assert next_status(status, action) == EXPECTED.get((status, action))


@pytest.mark.parametrize("status", Status)
def test_a_card_shows_exactly_the_allowed_actions_in_button_order(status: Status) -> None:
    allowed = [action for action in Action if (status, action) in EXPECTED]
    assert actions(status) == tuple(allowed)


@pytest.mark.parametrize(
    ("status", "buttons"),
    [
        (S.NOUVEAU, (A.TAKE, A.DECLINE)),
        (S.PRIS_EN_CHARGE, (A.PROPOSE, A.REDIRECT, A.DECLINE, A.UNREACHABLE)),
        *((status, (A.REOPEN,)) for status in sorted(CLOSED)),
    ],
)
def test_the_buttons_of_each_card(status: Status, buttons: tuple[Action, ...]) -> None:
    assert actions(status) == buttons


def test_the_closed_statuses_are_the_four_outcomes() -> None:
    assert {S.ACCOMPAGNEMENT_PROPOSE, S.REORIENTE, S.PAS_POUR_NOUS, S.INJOIGNABLE} == CLOSED


@pytest.mark.parametrize("status", Status)
def test_a_lead_is_closed_exactly_when_it_reached_an_outcome(status: Status) -> None:
    assert closed(status) is (status in CLOSED)
    assert closed(status) is (actions(status) == (A.REOPEN,))


def test_no_action_leads_back_to_new_and_every_status_is_reachable_from_new() -> None:
    reached, frontier = {S.NOUVEAU}, [S.NOUVEAU]
    while frontier:
        status = frontier.pop()
        for action in actions(status):
            target = next_status(status, action)
            assert target is not None and target is not S.NOUVEAU
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(Status)


@pytest.mark.parametrize("action", Action)
def test_only_decline_and_redirect_ask_the_advisor_for_a_reason(action: Action) -> None:
    assert needs_reason(action) is (action in {A.DECLINE, A.REDIRECT})


def test_statuses_and_actions_keep_the_strings_stored_and_sent_in_callbacks() -> None:
    assert [status.value for status in Status] == [
        "nouveau",
        "pris_en_charge",
        "accompagnement_propose",
        "reoriente",
        "pas_pour_nous",
        "injoignable",
    ]
    assert [action.value for action in Action] == [
        "take",
        "propose",
        "redirect",
        "decline",
        "unreachable",
        "reopen",
    ]


# Reminders


def due(
    today: dt.date,
    assigned_on: dt.date,
    *,
    status: Status = S.NOUVEAU,
    reminded_on: dt.date | None = None,
    escalated: bool = False,
    department: str | None = None,
) -> Reminder | None:
    return reminder_due(status, assigned_on, today, reminded_on, escalated, department)


def test_the_delays_are_two_working_days_to_remind_and_five_to_escalate() -> None:
    assert (REMIND_AFTER, ESCALATE_AFTER) == (2, 5)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2026, 1, 15), None),  # the day it arrived
        (D(2026, 1, 16), None),  # Friday: one working day
        (D(2026, 1, 17), None),  # Saturday
        (D(2026, 1, 18), None),  # Sunday
        (D(2026, 1, 19), "remind"),  # Monday: two working days
    ],
    ids=str,
)
def test_a_lead_assigned_on_thursday_is_reminded_on_monday_not_over_the_weekend(
    today: dt.date, expected: Reminder | None
) -> None:
    assert due(today, assigned_on=D(2026, 1, 15)) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2026, 5, 1), None),  # Friday 1 May: a holiday
        (D(2026, 5, 4), None),  # Monday: one working day
        (D(2026, 5, 5), "remind"),  # Tuesday: two working days
    ],
    ids=str,
)
def test_a_lead_assigned_on_thursday_30_april_is_reminded_on_tuesday_5_may(
    today: dt.date, expected: Reminder | None
) -> None:
    assert due(today, assigned_on=D(2026, 4, 30)) == expected


def test_no_nudge_is_sent_on_a_weekend_or_a_holiday_even_when_overdue() -> None:
    assigned = D(2026, 4, 27)  # Monday: three working days by Thursday 30 April
    assert due(D(2026, 4, 30), assigned) == "remind"
    assert due(D(2026, 5, 1), assigned, reminded_on=D(2026, 4, 30)) is None
    assert due(D(2026, 5, 2), assigned, reminded_on=D(2026, 4, 30)) is None


def test_a_holiday_of_the_department_delays_the_reminder_there_only() -> None:
    assigned = D(2025, 12, 24)  # Wednesday; Friday 26 rests in Moselle
    assert due(D(2025, 12, 29), assigned, department="75") == "remind"
    assert due(D(2025, 12, 29), assigned, department="57") is None
    assert due(D(2025, 12, 30), assigned, department="57") == "remind"


def test_a_lead_left_new_five_working_days_is_escalated() -> None:
    assigned = D(2026, 1, 12)  # Monday
    assert due(D(2026, 1, 16), assigned, reminded_on=D(2026, 1, 15)) == "remind"
    assert due(D(2026, 1, 19), assigned, reminded_on=D(2026, 1, 16)) == "escalate"


def test_an_escalated_lead_is_reminded_again_but_never_escalated_twice() -> None:
    assigned = D(2026, 1, 12)
    later = D(2026, 1, 20)
    assert due(later, assigned, reminded_on=D(2026, 1, 19), escalated=True) == "remind"


@pytest.mark.parametrize("escalated", [False, True])
def test_a_lead_nudged_today_gets_nothing_more_today(escalated: bool) -> None:
    assigned, today = D(2026, 1, 12), D(2026, 1, 19)
    assert due(today, assigned, reminded_on=today, escalated=escalated) is None


def test_a_reminder_date_after_today_counts_as_today() -> None:
    assert due(D(2026, 1, 19), D(2026, 1, 12), reminded_on=D(2026, 1, 20)) is None


def test_a_lead_assigned_after_today_is_not_nudged() -> None:
    assert due(D(2026, 1, 19), assigned_on=D(2026, 1, 26)) is None


@pytest.mark.parametrize("status", NOT_NEW)
def test_only_a_new_lead_is_ever_nudged(status: Status) -> None:
    assert due(D(2026, 3, 2), D(2026, 1, 5), status=status) is None


def run_reminders(
    assigned: dt.date, days: int, runs_a_day: int, department: str | None
) -> dict[dt.date, list[Reminder]]:
    """Drive reminder_due as the reminder worker would: record each nudge as it goes out."""
    sent: dict[dt.date, list[Reminder]] = {}
    reminded_on: dt.date | None = None
    escalated = False
    for offset in range(days):
        today = assigned + dt.timedelta(days=offset)
        for _ in range(runs_a_day):
            nudge = reminder_due(S.NOUVEAU, assigned, today, reminded_on, escalated, department)
            if nudge is not None:
                sent.setdefault(today, []).append(nudge)
                reminded_on = today
                escalated = escalated or nudge == "escalate"
    return sent


def test_a_month_of_hourly_runs_escalates_once_on_the_fifth_working_day() -> None:
    assigned = D(2026, 4, 30)
    sent = run_reminders(assigned, days=31, runs_a_day=24, department=None)
    escalations = [day for day, nudges in sent.items() if "escalate" in nudges]
    assert escalations == [add_working_days(assigned, ESCALATE_AFTER)] == [D(2026, 5, 11)]
    assert min(sent) == D(2026, 5, 5)
    assert sent[D(2026, 5, 5)] == ["remind"]


@given(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31)),
    st.sampled_from([None, "75", "57", "971", "974"]),
)
def test_whatever_the_start_one_nudge_a_working_day_and_one_escalation(
    assigned: dt.date, department: str | None
) -> None:
    sent = run_reminders(assigned, days=21, runs_a_day=3, department=department)
    assert all(len(nudges) == 1 for nudges in sent.values())
    assert all(is_working_day(day, department) for day in sent)
    first_reminder = add_working_days(assigned, REMIND_AFTER, department)
    escalation = add_working_days(assigned, ESCALATE_AFTER, department)
    assert min(sent) == first_reminder
    assert [day for day, nudges in sent.items() if nudges == ["escalate"]] == [escalation]
    assert set(sent) == {
        day
        for offset in range(21)
        if is_working_day(day := assigned + dt.timedelta(days=offset), department)
        and day >= first_reminder
    }
