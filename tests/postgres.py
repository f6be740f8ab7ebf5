"""A throw-away PostgreSQL database, for the tests and the benchmarks that need one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import create_async_engine


@asynccontextmanager
async def fresh_database(url: str, prefix: str = "comptoir_test") -> AsyncIterator[str]:
    """Create a new, empty database on `url`'s server; drop it afterwards (even if in use)."""
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()
