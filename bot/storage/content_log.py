"""The content audit log and published version in SQL (placeholder)."""

from __future__ import annotations

from bot.storage.connection import SqlDatabase


class SqlContentLog:
    """The content audit log and published version in SQL."""

    def __init__(self, database: SqlDatabase) -> None:
        self.database = database
