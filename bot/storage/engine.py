"""Async engines for the two supported backends, with SQLite set up for safe concurrent writes."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from sqlalchemy import event
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
    _serialise_writers(engine)
    return engine


def _create_directory(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _serialise_writers(engine: AsyncEngine) -> None:
    # The recipe of SQLAlchemy's SQLite documentation ("Serializable isolation"): the driver
    # must not emit BEGIN itself (it would defer it past SELECTs), so we emit it, IMMEDIATE by
    # default: the write lock is taken at once, and a second writer waits (busy timeout) instead
    # of failing later with "database is locked" when upgrading from a read.
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # Readers never block the writer, nor the writer the readers.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        statement = connection.get_execution_options().get(SQLITE_BEGIN, "BEGIN IMMEDIATE")
        connection.exec_driver_sql(statement)
