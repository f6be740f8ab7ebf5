"""The content audit log and the published versions, in memory."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.services.ports_content import ContentChange, Publication
from bot.storage.memory.state import MemoryDatabase


class MemoryContentLog:
    """The same contract as the SQL log, in two lists."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database
        self._changes: list[ContentChange] = []
        self._versions: list[Publication] = []

    async def record(self, change: ContentChange) -> int:
        """Append a change; its id."""
        stored = dataclasses.replace(change, id=len(self._changes) + 1)
        self._changes.append(stored)
        return stored.id

    async def history(self, record_id: str | None = None, limit: int = 100) -> list[ContentChange]:
        """The newest changes first (of one record, or of all)."""
        chosen = [c for c in self._changes if record_id is None or c.record_id == record_id]
        return chosen[::-1][:limit]

    async def last_change(self) -> int | None:
        """The id of the newest change, if any."""
        return self._changes[-1].id if self._changes else None

    async def changes_after(self, change_id: int) -> int:
        """How many changes were saved after this one."""
        return sum(1 for c in self._changes if c.id > change_id)

    async def publish(
        self, at: dt.datetime, author: str, last_change: int | None, digest: str
    ) -> Publication:
        """Record a new publication; it gets the next version number."""
        publication = Publication(len(self._versions) + 1, at, author, last_change, digest)
        self._versions.append(publication)
        return publication

    async def published(self) -> Publication | None:
        """The newest publication, if any."""
        return self._versions[-1] if self._versions else None
