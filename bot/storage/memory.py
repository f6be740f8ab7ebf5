"""The `Store` contract in memory, for fast tests and the demo: same behaviour, nothing durable."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from bot.core.conversation import Event
from bot.ports import (
    ChatSession,
    Conversation,
    OutboxMessage,
    PendingMessage,
    PreApplication,
    PreApplicationDraft,
)
from bot.storage.errors import StaleConversation
from bot.storage.export import export_document
from bot.storage.guard import holding_chat, refuse_nesting
from bot.storage.keys import (
    DEFAULT_LEASE,
    Clock,
    aware,
    chat_hash,
    json_copy,
    reference,
    reference_year,
    utc_now,
)

if TYPE_CHECKING:
    from bot.ports import Store

__all__ = ["DEFAULT_LEASE", "MemoryChatSession", "MemoryStore"]


@dataclasses.dataclass(slots=True)
class _StoredConversation:
    conversation: Conversation
    created_at: dt.datetime


@dataclasses.dataclass(slots=True)
class _StoredPreApplication:
    record: PreApplication
    chat_key: str | None
    anonymised_at: dt.datetime | None = None


@dataclasses.dataclass(slots=True)
class _StoredEvent:
    chat_hash: str
    event: Event
    at: dt.datetime


@dataclasses.dataclass(slots=True)
class _StoredMessage:
    id: int
    message: OutboxMessage
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    attempts: int = 0
    delivered_at: dt.datetime | None = None


class MemoryChatSession:
    """Changes to one conversation, staged until the block ends and applied only on success."""

    def __init__(self, store: MemoryStore, chat_key: str) -> None:
        self._store = store
        self._chat_key = chat_key
        self._claims: dict[int, dt.datetime] = {}
        self._saved: _StoredConversation | None = None
        self._events: list[_StoredEvent] = []
        self._filed: list[_StoredPreApplication] = []
        self._messages: list[_StoredMessage] = []

    async def claim_update(self, update_id: int) -> bool:
        """Record an update id; False when it was already processed (drop it)."""
        if update_id in self._claims or (self._chat_key, update_id) in self._store._processed:
            return False
        self._claims[update_id] = _utc(self._store._clock())
        return True

    async def conversation(self) -> Conversation | None:
        """The stored conversation, if any."""
        stored = self._current()
        if stored is None:
            return None
        return dataclasses.replace(stored.conversation, state=json_copy(stored.conversation.state))

    async def save(self, conversation: Conversation) -> None:
        """Insert or update the conversation (its `version` must be the stored one + 1)."""
        _check_same_chat(self._chat_key, conversation.chat_key)
        if conversation.updated_at is not None:
            aware(conversation.updated_at)
        current = self._current()
        stored = 0 if current is None else current.conversation.version
        if conversation.version != stored + 1:
            raise StaleConversation(chat_hash(self._chat_key), stored, conversation.version)
        updated_at = _utc(conversation.updated_at or self._store._clock())
        self._saved = _StoredConversation(
            dataclasses.replace(
                conversation, state=json_copy(conversation.state), updated_at=updated_at
            ),
            updated_at if current is None else current.created_at,
        )

    async def log(self, events: Sequence[Event], at: dt.datetime) -> None:
        """Append events to the event log, under the chat's hash."""
        aware(at)
        key = chat_hash(self._chat_key)
        self._events.extend(
            _StoredEvent(key, dataclasses.replace(e, detail=json_copy(e.detail)), _utc(at))
            for e in events
        )

    async def file(self, draft: PreApplicationDraft, at: dt.datetime) -> PreApplication:
        """File a pre-application, or return the one already filed with the same key."""
        aware(at)
        aware(draft.consent_at)
        _check_same_chat(self._chat_key, draft.chat_key)
        for stored in [*self._store._pre_applications, *self._filed]:
            if (
                stored.chat_key == self._chat_key
                and stored.record.idempotency_key == draft.idempotency_key
            ):
                return _copy(stored.record)
        year = reference_year(at)
        record = PreApplication(
            reference=reference(year, self._store._next_number(year)),
            chat_key=self._chat_key,
            idempotency_key=draft.idempotency_key,
            profile=json_copy(draft.profile),
            match_snapshot=json_copy(draft.match_snapshot),
            contact=json_copy(draft.contact),
            consent_at=_utc(draft.consent_at),
            consent_version=draft.consent_version,
            counter_id=draft.counter_id,
            status="nouvelle",
            created_at=_utc(at),
        )
        self._filed.append(_StoredPreApplication(record, self._chat_key))
        return _copy(record)

    async def enqueue(self, messages: Sequence[OutboxMessage], at: dt.datetime) -> None:
        """Add notifications to the outbox, delivered after commit."""
        aware(at)
        when = _utc(at)
        self._messages.extend(
            _StoredMessage(
                id=0,
                message=dataclasses.replace(m, payload=json_copy(m.payload)),
                created_at=when,
                next_attempt_at=when,
            )
            for m in messages
        )

    def _current(self) -> _StoredConversation | None:
        if self._saved is not None:
            return self._saved
        return self._store._conversations.get(self._chat_key)

    def _commit(self) -> None:
        store = self._store
        for update_id, at in self._claims.items():
            store._processed[(self._chat_key, update_id)] = at
        if self._saved is not None:
            store._conversations[self._chat_key] = self._saved
        store._events.extend(self._events)
        store._pre_applications.extend(self._filed)
        for message in self._messages:
            store._last_message_id += 1
            message.id = store._last_message_id
            store._outbox[message.id] = message


class MemoryStore:
    """In-memory storage honouring the `Store` contract (an asyncio lock per chat)."""

    def __init__(self, *, clock: Clock = utc_now, lease: dt.timedelta = DEFAULT_LEASE) -> None:
        self._clock = clock
        self._lease = lease
        self._conversations: dict[str, _StoredConversation] = {}
        self._processed: dict[tuple[str, int], dt.datetime] = {}
        self._pre_applications: list[_StoredPreApplication] = []
        self._counters: dict[int, int] = {}
        self._events: list[_StoredEvent] = []
        self._outbox: dict[int, _StoredMessage] = {}
        self._last_message_id = 0
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: dict[str, int] = {}

    @asynccontextmanager
    async def chat(self, chat_key: str) -> AsyncIterator[ChatSession]:
        """Open a transaction locked on one conversation; commit on exit, roll back on error."""
        with holding_chat():
            async with self._locked(chat_key):
                session = MemoryChatSession(self, chat_key)
                yield session
                session._commit()

    async def export(self, chat_key: str) -> dict[str, Any]:
        """Everything stored about a conversation, as JSON-ready data (GDPR access)."""
        stored = self._conversations.get(chat_key)
        key = chat_hash(chat_key)
        return json_copy(
            export_document(
                chat_key,
                None if stored is None else stored.conversation,
                None if stored is None else stored.created_at,
                [p.record for p in self._pre_applications if p.chat_key == chat_key],
                sum(1 for e in self._events if e.chat_hash == key),
                sum(1 for chat, _ in self._processed if chat == chat_key),
            )
        )

    async def forget(self, chat_key: str, at: dt.datetime) -> int:
        """Delete a conversation; anonymise its pre-applications; return how many were."""
        refuse_nesting("forget")
        aware(at)
        when = _utc(at)
        async with self._locked(chat_key):
            self._conversations.pop(chat_key, None)
            self._processed = {k: v for k, v in self._processed.items() if k[0] != chat_key}
            key = chat_hash(chat_key)
            self._events = [e for e in self._events if e.chat_hash != key]
            anonymised = 0
            for stored in self._pre_applications:
                if stored.chat_key == chat_key:
                    stored.chat_key = None
                    stored.record = dataclasses.replace(stored.record, chat_key="", contact={})
                    stored.anonymised_at = when
                    anonymised += 1
            return anonymised

    async def purge(self, before: dt.datetime) -> int:
        """Delete conversations untouched since `before` (retention limit); return the count."""
        refuse_nesting("purge")
        aware(before)
        limit = _utc(before)
        old = {
            key
            for key, stored in self._conversations.items()
            if _updated_at(stored.conversation) < limit
        }
        for key in old:
            del self._conversations[key]
        self._processed = {
            k: at for k, at in self._processed.items() if k[0] not in old and at >= limit
        }
        return len(old)

    async def due(
        self, now: dt.datetime, limit: int, kinds: Sequence[str] | None = None
    ) -> list[PendingMessage]:
        """Outbox messages due for delivery, oldest first, leased to the caller for a while."""
        refuse_nesting("due")
        aware(now)
        when = _utc(now)
        ready = sorted(
            (
                m
                for m in self._outbox.values()
                if m.delivered_at is None
                and m.next_attempt_at <= when
                and (kinds is None or m.message.kind in kinds)
            ),
            key=lambda m: (m.created_at, m.id),
        )[:limit]
        for message in ready:
            message.next_attempt_at = when + self._lease
        return [
            PendingMessage(
                id=m.id,
                kind=m.message.kind,
                recipient=m.message.recipient,
                payload=json_copy(m.message.payload),
                attempts=m.attempts,
            )
            for m in ready
        ]

    async def delivered(self, message_id: int, at: dt.datetime) -> None:
        """Mark an outbox message delivered."""
        refuse_nesting("delivered")
        aware(at)
        message = self._outbox.get(message_id)
        if message is not None and message.delivered_at is None:
            message.delivered_at = _utc(at)

    async def failed(self, message_id: int, retry_at: dt.datetime) -> None:
        """Count a failed attempt and schedule the next one."""
        refuse_nesting("failed")
        aware(retry_at)
        message = self._outbox.get(message_id)
        if message is not None and message.delivered_at is None:
            message.attempts += 1
            message.next_attempt_at = _utc(retry_at)

    async def close(self) -> None:
        """Nothing to release."""

    def _next_number(self, year: int) -> int:
        self._counters[year] = self._counters.get(year, 0) + 1
        return self._counters[year]

    @asynccontextmanager
    async def _locked(self, chat_key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_key, asyncio.Lock())
        self._lock_users[chat_key] = self._lock_users.get(chat_key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            # Forget the lock of a chat nobody waits for, so the dict does not grow forever.
            self._lock_users[chat_key] -= 1
            if self._lock_users[chat_key] == 0:
                del self._lock_users[chat_key], self._locks[chat_key]


def _utc(value: dt.datetime) -> dt.datetime:
    return aware(value).astimezone(dt.UTC)


def _copy(record: PreApplication) -> PreApplication:
    return dataclasses.replace(
        record,
        profile=json_copy(record.profile),
        match_snapshot=json_copy(record.match_snapshot),
        contact=json_copy(record.contact),
    )


def _updated_at(conversation: Conversation) -> dt.datetime:
    assert conversation.updated_at is not None
    return conversation.updated_at


def _check_same_chat(session_key: str, record_key: str) -> None:
    if record_key != session_key:
        raise ValueError("record belongs to another chat than the session's")


if TYPE_CHECKING:

    def _is_a_store(store: MemoryStore) -> Store:
        return store
