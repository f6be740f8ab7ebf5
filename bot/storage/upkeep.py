"""The upkeep list's facts in SQL (placeholder)."""

from __future__ import annotations

from bot.storage.connection import SqlDatabase


class SqlUpkeep:
    """The upkeep list's facts in SQL."""

    def __init__(self, database: SqlDatabase) -> None:
        self.database = database
