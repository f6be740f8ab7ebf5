"""The observatory's aggregates in SQL (placeholder)."""

from __future__ import annotations

from bot.storage.connection import SqlDatabase


class SqlObservatory:
    """The observatory's aggregates in SQL."""

    def __init__(self, database: SqlDatabase) -> None:
        self.database = database
