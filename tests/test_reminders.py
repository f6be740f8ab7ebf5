"""Reminders of leads left new, on every store: working days, digests, escalation, once a day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import Comptoir
from bot.core.leads import Action
from tests.advisors import ARRAS_COUNTER, advisor, chats_of, file_in_arras, link_group, settle
from tests.lead_stores import Clock

PARIS = ZoneInfo("Europe/Paris")
GROUP, OTHER_GROUP, STAFF_GROUP = -1001, -1002, -1009
CAMILLE = 7001
ARRAS_NAME = "Comptoirs à initiatives citoyennes du Pas-de-Calais"
D = dt.date
THURSDAY = D(2026, 12, 3)  # no holiday within the fortnight after it
HOURS = (0, 8, 9, 13, 23)  # looks over a Paris day: the first in office hours (9:00) nudges


@pytest.fixture
def clock(lead_clock: Clock) -> Clock:
    return lead_clock


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """An instant of a Paris day, in UTC as the clock gives it."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=PARIS).astimezone(dt.UTC)


def reminder(reference: str, days: int) -> str:
    return (
        f"⏰ Rappel : la demande {reference} attend une prise en charge depuis {days} jours ouvrés."
    )


def escalated(reference: str, days: int) -> str:
    waited = f"attend depuis {days} jours ouvrés sans prise en charge."
    return f"⚠️ La demande {reference} ({ARRAS_NAME}) {waited}"


def nudges(comptoir: Comptoir, chat: int) -> list[str]:
    """The reminders, digests and escalations a chat received, in order (not the cards)."""
    return [t for t in chats_of(comptoir).texts(chat) if t.startswith(("⏰", "⚠️"))]


async def file_on(comptoir: Comptoir, clock: Clock, day: dt.date, hour: int = 10) -> str:
    clock.now = at(day, hour)
    _, reference = await file_in_arras(comptoir)
    return reference


async def look(comptoir: Comptoir, clock: Clock, day: dt.date, hour: int = 10) -> int:
    """One look of the reminders at that hour, delivered; how many leads it nudged."""
    clock.now = at(day, hour)
    nudged = await comptoir.reminders.once()
    await settle(comptoir)
    return nudged


async def days_of_looks(
    comptoir: Comptoir, clock: Clock, first: dt.date, last: dt.date
) -> dict[dt.date, list[int]]:
    """Look at every hour of HOURS from `first` to `last`; the leads nudged, by day."""
    nudged: dict[dt.date, list[int]] = {}
    day = first
    while day <= last:
        nudged[day] = [await look(comptoir, clock, day, hour) for hour in HOURS]
        day += dt.timedelta(days=1)
    return nudged


async def kinds(comptoir: Comptoir, reference: str) -> list[str]:
    lead = await comptoir.storage.leads.find(reference)
    assert lead is not None
    return [e.kind for e in await comptoir.storage.leads.events(lead.id)]


async def test_a_lead_filed_on_thursday_is_reminded_on_monday_once_in_its_group(
    comptoir: Comptoir, clock: Clock
) -> None:
    chats = chats_of(comptoir)
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    reference = await file_on(comptoir, clock, THURSDAY)
    card = chats.card(GROUP, reference)
    # Thursday evening, Friday (one working day), Saturday, Sunday: nothing.
    quiet = await days_of_looks(comptoir, clock, THURSDAY, D(2026, 12, 6))
    assert all(n == [0, 0, 0, 0, 0] for n in quiet.values()), quiet
    assert nudges(comptoir, GROUP) == []
    # Monday is the second working day: one reminder, at the first look in office hours only.
    monday = await days_of_looks(comptoir, clock, D(2026, 12, 7), D(2026, 12, 7))
    assert monday == {D(2026, 12, 7): [0, 0, 1, 0, 0]}
    assert nudges(comptoir, GROUP) == [reminder(reference, 2)]
    sent = chats.chats[GROUP][-1].reply
    assert sent.quote == str(card.message_id)  # it answers the lead's card
    assert chats.texts(GROUP).count(card.reply.text) == 1  # the card is not posted again
    # Still new on Tuesday: one more, counting three days; then nothing more that day.
    assert await look(comptoir, clock, D(2026, 12, 8), 9) == 1
    assert await look(comptoir, clock, D(2026, 12, 8), 18) == 0
    assert nudges(comptoir, GROUP) == [reminder(reference, 2), reminder(reference, 3)]
    assert chats.texts(STAFF_GROUP) == []


@pytest.mark.parametrize(
    ("filed", "holiday", "due"),
    [
        (D(2026, 12, 23), D(2026, 12, 25), D(2026, 12, 28)),  # Wednesday; Christmas on Friday
        (D(2027, 3, 25), D(2027, 3, 29), D(2027, 3, 30)),  # Thursday; Easter Monday 2027
        (D(2026, 4, 30), D(2026, 5, 1), D(2026, 5, 5)),  # Thursday; 1 May 2026 on Friday
        (D(2027, 4, 29), D(2027, 5, 1), D(2027, 5, 3)),  # 1 May 2027 a Saturday: no push
        (D(2027, 5, 4), D(2027, 5, 6), D(2027, 5, 7)),  # Tuesday; Ascension 2027 on Thursday
        (D(2027, 5, 13), D(2027, 5, 17), D(2027, 5, 18)),  # Thursday; Whit Monday 2027
    ],
    ids=str,
)
async def test_a_public_holiday_in_between_pushes_the_reminder_to_the_next_working_day(
    comptoir: Comptoir, clock: Clock, filed: dt.date, holiday: dt.date, due: dt.date
) -> None:
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    reference = await file_on(comptoir, clock, filed)
    before = await days_of_looks(comptoir, clock, filed, due - dt.timedelta(days=1))
    assert holiday in before and all(n == [0, 0, 0, 0, 0] for n in before.values()), before
    assert await days_of_looks(comptoir, clock, due, due) == {due: [0, 0, 1, 0, 0]}
    assert nudges(comptoir, GROUP) == [reminder(reference, 2)]


async def test_a_lead_left_new_five_working_days_is_escalated_to_the_staff_exactly_once(
    comptoir: Comptoir, clock: Clock
) -> None:
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    await link_group(comptoir, STAFF_GROUP, None)
    reference = await file_on(comptoir, clock, THURSDAY)
    seen: dict[dt.date, int] = {}
    day = THURSDAY
    while day <= D(2026, 12, 18):
        await days_of_looks(comptoir, clock, day, day)
        seen[day] = len(nudges(comptoir, STAFF_GROUP))
        day += dt.timedelta(days=1)
    assert nudges(comptoir, STAFF_GROUP) == [escalated(reference, 5)]
    staff = chats_of(comptoir).texts(STAFF_GROUP)
    shown = [i for i, t in enumerate(staff) if t.startswith(f"📋 Demande {reference}")]
    assert len(shown) == 1 and staff[shown[0] + 1] == escalated(reference, 5)
    assert "Statut : Nouveau" in staff[shown[0]]  # the whole card, to act on or reassign
    assert chats_of(comptoir).card(STAFF_GROUP, reference).reply.buttons
    assert min(d for d, n in seen.items() if n) == D(2026, 12, 10)  # Thursday after
    # The counter is reminded every working day from the second, the escalation day too.
    assert nudges(comptoir, GROUP) == [reminder(reference, n) for n in range(2, 12)]
    lead = await comptoir.storage.leads.find(reference)
    assert lead is not None and lead.escalated_at == at(D(2026, 12, 10), 9)


async def test_reminders_and_the_escalation_are_logged_on_the_lead(
    comptoir: Comptoir, clock: Clock
) -> None:
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    await link_group(comptoir, STAFF_GROUP, None)
    reference = await file_on(comptoir, clock, THURSDAY)
    await days_of_looks(comptoir, clock, THURSDAY, D(2026, 12, 14))
    lead = await comptoir.storage.leads.find(reference)
    assert lead is not None
    events = [e for e in await comptoir.storage.leads.events(lead.id) if e.kind != "routed"]
    assert [(e.kind, e.actor, e.at.astimezone(PARIS).date()) for e in events] == [
        ("reminder", "system", D(2026, 12, 7)),
        ("reminder", "system", D(2026, 12, 8)),
        ("reminder", "system", D(2026, 12, 9)),
        ("escalated", "system", D(2026, 12, 10)),
        ("reminder", "system", D(2026, 12, 11)),
        ("reminder", "system", D(2026, 12, 14)),
    ]
    assert lead.reminded_on == D(2026, 12, 14)


async def test_a_digest_group_gets_one_message_a_day_listing_its_waiting_leads(
    comptoir: Comptoir, clock: Clock
) -> None:
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    await link_group(comptoir, OTHER_GROUP, ARRAS_COUNTER)  # the same counter, one per lead
    await comptoir.storage.accounts.set_digest(GROUP, True)
    first = await file_on(comptoir, clock, THURSDAY)
    second = await file_on(comptoir, clock, D(2026, 12, 4))
    third = await file_on(comptoir, clock, D(2026, 12, 7), hour=9)  # Monday, before the look

    def digest(*lines: tuple[str, int]) -> str:
        listed = [f"• {r} — Arras, depuis {n} jours ouvrés" for r, n in lines]
        return "\n".join(["⏰ Demandes qui attendent une prise en charge :", *listed])

    looks = await days_of_looks(comptoir, clock, D(2026, 12, 7), D(2026, 12, 9))
    assert looks == {
        D(2026, 12, 7): [0, 0, 1, 0, 0],
        D(2026, 12, 8): [0, 0, 2, 0, 0],
        D(2026, 12, 9): [0, 0, 3, 0, 0],
    }
    assert nudges(comptoir, GROUP) == [
        digest((first, 2)),
        digest((first, 3), (second, 2)),
        digest((first, 4), (second, 3), (third, 2)),
    ]
    assert nudges(comptoir, OTHER_GROUP) == [
        reminder(first, 2),
        reminder(first, 3),
        reminder(second, 2),
        reminder(first, 4),
        reminder(second, 3),
        reminder(third, 2),
    ]
    assert all(
        m.reply.quote is None for m in chats_of(comptoir).chats[GROUP] if "⏰" in m.reply.text
    )
    # Back to one message per lead: Thursday's reminders go one by one.
    await comptoir.storage.accounts.set_digest(GROUP, False)
    assert await look(comptoir, clock, D(2026, 12, 10)) == 3
    assert nudges(comptoir, GROUP)[3:] == [
        reminder(first, 5),
        reminder(second, 4),
        reminder(third, 3),
    ]


async def test_a_lead_taken_before_the_deadline_is_never_reminded(
    comptoir: Comptoir, clock: Clock
) -> None:
    chats = chats_of(comptoir)
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    await link_group(comptoir, STAFF_GROUP, None)
    await advisor(comptoir, CAMILLE, "Camille Martin", [ARRAS_COUNTER])
    taken = await file_on(comptoir, clock, THURSDAY)
    waiting = await file_on(comptoir, clock, THURSDAY, hour=11)
    lead = await comptoir.storage.leads.find(taken)
    assert lead is not None
    card = chats.card(GROUP, taken).message_id
    await days_of_looks(comptoir, clock, THURSDAY, D(2026, 12, 6))
    clock.now = at(D(2026, 12, 7), 7)  # Monday, before the first look of the day
    pressed = await comptoir.leads.press(CAMILLE, GROUP, card, lead.id, Action.TAKE)
    assert not pressed.refused
    await settle(comptoir)
    await days_of_looks(comptoir, clock, D(2026, 12, 7), D(2026, 12, 15))
    assert all(taken not in t for t in nudges(comptoir, GROUP) + nudges(comptoir, STAFF_GROUP))
    assert await kinds(comptoir, taken) == ["routed", "taken"]
    # The other lead of the same counter, left new, is still reminded and escalated.
    assert nudges(comptoir, GROUP) == [reminder(waiting, n) for n in range(2, 9)]
    assert nudges(comptoir, STAFF_GROUP) == [escalated(waiting, 5)]


async def test_a_lead_in_the_staff_queue_is_reminded_to_the_staff_and_never_escalated(
    comptoir: Comptoir, clock: Clock
) -> None:
    await link_group(comptoir, STAFF_GROUP, None)  # no counter with advisors covers Arras
    reference = await file_on(comptoir, clock, THURSDAY)
    await days_of_looks(comptoir, clock, THURSDAY, D(2026, 12, 14))
    assert nudges(comptoir, STAFF_GROUP) == [reminder(reference, n) for n in range(2, 8)]
    assert await kinds(comptoir, reference) == ["gap"] + ["reminder"] * 6
