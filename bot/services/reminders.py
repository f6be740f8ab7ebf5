"""Leads left new are nudged: the counter after 2 working days, the staff after 5, once a day."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from bot.core.leads import Reminder, Status, reminder_due
from bot.core.workdays import working_days_between
from bot.services.cards import PARIS, Directory, card_notices, directory, note
from bot.services.leads import LeadService
from bot.services.periodic import TURN_SHARE, Turn, repeat
from bot.services.ports import Notice
from bot.services.ports_advisors import Card, Lead, LeadEvent

log = logging.getLogger(__name__)
EVERY = 15 * 60.0  # seconds between two looks (a nudge goes on the first look of its day)
OFFICE_HOURS = range(9, 18)  # Paris hours in which nudges go: not at midnight, not at dawn


class Reminders:
    """Looks at the new leads every few minutes and sends what is due today, once, in office hours.

    A counter's due leads are nudged in one transaction: each lead is marked as nudged today
    with the messages about it, so a crash or a restart never repeats or loses a nudge. A
    group that chose the daily digest (`/resume quotidien`) gets one message listing its
    leads; the others get one message per lead, answering its card.
    """

    def __init__(self, service: LeadService, every: float = EVERY, cluster: bool = False) -> None:
        self.service = service
        self.every = every
        self.cluster = cluster  # one replica of the cluster looks each time (`storage.leases`)
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Nudge what is due, then again every `every` seconds, until stopped."""
        turn = None
        if self.cluster:
            period = dt.timedelta(seconds=self.every * TURN_SHARE)
            turn = Turn(self.service.storage.leases, "reminders", period, clock=self.service.clock)
        await repeat(self.once, self.every, self._stopping, "reminders", turn)

    def stop(self) -> None:
        """Stop after the look in progress."""
        self._stopping.set()

    async def once(self) -> int:
        """Send today's due nudges; how many leads were nudged."""
        service = self.service
        local = service.clock().astimezone(PARIS)
        if local.hour not in OFFICE_HOURS:
            return 0
        today = local.date()
        waiting = await service.leads.leads(statuses=[Status.NOUVEAU.value])
        by_counter: dict[str | None, list[int]] = defaultdict(list)
        for lead in waiting:
            if _due(lead, today) is not None:
                by_counter[lead.counter_id].append(lead.id)
        if not by_counter:
            return 0
        linked = await directory(service.accounts)
        nudged = 0
        for counter_id, ids in by_counter.items():
            cards = {i: await service.leads.cards(i) for i in ids}
            nudged += await self._nudge(counter_id, ids, linked, cards, today)
        return nudged

    async def _nudge(
        self,
        counter_id: str | None,
        ids: Sequence[int],
        linked: Directory,
        cards: dict[int, list[Card]],
        today: dt.date,
    ) -> int:
        """One counter's due leads, in one transaction with their messages."""
        service = self.service
        now = service.clock()
        queued = []
        async with service.leads.batch(ids) as batch:
            due = [(lead, d) for lead in await batch.leads() if (d := _due(lead, today))]
            if not due:
                return 0
            notices: list[Notice] = []
            for lead, reminder in due:
                escalated = reminder == "escalate" and counter_id is not None
                saved = replace(
                    lead,
                    reminded_on=today,
                    escalated_at=now if escalated else lead.escalated_at,
                    version=lead.version + 1,
                )
                await batch.save(saved)
                if escalated:  # the staff get the card, to act on it or reassign it
                    shown = {c.chat_id for c in cards.get(lead.id, [])}
                    staff = [chat for chat in linked.audience(None) if chat not in shown]
                    notices += card_notices(saved, staff)
            notices += self._messages(counter_id, due, linked, cards, today)
            await batch.log(
                [
                    LeadEvent(
                        lead.id,
                        "escalated" if d == "escalate" and counter_id is not None else "reminder",
                        "system",
                        now,
                        {},
                    )
                    for lead, d in due
                ]
            )
            queued = await batch.enqueue(notices, now)
        for recipient in dict.fromkeys(q.recipient for q in queued):
            service.courier.notify(recipient)
        log.info("reminders: %d lead(s) nudged", len(due))
        return len(due)

    def _messages(
        self,
        counter_id: str | None,
        due: Sequence[tuple[Lead, Reminder]],
        linked: Directory,
        cards: dict[int, list[Card]],
        today: dt.date,
    ) -> list[Notice]:
        """The nudges: to the counter's chats (a digest where chosen), escalations to staff."""
        service = self.service
        texts = service.content().advisors.answers
        notices: list[Notice] = []
        for chat in linked.audience(counter_id):
            group = linked.group(chat)
            if group is not None and group.digest:
                lines = [texts.digest] + [
                    texts.digest_line.format(
                        reference=lead.reference,
                        commune=lead.filing.snapshot.commune.name,
                        days=_waited(lead, today),
                    )
                    for lead, _ in due
                ]
                notices.append(note(chat, "\n".join(lines)))
                continue
            for lead, _ in due:
                words = texts.reminder.format(reference=lead.reference, days=_waited(lead, today))
                notices.append(note(chat, words, _card_in(cards.get(lead.id, []), chat)))
        if counter_id is None:
            return notices  # the staff queue's reminders already reach the staff
        staff = linked.audience(None)
        for lead, reminder in due:
            if reminder != "escalate":
                continue
            words = texts.escalated.format(
                reference=lead.reference,
                counter=service.counter_name(counter_id),
                days=_waited(lead, today),
            )
            notices += [note(chat, words, _card_in(cards.get(lead.id, []), chat)) for chat in staff]
        return notices


def _due(lead: Lead, today: dt.date) -> Reminder | None:
    if lead.assigned_at is None:
        return None  # not routed yet
    return reminder_due(
        Status(lead.status),
        lead.assigned_at.astimezone(PARIS).date(),
        today,
        lead.reminded_on,
        lead.escalated_at is not None,
        lead.filing.snapshot.commune.department,
    )


def _waited(lead: Lead, today: dt.date) -> int:
    assert lead.assigned_at is not None
    assigned = lead.assigned_at.astimezone(PARIS).date()
    return working_days_between(assigned, today, lead.filing.snapshot.commune.department)


def _card_in(cards: Sequence[Card], chat: int) -> int | None:
    return next((c.message_id for c in cards if c.chat_id == chat), None)
