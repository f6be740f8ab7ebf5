"""The storage contract the service relies on: records and the `Store` protocol (by role)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.conversation import Event


@dataclass(frozen=True, slots=True)
class Conversation:
    """A persisted conversation: the engine state as JSON plus where it stands."""

    chat_key: str
    state: dict[str, Any]
    tree_version: str
    node: str
    version: int  # optimistic version, +1 at each save
    language: str = "fr"
    campaign: str | None = None
    updated_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class PreApplicationDraft:
    """What the engine asks to file; `idempotency_key` makes a double tap file once."""

    chat_key: str
    idempotency_key: str
    profile: dict[str, Any]
    match_snapshot: dict[str, Any]
    contact: dict[str, Any]
    consent_at: dt.datetime
    consent_version: str
    counter_id: str | None


@dataclass(frozen=True, slots=True)
class PreApplication:
    """A filed pre-application, with its public reference (CPT-2026-000123)."""

    reference: str
    chat_key: str
    idempotency_key: str
    profile: dict[str, Any]
    match_snapshot: dict[str, Any]
    contact: dict[str, Any]
    consent_at: dt.datetime
    consent_version: str
    counter_id: str | None
    status: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A notification to deliver later, with retries (to a citizen or an advisor)."""

    kind: str
    recipient: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """An outbox row claimed for delivery."""

    id: int
    kind: str
    recipient: str
    payload: dict[str, Any]
    attempts: int


class ChatSession(Protocol):
    """One transaction on one conversation, holding its lock until the block ends."""

    async def claim_update(self, update_id: int) -> bool:
        """Record an update id; False when it was already processed (drop it)."""

    async def conversation(self) -> Conversation | None:
        """The stored conversation, if any."""

    async def save(self, conversation: Conversation) -> None:
        """Insert or update the conversation (its `version` must be the stored one + 1)."""

    async def log(self, events: Sequence[Event], at: dt.datetime) -> None:
        """Append events to the event log."""

    async def file(self, draft: PreApplicationDraft, at: dt.datetime) -> PreApplication:
        """File a pre-application, or return the one already filed with the same key."""

    async def enqueue(self, messages: Sequence[OutboxMessage], at: dt.datetime) -> None:
        """Add notifications to the outbox, delivered after commit."""


class Store(Protocol):
    """Durable storage: conversations, processed updates, pre-applications, events, outbox."""

    def chat(self, chat_key: str) -> AbstractAsyncContextManager[ChatSession]:
        """Open a transaction locked on one conversation; commit on exit, roll back on error."""

    async def export(self, chat_key: str) -> dict[str, Any]:
        """Everything stored about a conversation, as JSON-ready data (GDPR access)."""

    async def forget(self, chat_key: str, at: dt.datetime) -> int:
        """Delete a conversation; anonymise its pre-applications; return how many were."""

    async def purge(self, before: dt.datetime) -> int:
        """Delete conversations untouched since `before` (retention limit); return the count."""

    async def due(
        self, now: dt.datetime, limit: int, kinds: Sequence[str] | None = None
    ) -> list[PendingMessage]:
        """Outbox messages due for delivery (of these kinds), oldest first, leased a while."""

    async def delivered(self, message_id: int, at: dt.datetime) -> None:
        """Mark an outbox message delivered."""

    async def failed(self, message_id: int, retry_at: dt.datetime) -> None:
        """Count a failed attempt and schedule the next one."""

    async def close(self) -> None:
        """Release connections."""
