"""The observatory's aggregates in memory (placeholder)."""

from __future__ import annotations

from bot.storage.memory.state import MemoryDatabase


class MemoryObservatory:
    """The observatory's aggregates, in memory."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database
