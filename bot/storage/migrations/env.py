"""Alembic environment: migrates on the caller's connection, or on an async engine of its own."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.connection import create_engine
from bot.storage.tables import Base

config = context.config


def run_offline() -> None:
    """Write the migration SQL to standard output (`alembic upgrade --sql`)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    """Migrate on a connection; the caller's open transaction is committed by the caller."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things: autogenerate "move and copy" batch operations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online(url: str) -> None:
    """Migrate with an async engine, in one transaction (used by the `alembic` command)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


def main() -> None:
    """Entry point Alembic runs for every command."""
    if context.is_offline_mode():
        run_offline()
        return
    shared = config.attributes.get("connection")
    if isinstance(shared, Connection):
        run_on(shared)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no connection and no sqlalchemy.url given to Alembic")
    asyncio.run(run_online(url))


main()
