"""What the services need from storage and channels, named by role, with the records they pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.conversation import ChatRef, Event, Reply
from bot.core.filing import Filing

if TYPE_CHECKING:
    from bot.services.ports_advisors import Accounts, Leads
    from bot.services.ports_arrivals import Arrivals
    from bot.services.ports_content import ContentLog
    from bot.services.ports_dashboard import Credentials, LeadSearch
    from bot.services.ports_leases import Leases
    from bot.services.ports_observatory import ObservatoryData
    from bot.services.ports_signals import Signals
    from bot.services.ports_upkeep import UpkeepData

JsonObject = dict[str, Any]  # JSON data as a JSON column keeps it


# -- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conversation:
    """A persisted conversation: the engine state as JSON plus where it stands."""

    chat_key: str
    state: JsonObject
    tree_version: str
    node: str
    version: int  # optimistic version, +1 at each save
    language: str = "fr"
    campaign: str | None = None
    updated_at: dt.datetime | None = None
    # Kept only while the conversation lasts (its citizen refused consent): erased at its end,
    # or by the purge once left for `Retention.unkept`.
    ephemeral: bool = False


@dataclass(frozen=True, slots=True)
class PreApplication:
    """A filed pre-application, with its public reference (CPT-2026-000123)."""

    reference: str
    chat_key: str | None  # None once anonymised
    filing: Filing
    status: str
    created_at: dt.datetime
    # Where the lead is (None: the staff queue); before it is routed, where its filing said.
    counter_id: str | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to write to the outbox: to a citizen's chat or to a counter."""

    kind: str  # "reply" (to a citizen), "lead", "lead_forgotten"…
    recipient: str  # a chat key ("telegram:12345") or a counter id
    payload: JsonObject


@dataclass(frozen=True, slots=True)
class QueuedNotice:
    """An outbox row waiting for delivery."""

    id: int
    kind: str
    recipient: str
    payload: JsonObject
    attempts: int
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What erasing a citizen's data did: the references of their anonymised leads."""

    references: tuple[tuple[str, str | None], ...]  # (reference, counter id) of each lead


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """A conversation as the citizen may read it back (their data export)."""

    state: JsonObject
    language: str
    campaign: str | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    ephemeral: bool = False  # kept only while it lasts (no consent)


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Everything stored about one chat (GDPR access), before it is worded for the citizen."""

    conversation: StoredConversation | None
    pre_applications: tuple[PreApplication, ...]
    events: int  # the event log is pseudonymous: only counted
    queued: int  # messages still waiting in the outbox


@dataclass(frozen=True, slots=True)
class Purged:
    """How many rows a retention run deleted or anonymised, per kind."""

    conversations: int = 0
    updates: int = 0
    pre_applications: int = 0
    events: int = 0
    notices: int = 0


@dataclass(frozen=True, slots=True)
class Retention:
    """How long each kind of data is kept (see README, « Retention »)."""

    conversations: dt.timedelta = dt.timedelta(days=365)
    unkept: dt.timedelta = dt.timedelta(hours=24)  # a conversation without consent, left
    updates: dt.timedelta = dt.timedelta(days=7)
    events: dt.timedelta = dt.timedelta(days=365)
    pre_applications: dt.timedelta = dt.timedelta(days=365)
    dead_notices: dt.timedelta = dt.timedelta(days=7)
    inbox: dt.timedelta = dt.timedelta(days=7)
    delivered_notices: dt.timedelta = dt.timedelta(days=30)


RETENTION = Retention()


# -- storage, by role -------------------------------------------------------------------------


class ChatSession(Protocol):
    """One transaction on one conversation, holding its lock until the block ends."""

    async def claim_update(self, update_id: int) -> bool:
        """Record an update id; False when it was already processed (drop it)."""

    async def conversation(self) -> Conversation | None:
        """The stored conversation, if any."""

    async def undelivered(self) -> int:
        """How many messages to this chat wait in the outbox, not yet delivered."""

    async def save(self, conversation: Conversation) -> None:
        """Insert or update the conversation (its `version` must be the stored one + 1)."""

    async def log(self, events: Sequence[Event], at: dt.datetime) -> None:
        """Append events to the event log, under the chat's pseudonym."""

    async def file(self, filing: Filing, at: dt.datetime) -> PreApplication:
        """File a pre-application, or return the one already filed with the same key."""

    async def staffed(self) -> frozenset[str]:
        """The counters with someone to work their leads (as `Directory.staffed` says)."""

    async def enqueue(self, notices: Sequence[Notice], at: dt.datetime) -> list[QueuedNotice]:
        """Add messages to the outbox, delivered after commit; the rows as written, in order."""

    async def forget(self, at: dt.datetime, leads: bool = True) -> Forgotten:
        """Erase the chat: conversation, updates, events, waiting messages; anonymise leads.

        With `leads` False, its leads are left as they are (only the conversation goes).
        """


class Conversations(Protocol):
    """Per-chat transactions, for the citizen's turn."""

    def chat(self, chat_key: str) -> AbstractAsyncContextManager[ChatSession]:
        """Open a transaction locked on one conversation; commit on exit, roll back on error."""


class Outbox(Protocol):
    """Messages waiting for delivery, in order per recipient."""

    async def recipients(self, prefix: str, now: dt.datetime, limit: int) -> list[str]:
        """Recipients (whose key starts with `prefix`) with a message due for delivery."""

    async def queued(self, recipient: str, now: dt.datetime, limit: int) -> list[QueuedNotice]:
        """A recipient's waiting messages in order; none while the first is not due."""

    async def delivered(self, notice_ids: Sequence[int], at: dt.datetime) -> None:
        """Messages reached their recipient (a citizen's reply is deleted at once)."""

    async def failed(self, notice_id: int, retry_at: dt.datetime, error: str) -> None:
        """Count a failed attempt and schedule the next one."""

    async def dead(self, notice_id: int, at: dt.datetime, error: str) -> None:
        """A message that can never be delivered (refused as malformed): stop trying."""

    async def unreachable(self, recipient: str, at: dt.datetime, error: str) -> int:
        """The recipient blocked us: stop trying every message to them; return how many."""

    async def readdress(self, old: str, new: str) -> int:
        """Send what still waits for a recipient to its new address instead (a supergroup)."""

    async def retry_now(self, prefix: str, now: dt.datetime) -> int:
        """Make every failed message of these recipients due again (the channel is back)."""

    async def backlog(self, now: dt.datetime) -> int:
        """How many messages are due and waiting (a cheap count: readiness, metrics)."""


class Inbox(Protocol):
    """Updates a channel fetched and has not processed yet: kept until they are."""

    async def hold(
        self,
        channel: str,
        updates: Sequence[tuple[int, JsonObject]],
        done: Sequence[int],
        at: dt.datetime,
    ) -> None:
        """Keep fetched updates (id, raw JSON) and forget those processed since, in one go."""

    async def held(self, channel: str) -> list[tuple[int, JsonObject]]:
        """The updates fetched and not processed (after a crash), oldest first."""


class Privacy(Protocol):
    """The citizen's rights and the retention limits."""

    async def export(self, chat_key: str) -> PersonalData:
        """Everything stored about a chat (read off the event loop)."""

    async def purge(self, now: dt.datetime, retention: Retention) -> Purged:
        """Apply the retention limits as of `now`."""

    async def compact(self) -> None:
        """Make deleted rows unrecoverable from the database files (after an erasure)."""


class Keyed(Protocol):
    """A keyed hash (HMAC) under the deployment's secret: pseudonyms, hashed link codes."""

    def of(self, text: str) -> str:
        """The hex digest of `text`."""


@dataclass(frozen=True)
class Storage:
    """The stores of one database, by role."""

    conversations: Conversations
    outbox: Outbox
    privacy: Privacy
    inbox: Inbox
    accounts: Accounts
    leads: Leads
    database: Database
    keys: Keyed
    credentials: Credentials
    lead_search: LeadSearch
    content_log: ContentLog
    observatory: ObservatoryData
    upkeep: UpkeepData
    leases: Leases
    arrivals: Arrivals
    signals: Signals

    async def close(self) -> None:
        """Release connections."""
        await self.database.close()


class Database(Protocol):
    """The connections behind the stores."""

    async def close(self) -> None:
        """Release them."""


# -- channels ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    """One reply to send on a channel; `origin` is the message whose button was pressed."""

    chat: ChatRef
    reply: Reply
    origin: str | None = None
    first: bool = False  # the first reply of its turn (the old keyboard goes before it)
    edit: str | None = None  # a message of the bot to change instead of sending a new one
    # A conversation's replies: a new question's buttons replace the older question's. Cards
    # and notices (advisors) keep every message's buttons.
    conversation: bool = True
    seq: int | None = None  # the outbox row's id: increasing per chat (the web chat's replay)


class DeliveryFailed(Exception):
    """A delivery did not happen: try again later."""


class RecipientUnreachable(DeliveryFailed):
    """The recipient blocked the bot or left: never try again for these messages."""


class RecipientAway(DeliveryFailed):
    """The recipient is not connected now (a web citizen who left): their messages wait for
    them, the channel is not failing; `Courier.wake` sends them when they come back."""


class DeliveryRefused(DeliveryFailed):
    """The channel refused this message as malformed: it will never go; skip it."""


class Outbound(Protocol):
    """A channel's way out: sends one reply, never losing order within a chat."""

    @property
    def channel(self) -> str:
        """The channel's name, as in `ChatRef.channel`."""

    def compose(self, replies: Sequence[Reply]) -> list[Reply]:
        """The channel's grouping of a turn's replies (short lead-ins joined…)."""

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send one reply; the id of the message sent (or changed), if the channel has one.

        Raise `DeliveryFailed` (or a subclass) when it did not go.
        """

    def close(self) -> None:
        """Shutdown: start no new send (one waiting for its turn fails with DeliveryFailed)."""

    def working(self, chat: ChatRef) -> None:
        """A best-effort « typing… » hint; returns at once."""


class Consumer(Protocol):
    """Work the outbox carries inside Comptoir (route a filed lead…): done once, in order."""

    @property
    def channel(self) -> str:
        """The prefix of the recipients it serves (« leads » for `leads:CPT-2026-000123`)."""

    async def consume(self, notice: QueuedNotice) -> None:
        """Do the work of one row, idempotently (a crash may repeat it); raise to retry later."""
