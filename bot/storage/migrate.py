"""Schema migrations: bring a database to the newest revision; refuse one newer than the code."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.connection import SQLITE_BEGIN, create_engine
from bot.storage.errors import DatabaseTooNew

MIGRATIONS = Path(__file__).resolve().with_name("migrations")

# Key of the PostgreSQL advisory lock that keeps two starting replicas from migrating at once.
_MIGRATION_LOCK = 0x436F6D70746F6972

log = logging.getLogger(__name__)

__all__ = ["DatabaseTooNew", "alembic_config", "current_revision", "upgrade", "upgrade_engine"]


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for our migrations, with no alembic.ini (for `command.*`)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        # ConfigParser interpolation: a literal % in a password must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head() -> str | None:
    """The newest revision this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(url: str) -> None:
    """Bring a new or older database to the newest revision (DatabaseTooNew if it is newer)."""
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
    finally:
        await engine.dispose()


async def upgrade_engine(engine: AsyncEngine) -> None:
    """Like `upgrade`, on an engine the caller keeps (one transaction, serialised)."""
    async with engine.begin() as connection:
        await connection.run_sync(upgrade_connection)


async def current_revision(url: str) -> str | None:
    """The revision a database is at; None when it was never migrated."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            connection = await connection.execution_options(**{SQLITE_BEGIN: "BEGIN"})
            return await connection.run_sync(_current_revision)
    finally:
        await engine.dispose()


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_connection(connection: Connection) -> None:
    """Like `upgrade`, inside a transaction the caller holds on a synchronous connection."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    known = {revision.revision for revision in script.walk_revisions()}
    current = MigrationContext.configure(connection).get_current_heads()
    for revision in current:
        if revision not in known:
            raise DatabaseTooNew(revision, script.get_current_head())
    if set(current) == set(script.get_heads()):
        return
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    log.info(
        "database schema upgraded from %s to %s",
        ", ".join(current) or "nothing",
        ", ".join(script.get_heads()),
    )
