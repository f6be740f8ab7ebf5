"""What the advisors' side needs from storage: people, groups, link codes, leads, by role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.core.filing import Filing
from bot.services.ports import JsonObject, Notice, QueuedNotice

Role = Literal["advisor", "staff"]
CodeKind = Literal["person", "counter", "staff", "invite", "setup"]
"""Telegram links (a person, a counter's group, the staff group) and dashboard links (an
invitation to set a password, the first start's staff account)."""


# -- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """An advisor of one or more counters, or a member of the département's staff."""

    id: int
    email: str
    name: str  # « Camille Martin »
    role: Role
    counters: tuple[str, ...]
    telegram_user_id: int | None
    created_at: dt.datetime
    disabled_at: dt.datetime | None = None
    dashboard: bool = False  # has a dashboard password (works leads from the browser)

    @property
    def works_leads(self) -> bool:
        """An active advisor reachable for leads: on Telegram, or on the dashboard."""
        reachable = self.telegram_user_id is not None or self.dashboard
        return self.active and self.role == "advisor" and reachable

    @property
    def first_name(self) -> str:
        """The first word of the name, as cards and citizens read it."""
        return self.name.split()[0] if self.name.split() else self.name

    @property
    def active(self) -> bool:
        """Not disabled."""
        return self.disabled_at is None


@dataclass(frozen=True, slots=True)
class Group:
    """A Telegram group linked to a counter, or the staff group (`counter_id` None)."""

    chat_id: int
    counter_id: str | None
    digest: bool  # one reminder message a day instead of one per lead
    linked_at: dt.datetime


@dataclass(frozen=True, slots=True)
class LinkCode:
    """What a redeemed one-time code links: a person (target: their id), a counter, the staff."""

    kind: CodeKind
    target: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Awaiting:
    """An advisor asked for a reason (« pas pour nous », « réorienté vers… »): their next text."""

    person_id: int
    action: str


@dataclass(frozen=True, slots=True)
class Lead:
    """A filed pre-application as the advisors work it."""

    id: int
    reference: str
    chat_key: str | None  # None once the citizen erased their data
    filing: Filing
    status: str
    status_at: dt.datetime
    created_at: dt.datetime
    version: int  # +1 at every change (cards and notices are keyed by it)
    counter_id: str | None = None  # the counter it is assigned to; None: the staff queue
    reason: str | None = None  # why this counter (« couvre Arras au niveau du département… »)
    assigned_at: dt.datetime | None = None
    taken_by: int | None = None  # the person who took it
    relay_open: bool = False  # the citizen's free texts go to the advisors
    citizen_told: bool = False  # the citizen was told it was taken (once)
    reminded_on: dt.date | None = None
    escalated_at: dt.datetime | None = None
    excluded: tuple[str, ...] = ()  # counters that said « pas pour nous »
    awaiting: Awaiting | None = None


@dataclass(frozen=True, slots=True)
class LeadEvent:
    """Something that happened to a lead, with who did it."""

    lead_id: int
    kind: str  # routed, taken, status, note, relay_out, relay_in, reminder, escalated…
    actor: str  # "person:12", "citizen", "system", "cli"
    at: dt.datetime
    detail: JsonObject
    text: str | None = None  # a note's, a message's to or from the citizen (personal: erasable)


@dataclass(frozen=True, slots=True)
class Card:
    """Where a lead's card is shown (to edit it when the lead changes)."""

    lead_id: int
    chat_id: int
    message_id: int
    version: int = 0  # the lead's version it shows


# -- storage, by role -------------------------------------------------------------------------


class Accounts(Protocol):
    """People, their Telegram accounts, counters' groups and one-time link codes."""

    async def add_person(
        self, email: str, name: str, role: Role, counters: Sequence[str], at: dt.datetime
    ) -> Person:
        """Create a person; `DuplicatePerson` when the e-mail is taken (case-insensitive)."""

    async def people(self) -> list[Person]:
        """Everyone, by e-mail."""

    async def person(self, person_id: int) -> Person | None:
        """One person by id."""

    async def person_by_email(self, email: str) -> Person | None:
        """One person by e-mail (case-insensitive)."""

    async def person_by_telegram(self, user_id: int) -> Person | None:
        """The person a Telegram account is linked to (disabled ones included)."""

    async def disable(self, email: str, at: dt.datetime) -> Person | None:
        """Disable a person (they keep their history); None when unknown."""

    async def link_person(self, person_id: int, telegram_user_id: int, at: dt.datetime) -> None:
        """Link a Telegram account to a person (taken from whoever had it before)."""

    async def add_code(
        self, code_hash: str, kind: CodeKind, target: str, expires_at: dt.datetime, at: dt.datetime
    ) -> None:
        """Store a one-time code, by the hash of its text only."""

    async def redeem(
        self, code_hash: str, at: dt.datetime, kinds: Sequence[CodeKind]
    ) -> LinkCode | None:
        """Use a code of one of these kinds once; None when unknown, used, expired or other."""

    async def link_group(self, chat_id: int, counter_id: str | None, at: dt.datetime) -> Group:
        """Link a Telegram group to a counter (None: the staff group; there is one)."""

    async def move_group(self, old_chat_id: int, new_chat_id: int) -> Group | None:
        """A group became a supergroup: its link and its cards follow its new id."""

    async def group(self, chat_id: int) -> Group | None:
        """A linked group."""

    async def groups(self) -> list[Group]:
        """Every linked group."""

    async def set_digest(self, chat_id: int, digest: bool) -> None:
        """One daily digest of reminders for this group, or one message per lead."""

    async def wrong_code(self, chat_id: int, at: dt.datetime) -> int:
        """Record a wrong code tried in a chat; how many were tried there in the last hour."""

    async def wrong_codes(self, chat_id: int, since: dt.datetime) -> int:
        """How many wrong codes were tried in a chat since `since`."""


class LeadSession(Protocol):
    """One transaction on one lead, locked until the block ends."""

    async def lead(self) -> Lead:
        """The lead as stored."""

    async def save(self, lead: Lead) -> None:
        """Store the changed lead; its `version` must be the stored one + 1 (`StaleLead`)."""

    async def log(self, events: Sequence[LeadEvent]) -> None:
        """Add events to the lead's timeline."""

    async def enqueue(self, notices: Sequence[Notice], at: dt.datetime) -> list[QueuedNotice]:
        """Add messages to the outbox, delivered after commit."""


class LeadBatch(Protocol):
    """One transaction on several leads (a counter's daily digest), locked until it ends."""

    async def leads(self) -> list[Lead]:
        """The leads that still exist, as stored, by id."""

    async def save(self, lead: Lead) -> None:
        """Store a changed lead of the batch; its `version` must be the stored one + 1."""

    async def log(self, events: Sequence[LeadEvent]) -> None:
        """Add events to the timelines of the batch's leads."""

    async def enqueue(self, notices: Sequence[Notice], at: dt.datetime) -> list[QueuedNotice]:
        """Add messages to the outbox, delivered after commit."""


class Leads(Protocol):
    """Leads, their timeline and where their cards are shown."""

    def lead(self, lead_id: int) -> AbstractAsyncContextManager[LeadSession]:
        """Open a transaction locked on one lead (`UnknownLead` when there is none)."""

    def batch(self, lead_ids: Sequence[int]) -> AbstractAsyncContextManager[LeadBatch]:
        """Open a transaction locked on several leads, in id order (missing ones left out)."""

    async def find(self, reference: str) -> Lead | None:
        """A lead by its reference."""

    async def get(self, lead_id: int) -> Lead | None:
        """A lead by its id."""

    async def leads(
        self, statuses: Sequence[str] | None = None, counter_id: str | None = None
    ) -> list[Lead]:
        """Leads (of these statuses, assigned to this counter), newest first."""

    async def tally(self) -> dict[str, int]:
        """How many leads stand in each status (statuses without any left out)."""

    async def by_card(self, chat_id: int, message_id: int) -> Lead | None:
        """The lead whose card is this message."""

    async def awaiting(self, person_id: int) -> Lead | None:
        """The lead waiting for a reason from this person, if any."""

    async def relaying(self, chat_key: str) -> Lead | None:
        """The citizen's lead whose relay is open, if any (the newest)."""

    async def events(self, lead_id: int) -> list[LeadEvent]:
        """A lead's timeline, oldest first."""

    async def cards(self, lead_id: int) -> list[Card]:
        """Where the lead's card is shown."""

    async def add_card(self, card: Card) -> None:
        """Remember where a card was sent (a second one for the same chat replaces it)."""


# -- what the stores raise --------------------------------------------------------------------


class DuplicatePerson(ValueError):
    """A person with this e-mail already exists."""


class UnknownLead(LookupError):
    """No lead has this id."""


class StaleLead(RuntimeError):
    """A lead saved with a version that is not the stored one + 1: someone changed it meanwhile."""
