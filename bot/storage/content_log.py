"""The content audit log and the published versions, in SQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, func, insert, select

from bot.services.ports_content import ContentChange, Publication
from bot.storage.connection import SqlDatabase
from bot.storage.tables import ContentChangeRow as Change
from bot.storage.tables import ContentVersionRow as Version

_CHANGES = select(*Change.__table__.columns)
_NEWEST = select(*Version.__table__.columns).order_by(Version.version.desc()).limit(1)


class SqlContentLog:
    """Changes appended in their own transaction; publications numbered by the database."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    async def record(self, change: ContentChange) -> int:
        """Append a change; its id."""
        values = {
            "at": change.at,
            "person_id": change.person_id,
            "author": change.author,
            "kind": change.kind,
            "record_id": change.record_id,
            "action": change.action,
            "path": change.path,
            "diff": change.diff,
        }
        async with self._database.transaction() as connection:
            result = await connection.execute(insert(Change).values(values).returning(Change.id))
            return int(result.scalar_one())

    async def history(self, record_id: str | None = None, limit: int = 100) -> list[ContentChange]:
        """The newest changes first (of one record, or of all)."""
        query = _CHANGES.order_by(Change.id.desc()).limit(limit)
        if record_id is not None:
            query = query.where(Change.record_id == record_id)

        def read(connection: Connection) -> list[ContentChange]:
            return [_change(row) for row in connection.execute(query).all()]

        return await self._database.read(read)

    async def last_change(self) -> int | None:
        """The id of the newest change, if any."""

        def read(connection: Connection) -> int | None:
            value = connection.scalar(select(func.max(Change.id)))
            return int(value) if value is not None else None

        return await self._database.read(read)

    async def changes_after(self, change_id: int) -> int:
        """How many changes were saved after this one."""
        query = select(func.count()).select_from(Change).where(Change.id > change_id)

        def read(connection: Connection) -> int:
            return int(connection.scalar(query) or 0)

        return await self._database.read(read)

    async def publish(
        self, at: dt.datetime, author: str, last_change: int | None, digest: str
    ) -> Publication:
        """Record a new publication; it gets the next version number."""
        values = {"published_at": at, "author": author, "last_change": last_change}
        async with self._database.transaction() as connection:
            result = await connection.execute(
                insert(Version).values(digest=digest, **values).returning(Version.version)
            )
            version = int(result.scalar_one())
        return Publication(version, at, author, last_change, digest)

    async def published(self) -> Publication | None:
        """The newest publication, if any."""

        def read(connection: Connection) -> Publication | None:
            row = connection.execute(_NEWEST).first()
            return _publication(row) if row is not None else None

        return await self._database.read(read)


def _change(row: Any) -> ContentChange:
    return ContentChange(
        at=row.at,
        person_id=row.person_id,
        author=row.author,
        kind=row.kind,
        record_id=row.record_id,
        action=row.action,
        path=row.path,
        diff=row.diff,
        id=row.id,
    )


def _publication(row: Any) -> Publication:
    return Publication(row.version, row.published_at, row.author, row.last_change, row.digest)
