"""The content audit log and published version in memory (placeholder)."""

from __future__ import annotations

from bot.storage.memory.state import MemoryDatabase


class MemoryContentLog:
    """The content audit log and published version, in memory."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database
