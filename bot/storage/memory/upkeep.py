"""The upkeep list's facts in memory (placeholder)."""

from __future__ import annotations

from bot.storage.memory.state import MemoryDatabase


class MemoryUpkeep:
    """The upkeep list's facts, in memory."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database
