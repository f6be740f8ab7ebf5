"""The inbox in SQL: updates fetched by long polling, kept until they are processed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.services.ports import JsonObject
from bot.storage.connection import SqlDatabase
from bot.storage.guard import refuse_nesting
from bot.storage.keys import aware
from bot.storage.tables import InboxRow

_HOLD = {
    "sqlite": sqlite.insert(InboxRow).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(InboxRow).on_conflict_do_nothing(),
}


class SqlInbox:
    """One write per fetched batch: the new updates in, the processed ones out."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    async def hold(
        self,
        channel: str,
        updates: Sequence[tuple[int, JsonObject]],
        done: Sequence[int],
        at: dt.datetime,
    ) -> None:
        """Keep fetched updates (id, raw JSON) and forget those processed since, in one go."""
        refuse_nesting("hold")
        aware(at)
        if not updates and not done:
            return
        async with self._database.transaction() as connection:
            if done:
                await connection.execute(
                    delete(InboxRow).where(
                        InboxRow.channel == channel, InboxRow.update_id.in_(list(done))
                    )
                )
            if updates:
                rows = [
                    {"channel": channel, "update_id": i, "payload": p, "received_at": at}
                    for i, p in updates
                ]
                await connection.execute(_HOLD[self._database.dialect], rows)

    async def held(self, channel: str) -> list[tuple[int, JsonObject]]:
        """The updates fetched and not processed (after a crash), oldest first."""
        refuse_nesting("held")
        query = (
            select(InboxRow.update_id, InboxRow.payload)
            .where(InboxRow.channel == channel)
            .order_by(InboxRow.update_id)
        )
        async with self._database.transaction() as connection:
            return [(row.update_id, row.payload) for row in (await connection.execute(query))]
