"""The in-memory database: plain collections the memory stores share, as the SQL tables are."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

from bot.core.conversation import Event
from bot.services.clock import Clock, utc_now
from bot.services.locks import KeyedLocks
from bot.services.ports import Conversation, JsonObject, Notice, PreApplication
from bot.services.ports_advisors import Card, CodeKind, Group, Lead, LeadEvent, Person
from bot.services.ports_dashboard import Credential
from bot.storage.keys import aware
from bot.storage.pseudonyms import Pseudonyms, random_pseudonyms


@dataclasses.dataclass(slots=True)
class StoredConversation:
    """A conversation row."""

    conversation: Conversation
    created_at: dt.datetime


@dataclasses.dataclass(slots=True)
class StoredLead:
    """A pre-application row, worked as a lead; `chat_key` is None once anonymised."""

    lead: Lead
    anonymised_at: dt.datetime | None = None

    @property
    def chat_key(self) -> str | None:
        """The citizen's chat, until anonymised."""
        return self.lead.chat_key

    @property
    def record(self) -> PreApplication:
        """The pre-application as the citizen's side sees it."""
        lead = self.lead
        return PreApplication(
            lead.reference,
            lead.chat_key,
            lead.filing,
            lead.status,
            lead.created_at,
            lead.counter_id if lead.assigned_at is not None else lead.filing.counter_id,
        )


@dataclasses.dataclass(slots=True)
class StoredCode:
    """A link code row."""

    kind: CodeKind
    target: str
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


@dataclasses.dataclass(slots=True)
class StoredEvent:
    """An event row, under the chat's pseudonym."""

    pseudonym: str
    event: Event
    at: dt.datetime


@dataclasses.dataclass(slots=True)
class StoredNotice:
    """An outbox row."""

    id: int
    notice: Notice
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    attempts: int = 0
    delivered_at: dt.datetime | None = None
    dead_at: dt.datetime | None = None
    error: str | None = None

    @property
    def waiting(self) -> bool:
        """Neither delivered nor given up."""
        return self.delivered_at is None and self.dead_at is None


class MemoryDatabase:
    """Everything the memory stores hold; nothing durable (tests, demos)."""

    def __init__(self, *, clock: Clock = utc_now, pseudonyms: Pseudonyms | None = None) -> None:
        self.clock = clock
        self.pseudonyms = pseudonyms or random_pseudonyms()
        self.conversations: dict[str, StoredConversation] = {}
        self.processed: dict[tuple[str, int], dt.datetime] = {}
        self.leads: list[StoredLead] = []
        self.last_lead_id = 0
        self.lead_locks: KeyedLocks[int] = KeyedLocks()
        self.lead_events: list[LeadEvent] = []
        self.cards: dict[tuple[int, int], Card] = {}
        self.people: dict[int, Person] = {}
        self.last_person_id = 0
        self.groups: dict[int, Group] = {}
        self.codes: dict[str, StoredCode] = {}
        self.wrong_codes: list[tuple[int, dt.datetime]] = []
        self.credentials: dict[int, Credential] = {}
        self.sign_in_failures: list[tuple[str, dt.datetime]] = []
        self.counters: dict[int, int] = {}
        # Held by a session from its first filing to its end, as the SQL counter row is.
        self.numbering = asyncio.Lock()
        self.events: list[StoredEvent] = []
        self.outbox: dict[int, StoredNotice] = {}
        self.inbox: dict[tuple[str, int], tuple[JsonObject, dt.datetime]] = {}
        self.last_notice_id = 0
        self.locks: KeyedLocks[str] = KeyedLocks()

    def waiting(self, recipient: str) -> list[StoredNotice]:
        """A recipient's outbox rows not delivered nor given up, in order."""
        return sorted(
            (n for n in self.outbox.values() if n.notice.recipient == recipient and n.waiting),
            key=lambda n: n.id,
        )

    def lead(self, lead_id: int) -> StoredLead | None:
        """The committed lead with this id."""
        return next((s for s in self.leads if s.lead.id == lead_id), None)

    async def close(self) -> None:
        """Nothing to release."""


def utc(value: dt.datetime) -> dt.datetime:
    """An aware instant, in UTC."""
    return aware(value).astimezone(dt.UTC)
