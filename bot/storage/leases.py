"""The periodic jobs' leases in SQL: one upsert, which only an expired lease lets through.

`INSERT … ON CONFLICT (name) DO UPDATE … WHERE expires_at <= now RETURNING`: on PostgreSQL a
second replica taking the same lease at the same moment waits for the first one's commit, then
sees the new expiry and takes nothing; SQLite serialises the writers anyway.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage.connection import SqlDatabase
from bot.storage.keys import aware
from bot.storage.lease_table import LeaseRow


def _take(dialect: str, renew: bool) -> Any:
    insert_ = (postgresql if dialect == "postgresql" else sqlite).insert(LeaseRow)
    free = LeaseRow.expires_at <= bindparam("now")
    return insert_.on_conflict_do_update(
        index_elements=[LeaseRow.name],
        set_={"holder": insert_.excluded.holder, "expires_at": insert_.excluded.expires_at},
        where=or_(free, LeaseRow.holder == insert_.excluded.holder) if renew else free,
    ).returning(LeaseRow.name)


_TAKE = {
    (dialect, renew): _take(dialect, renew)
    for dialect in ("sqlite", "postgresql")
    for renew in (False, True)
}


class SqlLeases:
    """The leases of the periodic jobs, in SQL."""

    def __init__(self, database: SqlDatabase) -> None:
        self.database = database

    async def take(
        self, name: str, holder: str, until: dt.datetime, now: dt.datetime, renew: bool = False
    ) -> bool:
        """Take the job until `until` when its lease is free or expired at `now` (or ours)."""
        aware(now)
        aware(until)
        values = {"name": name, "holder": holder, "expires_at": until, "now": now}
        async with self.database.transaction() as connection:
            taken = await connection.execute(_TAKE[self.database.dialect, renew], values)
            return taken.first() is not None

    async def give_up(self, name: str, holder: str, now: dt.datetime) -> None:
        """Let the job go, if `holder` has it."""
        statement = (
            update(LeaseRow)
            .where(LeaseRow.name == name, LeaseRow.holder == holder)
            .values(expires_at=aware(now))
        )
        async with self.database.transaction() as connection:
            await connection.execute(statement)

    async def holder(self, name: str, now: dt.datetime) -> str | None:
        """Who holds the job at `now`."""
        query = select(LeaseRow.holder).where(LeaseRow.name == name, LeaseRow.expires_at > now)
        found = await self.database.read(lambda connection: connection.scalar(query))
        return None if found is None else str(found)
