"""Async engines for the two supported backends, with SQLite set up for safe concurrent writes."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage.errors import UnsupportedDatabase

DEFAULT_URL = "sqlite+aiosqlite:///var/comptoir.sqlite3"

# How long a writer waits for another process's transaction before giving up (SQLite).
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option naming the statement that opens a SQLite transaction (see `create_engine`).
SQLITE_BEGIN = "comptoir_sqlite_begin"

_to_json = functools.partial(json.dumps, ensure_ascii=False, allow_nan=False)


def backend(url: str | URL) -> str:
    """The backend of a URL ("sqlite" or "postgresql"); anything else is refused."""
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise UnsupportedDatabase(name)
    return name


def create_engine(url: str | URL) -> AsyncEngine:
    """An async engine for `url`; on SQLite, transactions start with BEGIN IMMEDIATE."""
    parsed = make_url(url)
    if backend(parsed) == "postgresql":
        # No parameters in error messages or logs: they carry chat ids and contact data.
        return create_async_engine(
            parsed, hide_parameters=True, json_serializer=_to_json, pool_pre_ping=True
        )
    _create_directory(parsed)
    engine = create_async_engine(parsed, hide_parameters=True, json_serializer=_to_json)
    _serialise_writers(engine.sync_engine, SQLITE_BUSY_TIMEOUT_MS)
    return engine


def create_sqlite_engine(url: str | URL) -> Engine:
    """A synchronous SQLite engine for the store, whose calls run on the event loop's thread.

    A SQLite statement on a local file takes microseconds: running it in place costs far less
    than aiosqlite's hop to a thread and back for each statement (about 4 ms of CPU per turn,
    measured). The busy timeout is 0 so that no call ever blocks the loop waiting for another
    process: `SqlStore` retries a busy `BEGIN IMMEDIATE` asynchronously instead. Writes use
    `synchronous = NORMAL`, the setting SQLite recommends with WAL: a crash of the process loses
    nothing committed; a power cut may lose the last transactions, never corrupt the file.
    """
    parsed = make_url(url)
    if backend(parsed) != "sqlite":
        raise ValueError("create_sqlite_engine takes a sqlite URL")
    _create_directory(parsed)
    parsed = parsed.set(drivername="sqlite+pysqlite")
    engine = create_sync_engine(parsed, hide_parameters=True, json_serializer=_to_json)
    _serialise_writers(engine, 0, synchronous="NORMAL")
    return engine


def _create_directory(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _serialise_writers(engine: Engine, busy_timeout_ms: int, synchronous: str = "FULL") -> None:
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
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        statement = connection.get_execution_options().get(SQLITE_BEGIN, "BEGIN IMMEDIATE")
        if statement:
            connection.exec_driver_sql(statement)
