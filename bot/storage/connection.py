"""Connections to one database: SQLite on the event loop's thread, or PostgreSQL's async engine.

SQLite (the embedded default) runs the statements of a turn in place on the loop's thread:
a statement on a local file takes microseconds, less than aiosqlite's hop to a thread and back
(about 4 ms of CPU per turn, measured). Reads of many rows (an export, later dashboard lists
and statistics) go to a second connection in a worker thread, so the loop never waits for
them. PostgreSQL uses SQLAlchemy's async engine (asyncpg) for both.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sqlite3
import stat
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import CursorResult, Dialect, Engine, Executable, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.storage.errors import DatabaseClosed, UnsupportedDatabase

T = TypeVar("T")

# How long a writer waits for another process's transaction before giving up (SQLite).
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option naming the statement that opens a SQLite transaction (see `_sqlite_setup`).
SQLITE_BEGIN = "comptoir_sqlite_begin"
# A turn waiting this long for another replica's lock on the same chat gives up (PostgreSQL).
LOCK_TIMEOUT = "30s"

_to_json = functools.partial(json.dumps, ensure_ascii=False, allow_nan=False)


def backend(url: str | URL) -> str:
    """The backend of a URL ("sqlite" or "postgresql"); anything else is refused."""
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise UnsupportedDatabase(name)
    return name


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database or another backend."""
    parsed = make_url(url)
    database = parsed.database
    if backend(parsed) != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database)


def create_engine(url: str | URL) -> AsyncEngine:
    """An async engine for `url` (PostgreSQL in production; SQLite for Alembic's own runs)."""
    parsed = make_url(url)
    # No parameters in error messages or logs: they carry chat ids and contact data.
    if backend(parsed) == "postgresql":
        # No pre-ping: it cost three round trips (BEGIN, a ping, ROLLBACK) at every checkout,
        # a fifth of a webhook update's CPU (`tests/benchmarks/capacity.py`, alternated runs).
        # After PostgreSQL restarts, the first statement on a stale connection fails instead;
        # SQLAlchemy then discards the whole pool (the next checkout connects anew), and the
        # callers try again (the webhook's drains, the courier, the periodic jobs, Telegram).
        return create_async_engine(parsed, hide_parameters=True, json_serializer=_to_json)
    _prepare_file(parsed)
    engine = create_async_engine(parsed, hide_parameters=True, json_serializer=_to_json)
    _sqlite_setup(engine.sync_engine, SQLITE_BUSY_TIMEOUT_MS)
    return engine


def create_sqlite_engine(url: str | URL) -> Engine:
    """A synchronous SQLite engine for the stores, whose calls run on the event loop's thread.

    The busy timeout is 0 so that no call ever blocks the loop waiting for another process: a
    busy `BEGIN IMMEDIATE` is retried asynchronously instead. Writes use `synchronous = NORMAL`,
    the setting SQLite recommends with WAL: a crash of the process loses nothing committed; a
    power cut may lose the last transactions, never corrupt the file.
    """
    parsed = make_url(url)
    if backend(parsed) != "sqlite":
        raise ValueError("create_sqlite_engine takes a sqlite URL")
    _prepare_file(parsed)
    parsed = parsed.set(drivername="sqlite+pysqlite")
    engine = create_sync_engine(parsed, hide_parameters=True, json_serializer=_to_json)
    _sqlite_setup(engine, 0, synchronous="NORMAL")
    return engine


def _prepare_file(url: URL) -> None:
    """Create the database's folder (0700) and file (0600): it holds personal data."""
    path = sqlite_path(url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    # SQLite creates the -wal and -shm files with the database file's permissions.
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)


def _sqlite_setup(engine: Engine, busy_timeout_ms: int, synchronous: str = "FULL") -> None:
    # The recipe of SQLAlchemy's SQLite documentation ("Serializable isolation"): the driver
    # must not emit BEGIN itself (it would defer it past SELECTs), so we emit it, IMMEDIATE by
    # default: the write lock is taken at once, and a second writer waits (busy timeout) instead
    # of failing later with "database is locked" when upgrading from a read.
    # A statement of "" means the caller already began the transaction itself.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        # Readers never block the writer, nor the writer the readers.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted content is overwritten with zeros: erased data leaves no bytes in the file.
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        statement = connection.get_execution_options().get(SQLITE_BEGIN, "BEGIN IMMEDIATE")
        if statement:
            connection.exec_driver_sql(statement)


class LoopConnection:
    """The part of `AsyncConnection` the stores use, over a synchronous SQLite connection.

    Each call runs at once on the event loop's thread (see the module's docstring).
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


class SqlDatabase:
    """One database's connections, with a write transaction and an off-loop read path."""

    def __init__(self, engine: AsyncEngine | Engine) -> None:
        self.engine = engine
        self.dialect = backend(engine.url)
        # SQLite: a writing connection used on the loop's thread (SQLite has one writer at a
        # time, a connection one transaction: they queue on `_writing`), and a reading one used
        # from a worker thread (WAL: a read never waits for a write).
        self._writer: Connection | None = None
        self._reader: Connection | None = None
        if isinstance(engine, Engine):
            self._writer = engine.connect().execution_options(**{SQLITE_BEGIN: ""})
        self._writing = asyncio.Lock()
        self._reading = asyncio.Lock()
        # Held by the worker thread while it reads: a read whose awaiting task was cancelled
        # (a stop) still runs to its end, and the reader is closed only after it.
        self._reader_busy = threading.Lock()
        self._closed = False

    @classmethod
    def open(cls, url: str) -> SqlDatabase:
        """The connections to `url` (not migrated: see `bot.storage.open_storage`)."""
        if backend(url) != "sqlite":
            return cls(create_engine(url))
        if sqlite_path(url) is None:
            raise UnsupportedDatabase("sqlite in memory (use a file, or the memory storage)")
        return cls(create_sqlite_engine(url))

    @property
    def file(self) -> Path | None:
        """The SQLite file, if any."""
        return sqlite_path(self.engine.url)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Executor]:
        """A write transaction: committed when the block ends, rolled back on an error."""
        if self._closed:
            raise DatabaseClosed()
        if self._writer is None:
            assert isinstance(self.engine, AsyncEngine)
            async with self.engine.connect() as connection, connection.begin():
                yield connection
            return
        # A write takes the database's write lock at once (BEGIN IMMEDIATE): no read-then-write
        # upgrade can fail half-way.
        async with self._writing:
            writer = self._writer
            await _begin_immediate(writer)
            transaction = writer.begin()  # BEGIN already sent: SQLAlchemy sends nothing
            try:
                yield LoopConnection(writer)
            except BaseException:
                transaction.rollback()
                raise
            transaction.commit()

    async def read(self, query: Callable[[Connection], T]) -> T:
        """Run `query` on a read-only snapshot, off the event loop."""
        if self._closed:
            raise DatabaseClosed()
        if self._writer is None:
            assert isinstance(self.engine, AsyncEngine)
            async with self.engine.connect() as connection:
                return await connection.run_sync(query)
        async with self._reading:
            return await asyncio.to_thread(self._read_sqlite, query)

    def _read_sqlite(self, query: Callable[[Connection], T]) -> T:
        with self._reader_busy:
            if self._closed:
                raise DatabaseClosed()
            if self._reader is None:
                assert isinstance(self.engine, Engine)
                self._reader = self.engine.connect().execution_options(**{SQLITE_BEGIN: "BEGIN"})
            with self._reader.begin():  # a deferred BEGIN: a snapshot, no lock
                return query(self._reader)

    def _close_reader(self) -> None:
        with self._reader_busy:
            if self._reader is not None:
                self._reader.close()

    async def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the file and empty it (old pages go too)."""
        if self._writer is None:
            return
        async with self._writing:
            raw = self._writer.connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    async def vacuum(self, tables: tuple[str, ...]) -> None:
        """PostgreSQL: rewrite these tables, so that deleted rows leave the database files."""
        if not isinstance(self.engine, AsyncEngine) or self.dialect != "postgresql":
            return
        async with self.engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in tables:
                await connection.execute(text(f'VACUUM (FULL) "{table}"'))

    async def close(self) -> None:
        """Release connections; the stores refuse to work after (`DatabaseClosed`)."""
        self._closed = True
        if isinstance(self.engine, Engine):
            await asyncio.to_thread(self._close_reader)  # after a read under way, if any
            if self._writer is not None:
                self._writer.close()
            self.engine.dispose()
        else:
            await self.engine.dispose()


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
