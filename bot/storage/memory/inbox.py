"""The inbox in memory, as the SQL one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.services.ports import JsonObject
from bot.storage.guard import refuse_nesting
from bot.storage.keys import aware, json_copy
from bot.storage.memory.state import MemoryDatabase, utc


class MemoryInbox:
    """Fetched updates not yet processed."""

    def __init__(self, database: MemoryDatabase) -> None:
        self._db = database

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
        for update_id in done:
            self._db.inbox.pop((channel, update_id), None)
        for update_id, payload in updates:
            self._db.inbox.setdefault((channel, update_id), (json_copy(payload), utc(at)))

    async def held(self, channel: str) -> list[tuple[int, JsonObject]]:
        """The updates fetched and not processed (after a crash), oldest first."""
        refuse_nesting("held")
        return sorted(
            (update_id, json_copy(payload))
            for (kind, update_id), (payload, _) in self._db.inbox.items()
            if kind == channel
        )
