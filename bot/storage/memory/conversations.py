"""The citizen's turn in memory: changes staged in a session and applied only on success."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from bot.core.conversation import Event
from bot.core.filing import Filing
from bot.services.ports import (
    ChatSession,
    Conversation,
    Forgotten,
    Notice,
    PreApplication,
    QueuedNotice,
)
from bot.services.ports_advisors import Lead
from bot.storage.errors import StaleConversation
from bot.storage.guard import holding_chat
from bot.storage.keys import aware, check_same_chat, json_copy, reference, reference_year
from bot.storage.memory.outbox import stage_notices
from bot.storage.memory.state import (
    MemoryDatabase,
    StoredConversation,
    StoredEvent,
    StoredLead,
    StoredNotice,
    utc,
)

REPLY = "reply"
FILED = "nouveau"  # the status of a lead just filed


class MemoryChatSession:
    """Changes to one conversation, staged until the block ends and applied only on success.

    After `forget`, the session sees the chat as the SQL transaction does: nothing committed
    before is left of it, and what the session writes next survives the erasure.
    """

    def __init__(self, database: MemoryDatabase, chat_key: str) -> None:
        self._db = database
        self._chat_key = chat_key
        self._claims: dict[int, dt.datetime] = {}
        self._saved: StoredConversation | None = None
        self._events: list[StoredEvent] = []
        self._filed: list[StoredLead] = []
        self._numbers: dict[int, int] = {}
        self._numbering = False
        self._notices: list[StoredNotice] = []
        self._forgotten: dt.datetime | None = None
        self._keep_leads = False  # an erasure that leaves the chat's leads as they are

    async def claim_update(self, update_id: int) -> bool:
        """Record an update id; False when it was already processed (drop it)."""
        committed = self._forgotten is None and (self._chat_key, update_id) in self._db.processed
        if update_id in self._claims or committed:
            return False
        self._claims[update_id] = utc(self._db.clock())
        return True

    async def conversation(self) -> Conversation | None:
        """The stored conversation, if any."""
        stored = self._current()
        if stored is None:
            return None
        return dataclasses.replace(stored.conversation, state=json_copy(stored.conversation.state))

    async def undelivered(self) -> int:
        """How many replies to this chat wait in the outbox, not yet delivered."""
        committed = [] if self._forgotten is not None else self._db.waiting(self._chat_key)
        staged = [n for n in self._notices if n.notice.recipient == self._chat_key]
        return sum(1 for n in [*committed, *staged] if n.notice.kind == REPLY)

    async def save(self, conversation: Conversation) -> None:
        """Insert or update the conversation (its `version` must be the stored one + 1)."""
        check_same_chat(self._chat_key, conversation.chat_key)
        if conversation.updated_at is not None:
            aware(conversation.updated_at)
        current = self._current()
        stored = 0 if current is None else current.conversation.version
        if conversation.version != stored + 1:
            pseudonym = self._db.pseudonyms.of(self._chat_key)
            raise StaleConversation(pseudonym, stored, conversation.version)
        updated_at = utc(conversation.updated_at or self._db.clock())
        self._saved = StoredConversation(
            dataclasses.replace(
                conversation, state=json_copy(conversation.state), updated_at=updated_at
            ),
            updated_at if current is None else current.created_at,
        )

    async def log(self, events: Sequence[Event], at: dt.datetime) -> None:
        """Append events to the event log, under the chat's pseudonym."""
        aware(at)
        pseudonym = self._db.pseudonyms.of(self._chat_key)
        self._events.extend(StoredEvent(pseudonym, e, utc(at)) for e in events)

    async def file(self, filing: Filing, at: dt.datetime) -> PreApplication:
        """File a pre-application, or return the one already filed with the same key."""
        aware(at)
        aware(filing.consent_at)
        committed = [] if self._forgotten is not None else self._db.leads
        for stored in [*committed, *self._filed]:
            if (
                stored.chat_key == self._chat_key
                and stored.record.filing.idempotency_key == filing.idempotency_key
            ):
                return stored.record
        year = reference_year(at)
        number = await self._next_number(year)
        self._db.last_lead_id += 1  # ids of a rolled-back block are not reused: gaps
        filed = Lead(
            id=self._db.last_lead_id,
            reference=reference(year, number),
            chat_key=self._chat_key,
            filing=filing,
            status=FILED,
            status_at=utc(at),
            created_at=utc(at),
            version=1,
        )
        stored = StoredLead(filed)
        self._filed.append(stored)
        return stored.record

    async def staffed(self) -> frozenset[str]:
        """The counters with someone to work their leads (a linked group or advisor)."""
        db = self._db
        counters = {g.counter_id for g in db.groups.values() if g.counter_id is not None}
        for person in db.people.values():
            if person.works_leads:
                counters.update(person.counters)
        return frozenset(counters)

    async def enqueue(self, notices: Sequence[Notice], at: dt.datetime) -> list[QueuedNotice]:
        """Add messages to the outbox, delivered after commit; the rows as written, in order."""
        staged, written = stage_notices(self._db, notices, at)
        self._notices.extend(staged)
        return written

    async def forget(self, at: dt.datetime, leads: bool = True) -> Forgotten:
        """Erase the chat: conversation, updates, events, waiting messages; anonymise leads.

        With `leads` False, its leads are left as they are (only the conversation goes).
        """
        when = utc(at)
        if not leads:
            self._forgotten = when
            self._keep_leads = True
            self._claims.clear()
            self._saved = None
            self._events.clear()
            self._notices = [n for n in self._notices if n.notice.recipient != self._chat_key]
            return Forgotten(())
        committed = [] if self._forgotten is not None else self._db.leads
        found = [s for s in [*committed, *self._filed] if s.chat_key == self._chat_key]
        self._forgotten = when
        self._keep_leads = False
        self._claims.clear()
        self._saved = None
        self._events.clear()
        self._notices = [n for n in self._notices if n.notice.recipient != self._chat_key]
        for stored in self._filed:
            if stored.chat_key == self._chat_key:
                anonymise(self._db, stored, when)
        return Forgotten(tuple((s.record.reference, s.record.filing.counter_id) for s in found))

    def _current(self) -> StoredConversation | None:
        if self._saved is not None or self._forgotten is not None:
            return self._saved
        return self._db.conversations.get(self._chat_key)

    async def _next_number(self, year: int) -> int:
        # Like the SQL counter row, locked until the end of the transaction: a number is taken
        # only if this session commits, and another session's filing waits for it.
        if not self._numbering:
            await self._db.numbering.acquire()
            self._numbering = True
        number = self._numbers.get(year, self._db.counters.get(year, 0)) + 1
        self._numbers[year] = number
        return number

    def commit(self) -> None:
        """Apply the staged changes."""
        db, key = self._db, self._chat_key
        if self._forgotten is not None:
            erase(db, key, self._forgotten, leads=not self._keep_leads)
        db.leads.extend(self._filed)
        db.counters.update(self._numbers)
        for update_id, at in self._claims.items():
            db.processed[(key, update_id)] = at
        if self._saved is not None:
            db.conversations[key] = self._saved
        db.events.extend(self._events)
        for notice in self._notices:
            db.outbox[notice.id] = notice

    def close(self) -> None:
        """Release the reference numbers, whether the session committed or not."""
        if self._numbering:
            self._numbering = False
            self._db.numbering.release()


def erase(db: MemoryDatabase, chat_key: str, at: dt.datetime, leads: bool = True) -> None:
    """Delete a chat's conversation, updates, events and messages; anonymise its leads."""
    db.conversations.pop(chat_key, None)
    db.processed = {k: v for k, v in db.processed.items() if k[0] != chat_key}
    pseudonym = db.pseudonyms.of(chat_key)
    db.events = [e for e in db.events if e.pseudonym != pseudonym]
    db.outbox = {i: n for i, n in db.outbox.items() if n.notice.recipient != chat_key}
    for stored in db.leads if leads else ():
        if stored.chat_key == chat_key:
            anonymise(db, stored, at)


def anonymise(db: MemoryDatabase, stored: StoredLead, at: dt.datetime) -> None:
    """Keep where, who, what stage, themes and needs of a lead; drop the person.

    With no chat left, nothing is relayed to it and no advisor's reason is awaited for it; the
    notes and messages of its timeline lose their texts.
    """
    lead_id = stored.lead.id
    db.lead_events = [
        dataclasses.replace(e, text=None) if e.lead_id == lead_id else e for e in db.lead_events
    ]
    filing = stored.lead.filing.model_copy(
        update={"idea": None, "assessment": (), "contact": type(stored.lead.filing.contact)()}
    )
    stored.lead = dataclasses.replace(
        stored.lead, chat_key=None, filing=filing, relay_open=False, awaiting=None
    )
    stored.anonymised_at = at


class MemoryConversations:
    """Per-chat transactions in memory (an asyncio lock per chat)."""

    def __init__(self, database: MemoryDatabase) -> None:
        self._db = database

    @asynccontextmanager
    async def chat(self, chat_key: str) -> AsyncIterator[ChatSession]:
        """Open a transaction locked on one conversation; commit on exit, roll back on error."""
        with holding_chat():
            async with self._db.locks.hold(chat_key):
                session = MemoryChatSession(self._db, chat_key)
                try:
                    yield session
                    session.commit()
                finally:
                    session.close()
