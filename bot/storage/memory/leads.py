"""Leads in memory: a session per lead, staged and applied only on success, as in SQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from bot.services.ports import Notice, QueuedNotice
from bot.services.ports_advisors import (
    Card,
    Lead,
    LeadBatch,
    LeadEvent,
    LeadSession,
    UnknownLead,
)
from bot.storage.errors import stale_lead
from bot.storage.guard import holding_chat, refuse_nesting
from bot.storage.keys import json_copy
from bot.storage.memory.outbox import stage_notices
from bot.storage.memory.state import MemoryDatabase, StoredLead, StoredNotice, utc


def changes(lead: Lead) -> dict[str, Any]:
    """The fields a lead's work changes (the filing never does), instants in UTC."""

    def instant(value: dt.datetime | None) -> dt.datetime | None:
        return None if value is None else utc(value)

    return {
        "status": lead.status,
        "status_at": utc(lead.status_at),
        "version": lead.version,
        "counter_id": lead.counter_id,
        "reason": lead.reason,
        "assigned_at": instant(lead.assigned_at),
        "taken_by": lead.taken_by,
        "relay_open": lead.relay_open,
        "citizen_told": lead.citizen_told,
        "reminded_on": lead.reminded_on,
        "escalated_at": instant(lead.escalated_at),
        "excluded": tuple(lead.excluded),
        "awaiting": lead.awaiting,
    }


class MemoryLeadWork:
    """Changes to locked leads, staged until the block ends and applied only on success."""

    def __init__(self, database: MemoryDatabase, stored: Sequence[StoredLead]) -> None:
        self._db = database
        self._stored = {s.lead.id: s for s in stored}
        self._saved: dict[int, Lead] = {}
        self._events: list[LeadEvent] = []
        self._notices: list[StoredNotice] = []

    def _current(self, lead_id: int) -> Lead:
        stored = self._stored[lead_id].lead
        saved = self._saved.get(lead_id)
        return stored if saved is None else dataclasses.replace(stored, **changes(saved))

    async def save(self, lead: Lead) -> None:
        """Store a changed lead; its `version` must be the stored one + 1 (`StaleLead`)."""
        if lead.id not in self._stored:
            raise ValueError("lead saved in a transaction that does not hold its lock")
        stored = self._current(lead.id).version
        changed = changes(lead)  # refuses naive instants before the version check, as in SQL
        if lead.version != stored + 1:
            raise stale_lead(lead.id, stored, lead.version)
        self._saved[lead.id] = dataclasses.replace(self._stored[lead.id].lead, **changed)

    async def log(self, events: Sequence[LeadEvent]) -> None:
        """Add events to the leads' timelines."""
        staged = []
        for event in events:
            when = utc(event.at)
            if event.lead_id not in self._stored:
                raise ValueError("event logged in a transaction that does not hold its lead")
            staged.append(dataclasses.replace(event, at=when, detail=json_copy(event.detail)))
        self._events.extend(staged)

    async def enqueue(self, notices: Sequence[Notice], at: dt.datetime) -> list[QueuedNotice]:
        """Add messages to the outbox, delivered after commit."""
        staged, written = stage_notices(self._db, notices, at)
        self._notices.extend(staged)
        return written

    def commit(self) -> None:
        """Apply the staged changes."""
        for lead_id, saved in self._saved.items():
            stored = self._stored[lead_id]
            merged = dataclasses.replace(stored.lead, **changes(saved))
            if stored.lead.chat_key is None:
                # Erased meanwhile (SQL's row lock would have ordered it after this block).
                merged = dataclasses.replace(merged, relay_open=False, awaiting=None)
            stored.lead = merged
        self._db.lead_events.extend(self._events)
        for notice in self._notices:
            self._db.outbox[notice.id] = notice


class MemoryLeadSession(MemoryLeadWork):
    """One transaction on one lead."""

    def __init__(self, database: MemoryDatabase, stored: StoredLead) -> None:
        super().__init__(database, [stored])
        self._lead_id = stored.lead.id

    async def lead(self) -> Lead:
        """The lead as stored (this session's changes included)."""
        return self._current(self._lead_id)


class MemoryLeadBatch(MemoryLeadWork):
    """One transaction on several leads."""

    async def leads(self) -> list[Lead]:
        """The leads that still exist, as stored (this batch's changes included), by id."""
        return [self._current(lead_id) for lead_id in sorted(self._stored)]


class MemoryLeads:
    """Leads in memory (an asyncio lock per lead)."""

    def __init__(self, database: MemoryDatabase) -> None:
        self._db = database

    @asynccontextmanager
    async def lead(self, lead_id: int) -> AsyncIterator[LeadSession]:
        """Open a transaction locked on one lead (`UnknownLead` when there is none)."""
        with holding_chat("lead"):
            async with self._db.lead_locks.hold(lead_id):
                stored = self._db.lead(lead_id)
                if stored is None:
                    raise UnknownLead(f"no lead has id {lead_id}")
                session = MemoryLeadSession(self._db, stored)
                yield session
                session.commit()

    @asynccontextmanager
    async def batch(self, lead_ids: Sequence[int]) -> AsyncIterator[LeadBatch]:
        """Open a transaction locked on several leads, in id order (missing ones left out)."""
        with holding_chat("batch"):
            async with AsyncExitStack() as locks:
                ids = sorted(set(lead_ids))
                for lead_id in ids:
                    await locks.enter_async_context(self._db.lead_locks.hold(lead_id))
                found = [s for s in map(self._db.lead, ids) if s is not None]
                batch = MemoryLeadBatch(self._db, found)
                yield batch
                batch.commit()

    async def find(self, reference: str) -> Lead | None:
        """A lead by its reference."""
        refuse_nesting("find")
        return next((s.lead for s in self._db.leads if s.lead.reference == reference), None)

    async def get(self, lead_id: int) -> Lead | None:
        """A lead by its id."""
        refuse_nesting("get")
        stored = self._db.lead(lead_id)
        return None if stored is None else stored.lead

    async def leads(
        self, statuses: Sequence[str] | None = None, counter_id: str | None = None
    ) -> list[Lead]:
        """Leads (of these statuses, assigned to this counter), newest first."""
        return [
            lead
            for lead in self._newest_first()
            if (statuses is None or lead.status in statuses)
            and (counter_id is None or lead.counter_id == counter_id)
        ]

    async def tally(self) -> dict[str, int]:
        """How many leads stand in each status."""
        return dict(Counter(lead.status for lead in self._newest_first()))

    async def by_card(self, chat_id: int, message_id: int) -> Lead | None:
        """The lead whose card is this message."""
        refuse_nesting("by_card")
        ids = {
            c.lead_id
            for c in self._db.cards.values()
            if (c.chat_id, c.message_id) == (chat_id, message_id)
        }
        return next((lead for lead in self._newest_first() if lead.id in ids), None)

    async def awaiting(self, person_id: int) -> Lead | None:
        """The lead waiting for a reason from this person, if any (the newest)."""
        refuse_nesting("awaiting")
        return next(
            (
                lead
                for lead in self._newest_first()
                if lead.awaiting is not None and lead.awaiting.person_id == person_id
            ),
            None,
        )

    async def relaying(self, chat_key: str) -> Lead | None:
        """The citizen's lead whose relay is open, if any (the newest)."""
        refuse_nesting("relaying")
        return next(
            (
                lead
                for lead in self._newest_first()
                if lead.chat_key == chat_key and lead.relay_open
            ),
            None,
        )

    async def events(self, lead_id: int) -> list[LeadEvent]:
        """A lead's timeline, oldest first."""
        timeline = [e for e in self._db.lead_events if e.lead_id == lead_id]
        return [
            dataclasses.replace(e, detail=json_copy(e.detail))
            for e in sorted(timeline, key=lambda e: e.at)  # stable: logging order on ties
        ]

    async def cards(self, lead_id: int) -> list[Card]:
        """Where the lead's card is shown, by chat id."""
        refuse_nesting("cards")
        return sorted(
            (c for c in self._db.cards.values() if c.lead_id == lead_id), key=lambda c: c.chat_id
        )

    async def add_card(self, card: Card) -> None:
        """Remember where a card was sent (a second one for the same chat replaces it)."""
        refuse_nesting("add_card")
        if self._db.lead(card.lead_id) is None:
            raise UnknownLead(f"no lead has id {card.lead_id}")
        self._db.cards[(card.lead_id, card.chat_id)] = card

    def _newest_first(self) -> list[Lead]:
        return sorted((s.lead for s in self._db.leads), key=lambda lead: -lead.id)
