"""The `Store` on SQLAlchemy async: SQLite (embedded default) or PostgreSQL (several replicas)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    CursorResult,
    Dialect,
    Engine,
    Executable,
    Row,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.conversation import Event
from bot.ports import (
    ChatSession,
    Conversation,
    OutboxMessage,
    PendingMessage,
    PreApplication,
    PreApplicationDraft,
)
from bot.storage.engine import (
    DEFAULT_URL,
    SQLITE_BEGIN,
    SQLITE_BUSY_TIMEOUT_MS,
    backend,
    create_engine,
    create_sqlite_engine,
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
from bot.storage.migrate import upgrade_connection, upgrade_engine
from bot.storage.tables import (
    ConversationRow,
    EventRow,
    OutboxRow,
    PreApplicationRow,
    ProcessedUpdateRow,
    ReferenceCounterRow,
)

if TYPE_CHECKING:
    from bot.ports import Store

__all__ = ["DEFAULT_LEASE", "DEFAULT_URL", "SqlChatSession", "SqlStore"]

log = logging.getLogger(__name__)

# A turn waiting this long for another replica's lock on the same chat gives up (PostgreSQL).
_LOCK_TIMEOUT = "30s"

# Bound parameters per statement stay far below SQLite's limit.
_BATCH = 500

_PRE_APPLICATION_COLUMNS = (
    PreApplicationRow.reference,
    PreApplicationRow.chat_key,
    PreApplicationRow.idempotency_key,
    PreApplicationRow.profile,
    PreApplicationRow.match_snapshot,
    PreApplicationRow.contact,
    PreApplicationRow.consent_at,
    PreApplicationRow.consent_version,
    PreApplicationRow.counter_id,
    PreApplicationRow.status,
    PreApplicationRow.created_at,
)


# The statements of every turn, built once: building one costs more than running it on SQLite.
_CLAIM_UPDATE = {
    "sqlite": sqlite.insert(ProcessedUpdateRow).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(ProcessedUpdateRow).on_conflict_do_nothing(),
}
_INSERT_CONVERSATION = {
    "sqlite": sqlite.insert(ConversationRow).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(ConversationRow).on_conflict_do_nothing(),
}
_SELECT_CONVERSATION = select(
    ConversationRow.state,
    ConversationRow.tree_version,
    ConversationRow.node,
    ConversationRow.version,
    ConversationRow.language,
    ConversationRow.campaign,
    ConversationRow.updated_at,
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


class LoopConnection:
    """The part of `AsyncConnection` the store uses, over a synchronous SQLite connection.

    Each call runs at once on the event loop's thread (see `create_sqlite_engine`).
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    @property
    def sync(self) -> Connection:
        """The synchronous connection (for Alembic)."""
        return self._connection

    @property
    def dialect(self) -> Dialect:
        """The connection's dialect."""
        return self._connection.dialect

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
        """Run a statement."""
        return self._connection.execute(statement, parameters)

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        """Run a statement; the first column of its first row."""
        return self._connection.scalar(statement, parameters)


Executor = AsyncConnection | LoopConnection


class SqlChatSession:
    """One transaction on one conversation, whose lock `SqlStore.chat` already holds."""

    def __init__(self, connection: Executor, chat_key: str, clock: Clock) -> None:
        self._connection = connection
        self._chat_key = chat_key
        self._clock = clock
        self._dialect = connection.dialect.name

    async def claim_update(self, update_id: int) -> bool:
        """Record an update id; False when it was already processed (drop it)."""
        values = {"chat_key": self._chat_key, "update_id": update_id, "at": self._clock()}
        result = await self._connection.execute(_CLAIM_UPDATE[self._dialect], values)
        return result.rowcount == 1

    async def conversation(self) -> Conversation | None:
        """The stored conversation, if any."""
        row = (
            await self._connection.execute(_SELECT_CONVERSATION, {"b_chat_key": self._chat_key})
        ).one_or_none()
        if row is None:
            return None
        return Conversation(
            chat_key=self._chat_key,
            state=row.state,
            tree_version=row.tree_version,
            node=row.node,
            version=row.version,
            language=row.language,
            campaign=row.campaign,
            updated_at=row.updated_at,
        )

    async def save(self, conversation: Conversation) -> None:
        """Insert or update the conversation (its `version` must be the stored one + 1)."""
        _check_same_chat(self._chat_key, conversation.chat_key)
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
            raise StaleConversation(chat_hash(self._chat_key), stored or 0, conversation.version)

    async def log(self, events: Sequence[Event], at: dt.datetime) -> None:
        """Append events to the event log, under the chat's hash."""
        aware(at)
        if not events:
            return
        key = chat_hash(self._chat_key)
        await self._connection.execute(
            _INSERT_EVENTS,
            [
                {"chat_hash": key, "kind": e.kind, "node": e.node, "detail": e.detail, "at": at}
                for e in events
            ],
        )

    async def file(self, draft: PreApplicationDraft, at: dt.datetime) -> PreApplication:
        """File a pre-application, or return the one already filed with the same key."""
        aware(at)
        aware(draft.consent_at)
        _check_same_chat(self._chat_key, draft.chat_key)
        existing = (
            await self._connection.execute(
                select(*_PRE_APPLICATION_COLUMNS).where(
                    PreApplicationRow.chat_key == self._chat_key,
                    PreApplicationRow.idempotency_key == draft.idempotency_key,
                )
            )
        ).one_or_none()
        if existing is not None:
            return _pre_application(existing)
        year = reference_year(at)
        record = PreApplication(
            reference=reference(year, await self._next_number(year)),
            chat_key=self._chat_key,
            idempotency_key=draft.idempotency_key,
            profile=json_copy(draft.profile),
            match_snapshot=json_copy(draft.match_snapshot),
            contact=json_copy(draft.contact),
            consent_at=aware(draft.consent_at).astimezone(dt.UTC),
            consent_version=draft.consent_version,
            counter_id=draft.counter_id,
            status="nouvelle",
            created_at=aware(at).astimezone(dt.UTC),
        )
        await self._connection.execute(
            insert(PreApplicationRow).values(
                reference=record.reference,
                chat_key=record.chat_key,
                idempotency_key=record.idempotency_key,
                profile=record.profile,
                match_snapshot=record.match_snapshot,
                contact=record.contact,
                consent_at=record.consent_at,
                consent_version=record.consent_version,
                counter_id=record.counter_id,
                status=record.status,
                created_at=record.created_at,
            )
        )
        return record

    async def enqueue(self, messages: Sequence[OutboxMessage], at: dt.datetime) -> None:
        """Add notifications to the outbox, delivered after commit."""
        aware(at)
        if not messages:
            return
        await self._connection.execute(
            insert(OutboxRow),
            [
                {
                    "kind": m.kind,
                    "recipient": m.recipient,
                    "payload": m.payload,
                    "created_at": at,
                    "attempts": 0,
                    "next_attempt_at": at,
                }
                for m in messages
            ],
        )

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


class SqlStore:
    """Durable storage on SQLAlchemy async; `connect` migrates the database first."""

    def __init__(
        self,
        engine: AsyncEngine | Engine,
        *,
        clock: Clock = utc_now,
        lease: dt.timedelta = DEFAULT_LEASE,
    ) -> None:
        """Use `engine`: asynchronous for PostgreSQL, `create_sqlite_engine`'s for SQLite."""
        self._engine = engine
        self._dialect = backend(engine.url)
        self._clock = clock
        self._lease = lease
        # SQLite: a writing and a reading connection, used on the loop's thread. Transactions of
        # each queue on its lock (SQLite has one writer at a time, a connection one transaction);
        # a read never waits for a write (WAL), so an export works inside a turn.
        self._sqlite: Connection | None = None
        self._reader: Connection | None = None
        if isinstance(engine, Engine):
            self._sqlite = engine.connect().execution_options(**{SQLITE_BEGIN: ""})
        self._writing = asyncio.Lock()
        self._reading = asyncio.Lock()

    @classmethod
    async def connect(
        cls,
        url: str = DEFAULT_URL,
        *,
        clock: Clock = utc_now,
        lease: dt.timedelta = DEFAULT_LEASE,
    ) -> SqlStore:
        """Open the database at `url` (SQLAlchemy URL), migrated to the newest revision."""
        if backend(url) == "sqlite":
            store = cls(create_sqlite_engine(url), clock=clock, lease=lease)
            try:
                async with store._transaction() as connection:
                    assert isinstance(connection, LoopConnection)
                    upgrade_connection(connection.sync)
            except BaseException:
                await store.close()
                raise
        else:
            engine = create_engine(url)
            try:
                await upgrade_engine(engine)
            except BaseException:
                await engine.dispose()
                raise
            store = cls(engine, clock=clock, lease=lease)
        log.info("store opened on %s", store._dialect)
        return store

    @property
    def engine(self) -> AsyncEngine | Engine:
        """The engine (for health checks)."""
        return self._engine

    async def rows(self, statement: Executable) -> list[Row[Any]]:
        """Run a read-only statement and return its rows (diagnostics and tests)."""
        async with self._transaction(read_only=True) as connection:
            return list((await connection.execute(statement)).all())

    @asynccontextmanager
    async def chat(self, chat_key: str) -> AsyncIterator[ChatSession]:
        """Open a transaction locked on one conversation; commit on exit, roll back on error."""
        with holding_chat():
            async with self._transaction() as connection:
                await self._lock(connection, chat_key)
                yield SqlChatSession(connection, chat_key, self._clock)

    async def export(self, chat_key: str) -> dict[str, Any]:
        """Everything stored about a conversation, as JSON-ready data (GDPR access)."""
        async with self._transaction(read_only=True) as connection:
            row = (
                await connection.execute(
                    select(ConversationRow).where(
                        ConversationRow.chat_key == chat_key, ConversationRow.version > 0
                    )
                )
            ).one_or_none()
            pre_applications = (
                await connection.execute(
                    select(*_PRE_APPLICATION_COLUMNS)
                    .where(PreApplicationRow.chat_key == chat_key)
                    .order_by(PreApplicationRow.id)
                )
            ).all()
            events = await connection.scalar(
                select(func.count()).where(EventRow.chat_hash == chat_hash(chat_key))
            )
            processed = await connection.scalar(
                select(func.count()).where(ProcessedUpdateRow.chat_key == chat_key)
            )
        conversation = None
        if row is not None:
            conversation = Conversation(
                chat_key=chat_key,
                state=row.state,
                tree_version=row.tree_version,
                node=row.node,
                version=row.version,
                language=row.language,
                campaign=row.campaign,
                updated_at=row.updated_at,
            )
        return export_document(
            chat_key,
            conversation,
            None if row is None else row.created_at,
            [_pre_application(p) for p in pre_applications],
            events or 0,
            processed or 0,
        )

    async def forget(self, chat_key: str, at: dt.datetime) -> int:
        """Delete a conversation; anonymise its pre-applications; return how many were."""
        refuse_nesting("forget")
        aware(at)
        async with self._transaction() as connection:
            # Wait for a turn in progress on this chat rather than interleave with it.
            await connection.execute(
                select(ConversationRow.version)
                .where(ConversationRow.chat_key == chat_key)
                .with_for_update()
            )
            await connection.execute(
                delete(ConversationRow).where(ConversationRow.chat_key == chat_key)
            )
            await connection.execute(
                delete(ProcessedUpdateRow).where(ProcessedUpdateRow.chat_key == chat_key)
            )
            await connection.execute(
                delete(EventRow).where(EventRow.chat_hash == chat_hash(chat_key))
            )
            result = await connection.execute(
                update(PreApplicationRow)
                .where(PreApplicationRow.chat_key == chat_key)
                .values(chat_key=None, contact={}, anonymised_at=at)
            )
            return result.rowcount

    async def purge(self, before: dt.datetime) -> int:
        """Delete conversations untouched since `before` (retention limit); return the count."""
        refuse_nesting("purge")
        aware(before)
        async with self._transaction() as connection:
            purged = (
                await connection.execute(
                    delete(ConversationRow)
                    .where(ConversationRow.updated_at < before)
                    .returning(ConversationRow.chat_key, ConversationRow.version)
                )
            ).all()
            keys = [row.chat_key for row in purged]
            for start in range(0, len(keys), _BATCH):
                await connection.execute(
                    delete(ProcessedUpdateRow).where(
                        ProcessedUpdateRow.chat_key.in_(keys[start : start + _BATCH])
                    )
                )
            # Past the retention date an update id is no use for de-duplication either.
            await connection.execute(
                delete(ProcessedUpdateRow).where(ProcessedUpdateRow.at < before)
            )
        # Rows at version 0 are lock rows of chats that never saved: not conversations.
        return sum(1 for row in purged if row.version > 0)

    async def due(
        self, now: dt.datetime, limit: int, kinds: Sequence[str] | None = None
    ) -> list[PendingMessage]:
        """Outbox messages due for delivery, oldest first, leased to the caller for a while."""
        refuse_nesting("due")
        aware(now)
        async with self._transaction() as connection:
            query = (
                select(
                    OutboxRow.id,
                    OutboxRow.kind,
                    OutboxRow.recipient,
                    OutboxRow.payload,
                    OutboxRow.attempts,
                )
                .where(OutboxRow.delivered_at.is_(None), OutboxRow.next_attempt_at <= now)
                .where(OutboxRow.kind.in_(kinds) if kinds is not None else true())
                .order_by(OutboxRow.created_at, OutboxRow.id)
                .limit(limit)
                # Two workers never take the same message; neither waits for the other.
                .with_for_update(skip_locked=True)
            )
            rows = (await connection.execute(query)).all()
            if rows:
                await connection.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_([row.id for row in rows]))
                    .values(next_attempt_at=now + self._lease)
                )
        return [
            PendingMessage(
                id=row.id,
                kind=row.kind,
                recipient=row.recipient,
                payload=row.payload,
                attempts=row.attempts,
            )
            for row in rows
        ]

    async def delivered(self, message_id: int, at: dt.datetime) -> None:
        """Mark an outbox message delivered."""
        refuse_nesting("delivered")
        aware(at)
        async with self._transaction() as connection:
            await connection.execute(
                update(OutboxRow)
                .where(OutboxRow.id == message_id, OutboxRow.delivered_at.is_(None))
                .values(delivered_at=at)
            )

    async def failed(self, message_id: int, retry_at: dt.datetime) -> None:
        """Count a failed attempt and schedule the next one."""
        refuse_nesting("failed")
        aware(retry_at)
        async with self._transaction() as connection:
            await connection.execute(
                update(OutboxRow)
                .where(OutboxRow.id == message_id, OutboxRow.delivered_at.is_(None))
                .values(attempts=OutboxRow.attempts + 1, next_attempt_at=retry_at)
            )

    async def close(self) -> None:
        """Release connections."""
        if isinstance(self._engine, Engine):
            for connection in (self._sqlite, self._reader):
                if connection is not None:
                    connection.close()
            self._engine.dispose()
        else:
            await self._engine.dispose()

    @asynccontextmanager
    async def _transaction(self, *, read_only: bool = False) -> AsyncIterator[Executor]:
        if self._sqlite is None:
            assert isinstance(self._engine, AsyncEngine)
            async with self._engine.connect() as connection, connection.begin():
                yield connection
            return
        if read_only and self._engine.url.database not in (None, "", ":memory:"):
            async with self._reading:
                if self._reader is None:
                    assert isinstance(self._engine, Engine)
                    self._reader = self._engine.connect().execution_options(
                        **{SQLITE_BEGIN: "BEGIN"}
                    )
                with self._reader.begin():  # a deferred BEGIN: a snapshot, no lock
                    yield LoopConnection(self._reader)
            return
        # A write takes the database's write lock at once (BEGIN IMMEDIATE): no read-then-write
        # upgrade can fail half-way.
        async with self._writing:
            sync = self._sqlite
            await _begin_immediate(sync)
            transaction = sync.begin()  # BEGIN already sent: SQLAlchemy sends nothing
            try:
                yield LoopConnection(sync)
            except BaseException:
                transaction.rollback()
                raise
            transaction.commit()

    async def _lock(self, connection: Executor, chat_key: str) -> None:
        # SQLite: BEGIN IMMEDIATE already holds the database's write lock, and a first `save`
        # inserts the row. PostgreSQL: lock the conversation row, inserting it first (version 0)
        # so a brand-new chat has a row to lock; a concurrent insert of the same key waits for
        # ours to commit.
        if self._dialect == "sqlite":
            return
        await connection.execute(text(f"SET LOCAL lock_timeout = '{_LOCK_TIMEOUT}'"))
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
            await connection.execute(_INSERT_CONVERSATION[self._dialect], placeholder)
            locked = await connection.scalar(_LOCK_CONVERSATION, {"b_chat_key": chat_key})
            if locked is not None:
                return
        raise RuntimeError("could not lock the conversation (deleted again and again)")


async def _begin_immediate(connection: Connection) -> None:
    """Take SQLite's write lock without blocking the loop: a busy database is retried later."""
    raw = connection.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.001
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            busy = error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
            if not busy or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)


def _pre_application(row: Row[Any]) -> PreApplication:
    return PreApplication(
        reference=row.reference,
        chat_key=row.chat_key,
        idempotency_key=row.idempotency_key,
        profile=row.profile,
        match_snapshot=row.match_snapshot,
        contact=row.contact,
        consent_at=row.consent_at,
        consent_version=row.consent_version,
        counter_id=row.counter_id,
        status=row.status,
        created_at=row.created_at,
    )


def _check_same_chat(session_key: str, record_key: str) -> None:
    if record_key != session_key:
        raise ValueError("record belongs to another chat than the session's")


if TYPE_CHECKING:

    def _is_a_store(store: SqlStore) -> Store:
        return store
