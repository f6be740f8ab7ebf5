"""The citizen's turn in SQL: one transaction locked on the chat, with everything it writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Update,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.conversation import Event
from bot.core.filing import Filing
from bot.services.clock import Clock, utc_now
from bot.services.ports import (
    ChatSession,
    Conversation,
    Forgotten,
    Notice,
    PreApplication,
    QueuedNotice,
)
from bot.storage.connection import LOCK_TIMEOUT, Executor, SqlDatabase
from bot.storage.errors import StaleConversation
from bot.storage.guard import holding_chat
from bot.storage.keys import aware, check_same_chat, reference, reference_year
from bot.storage.outbox import write_notices
from bot.storage.pseudonyms import Pseudonyms
from bot.storage.records import conversation, filing_columns, line_columns, pre_application
from bot.storage.tables import (
    ConversationRow,
    EventRow,
    GroupRow,
    LeadEventRow,
    LeadLineRow,
    OutboxRow,
    PersonCounterRow,
    PersonRow,
    PreApplicationRow,
    ProcessedUpdateRow,
    ReferenceCounterRow,
)

REPLY = "reply"
FILED = "nouveau"  # the status of a lead just filed

# The statements of every turn, built once: building one costs more than running it on SQLite.
_CLAIM_UPDATE = {
    "sqlite": sqlite.insert(ProcessedUpdateRow).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(ProcessedUpdateRow).on_conflict_do_nothing(),
}
_INSERT_CONVERSATION = {
    "sqlite": sqlite.insert(ConversationRow).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(ConversationRow).on_conflict_do_nothing(),
}
_UNDELIVERED_WHERE = (
    OutboxRow.recipient == bindparam("b_chat_key"),
    OutboxRow.kind == REPLY,
    OutboxRow.delivered_at.is_(None),
    OutboxRow.dead_at.is_(None),
)
_UNDELIVERED = select(func.count()).where(*_UNDELIVERED_WHERE)
# One statement reads the conversation and how many of its replies still wait for delivery.
_SELECT_CONVERSATION = select(
    ConversationRow.state,
    ConversationRow.tree_version,
    ConversationRow.node,
    ConversationRow.version,
    ConversationRow.language,
    ConversationRow.campaign,
    ConversationRow.updated_at,
    ConversationRow.ephemeral,
    _UNDELIVERED.scalar_subquery().label("undelivered"),
).where(ConversationRow.chat_key == bindparam("b_chat_key"), ConversationRow.version > 0)
_UPDATE_CONVERSATION = update(ConversationRow).where(
    ConversationRow.chat_key == bindparam("b_chat_key"),
    ConversationRow.version == bindparam("b_expected"),
)
_INSERT_EVENTS = insert(EventRow)
_LOCK_CONVERSATION = (
    select(ConversationRow.version)
    .where(ConversationRow.chat_key == bindparam("b_chat_key"))
    .with_for_update()
)
# The counters with someone to work their leads, as `Directory.staffed` says: a linked group,
# or an active advisor with a linked Telegram account or a dashboard password.
_STAFFED: CompoundSelect[tuple[str]] = union(
    select(GroupRow.counter_id).where(GroupRow.counter_id.is_not(None)),
    select(PersonCounterRow.counter_id)
    .join(PersonRow, PersonRow.id == PersonCounterRow.person_id)
    .where(
        PersonRow.disabled_at.is_(None),
        or_(PersonRow.telegram_user_id.is_not(None), PersonRow.password_hash.is_not(None)),
        PersonRow.role == "advisor",
    ),
)
PRE_APPLICATION_COLUMNS = (
    PreApplicationRow.reference,
    PreApplicationRow.chat_key,
    PreApplicationRow.idempotency_key,
    PreApplicationRow.profile,
    PreApplicationRow.idea,
    PreApplicationRow.assessment,
    PreApplicationRow.match_snapshot,
    PreApplicationRow.contact,
    PreApplicationRow.consent_at,
    PreApplicationRow.consent_version,
    PreApplicationRow.counter_id,
    PreApplicationRow.campaign,
    PreApplicationRow.status,
    PreApplicationRow.created_at,
    PreApplicationRow.assigned_counter_id,
    PreApplicationRow.assigned_at,
)


class SqlChatSession:
    """One transaction on one conversation, whose lock `SqlConversations.chat` already holds."""

    def __init__(
        self, connection: Executor, chat_key: str, clock: Clock, pseudonyms: Pseudonyms
    ) -> None:
        self._connection = connection
        self._chat_key = chat_key
        self._clock = clock
        self._pseudonyms = pseudonyms
        self._dialect = connection.dialect.name
        self._undelivered: int | None = None  # read with the conversation, then kept up to date

    async def claim_update(self, update_id: int) -> bool:
        """Record an update id; False when it was already processed (drop it)."""
        values = {"chat_key": self._chat_key, "update_id": update_id, "at": self._clock()}
        result = await self._connection.execute(_CLAIM_UPDATE[self._dialect], values)
        return result.rowcount == 1

    async def conversation(self) -> Conversation | None:
        """The stored conversation, if any."""
        result = await self._connection.execute(
            _SELECT_CONVERSATION, {"b_chat_key": self._chat_key}
        )
        row = result.one_or_none()
        if row is None:
            return None
        self._undelivered = int(row.undelivered or 0)  # the transaction's own writes included
        return conversation(self._chat_key, row)

    async def undelivered(self) -> int:
        """How many replies to this chat wait in the outbox, not yet delivered."""
        if self._undelivered is None:
            count = await self._connection.scalar(_UNDELIVERED, {"b_chat_key": self._chat_key})
            self._undelivered = int(count or 0)
        return self._undelivered

    async def save(self, conversation: Conversation) -> None:
        """Insert or update the conversation (its `version` must be the stored one + 1)."""
        check_same_chat(self._chat_key, conversation.chat_key)
        if conversation.updated_at is not None:
            aware(conversation.updated_at)
        updated_at = conversation.updated_at or self._clock()
        values: dict[str, Any] = {
            "state": conversation.state,
            "tree_version": conversation.tree_version,
            "node": conversation.node,
            "version": conversation.version,
            "language": conversation.language,
            "campaign": conversation.campaign,
            "updated_at": updated_at,
            "ephemeral": conversation.ephemeral,
        }
        if conversation.version == 1:
            values["created_at"] = updated_at
        # On PostgreSQL `chat()` inserted the row at version 0 if it was missing, so a save is an
        # update; on SQLite, where the database lock suffices, a first save inserts the row.
        key = {"b_chat_key": self._chat_key, "b_expected": conversation.version - 1}
        result = await self._connection.execute(_UPDATE_CONVERSATION, {**values, **key})
        if result.rowcount != 1 and conversation.version == 1:
            result = await self._connection.execute(
                _INSERT_CONVERSATION[self._dialect], {**values, "chat_key": self._chat_key}
            )
        if result.rowcount != 1:
            stored = await self._connection.scalar(
                select(ConversationRow.version).where(ConversationRow.chat_key == self._chat_key)
            )
            pseudonym = self._pseudonyms.of(self._chat_key)
            raise StaleConversation(pseudonym, stored or 0, conversation.version)

    async def log(self, events: Sequence[Event], at: dt.datetime) -> None:
        """Append events to the event log, under the chat's pseudonym."""
        aware(at)
        if not events:
            return
        pseudonym = self._pseudonyms.of(self._chat_key)
        await self._connection.execute(
            _INSERT_EVENTS,
            [
                {
                    "chat_hash": pseudonym,
                    "kind": e.kind,
                    "node": e.node,
                    "detail": e.detail,
                    "at": at,
                }
                for e in events
            ],
        )

    async def file(self, filing: Filing, at: dt.datetime) -> PreApplication:
        """File a pre-application, or return the one already filed with the same key."""
        aware(at)
        aware(filing.consent_at)
        existing = (
            await self._connection.execute(
                select(*PRE_APPLICATION_COLUMNS).where(
                    PreApplicationRow.chat_key == self._chat_key,
                    PreApplicationRow.idempotency_key == filing.idempotency_key,
                )
            )
        ).one_or_none()
        if existing is not None:
            return pre_application(existing)
        year = reference_year(at)
        filed = reference(year, await self._next_number(year))
        lead_id = await self._connection.scalar(
            insert(PreApplicationRow)
            .values(
                reference=filed,
                chat_key=self._chat_key,
                created_at=at,
                status=FILED,
                status_at=at,
                **filing_columns(filing),
            )
            .returning(PreApplicationRow.id)
        )
        assert isinstance(lead_id, int)
        await self._connection.execute(
            insert(LeadLineRow).values(line_columns(lead_id, filed, filing, FILED, at))
        )
        created = at.astimezone(dt.UTC)
        return PreApplication(filed, self._chat_key, filing, FILED, created, filing.counter_id)

    async def staffed(self) -> frozenset[str]:
        """The counters with someone to work their leads, read in this transaction."""
        result = await self._connection.execute(_STAFFED)
        return frozenset(str(row[0]) for row in result.all())

    async def enqueue(self, notices: Sequence[Notice], at: dt.datetime) -> list[QueuedNotice]:
        """Add messages to the outbox, delivered after commit; the rows as written, in order."""
        written = await write_notices(self._connection, notices, at)
        if self._undelivered is not None:
            self._undelivered += sum(
                1 for n in notices if n.recipient == self._chat_key and n.kind == REPLY
            )
        return written

    async def forget(self, at: dt.datetime, leads: bool = True) -> Forgotten:
        """Erase the chat: conversation, updates, events, waiting messages; anonymise leads.

        With `leads` False, its leads are left as they are (only the conversation goes).
        """
        aware(at)
        key = self._chat_key
        run = self._connection.execute
        await run(delete(ConversationRow).where(ConversationRow.chat_key == key))
        await run(delete(ProcessedUpdateRow).where(ProcessedUpdateRow.chat_key == key))
        await run(delete(EventRow).where(EventRow.chat_hash == self._pseudonyms.of(key)))
        await run(delete(OutboxRow).where(OutboxRow.recipient == key))
        self._undelivered = 0
        if not leads:
            return Forgotten(())
        for statement in anonymised_elsewhere(PreApplicationRow.chat_key == key):
            await run(statement)
        anonymised = await run(
            update(PreApplicationRow)
            .where(PreApplicationRow.chat_key == key)
            .values(ANONYMOUS | {"anonymised_at": at})
            .returning(PreApplicationRow.reference, PreApplicationRow.counter_id)
        )
        return Forgotten(tuple((row.reference, row.counter_id) for row in anonymised.all()))

    async def _next_number(self, year: int) -> int:
        # One upsert: the counter row stays locked until commit, so numbers have no gaps.
        values = {"year": year, "last": 1}
        bump = {"last": ReferenceCounterRow.last + 1}
        if self._dialect == "postgresql":
            pg = postgresql.insert(ReferenceCounterRow).values(values)
            statement: Any = pg.on_conflict_do_update(index_elements=["year"], set_=bump)
        else:
            lite = sqlite.insert(ReferenceCounterRow).values(values)
            statement = lite.on_conflict_do_update(index_elements=["year"], set_=bump)
        number = await self._connection.scalar(statement.returning(ReferenceCounterRow.last))
        assert isinstance(number, int)
        return number


def anonymised_elsewhere(*which: ColumnElement[bool]) -> tuple[Update, ...]:
    """What anonymising these leads clears beside their row: the texts of the notes and
    messages of their timeline, and the idea and first name of their list line."""
    leads = select(PreApplicationRow.id).where(*which)
    return (
        update(LeadEventRow).where(LeadEventRow.lead_id.in_(leads)).values(text=None),
        update(LeadLineRow)
        .where(LeadLineRow.lead_id.in_(leads))
        .values(idea=None, first_name=None, search=LeadLineRow.search_public),
    )


# What an anonymised pre-application keeps: where, who, what stage, themes and needs — no person;
# with no chat left, nothing is relayed to it and no advisor's reason is awaited for it.
ANONYMOUS: dict[str, Any] = {
    "chat_key": None,
    "contact": {},
    "idea": None,
    "assessment": None,
    "relay_open": False,
    "awaiting_person_id": None,
    "awaiting_action": None,
}


class SqlConversations:
    """Per-chat transactions: SQLite's write lock, or a row lock on PostgreSQL."""

    def __init__(self, database: SqlDatabase, pseudonyms: Pseudonyms, clock: Clock = utc_now):
        self._database = database
        self._pseudonyms = pseudonyms
        self._clock = clock

    @asynccontextmanager
    async def chat(self, chat_key: str) -> AsyncIterator[ChatSession]:
        """Open a transaction locked on one conversation; commit on exit, roll back on error."""
        with holding_chat():
            async with self._database.transaction() as connection:
                await self._lock(connection, chat_key)
                yield SqlChatSession(connection, chat_key, self._clock, self._pseudonyms)

    async def _lock(self, connection: Executor, chat_key: str) -> None:
        # SQLite: BEGIN IMMEDIATE already holds the database's write lock, and a first `save`
        # inserts the row. PostgreSQL: lock the conversation row, inserting it first (version 0)
        # so a brand-new chat has a row to lock; a concurrent insert of the same key waits for
        # ours to commit.
        if self._database.dialect == "sqlite":
            return
        await connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        now = self._clock()
        placeholder = {
            "chat_key": chat_key,
            "state": {},
            "tree_version": "",
            "node": "",
            "version": 0,
            "language": "fr",
            "campaign": None,
            "created_at": now,
            "updated_at": now,
        }
        # A `forget` may delete the row between our insert and our lock: insert again.
        for _ in range(3):
            await connection.execute(_INSERT_CONVERSATION["postgresql"], placeholder)
            locked = await connection.scalar(_LOCK_CONVERSATION, {"b_chat_key": chat_key})
            if locked is not None:
                return
        raise RuntimeError("could not lock the conversation (deleted again and again)")
