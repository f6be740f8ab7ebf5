"""Leads as the dashboard lists and exports them, in SQL: filters on indexed, folded columns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, false, func, or_, select

from bot.core.search import terms
from bot.services.ports_dashboard import LeadLine, LeadPage, LeadQuery
from bot.storage.connection import SqlDatabase
from bot.storage.tables import PreApplicationRow as Row

_LINE = select(
    Row.id,
    Row.reference,
    Row.created_at,
    Row.status,
    Row.status_at,
    Row.assigned_counter_id,
    Row.commune_name,
    Row.department,
    Row.profile,
    Row.idea,
    Row.contact,
    Row.taken_by,
    Row.version,
)


def conditions(query: LeadQuery) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a lead query (every one must hold)."""
    where: list[ColumnElement[bool]] = []
    if query.scope is not None:
        scope = list(query.scope)
        where.append(Row.assigned_counter_id.in_(scope) if scope else false())
    if query.statuses:
        where.append(Row.status.in_(list(query.statuses)))
    if query.counter == "":
        where.append(Row.assigned_counter_id.is_(None))
    elif query.counter is not None:
        where.append(Row.assigned_counter_id == query.counter)
    if query.department:
        where.append(Row.department == query.department)
    if query.theme:
        where.append(Row.themes_key.contains(f"|{query.theme}|", autoescape=True))
    start, end = query.period()
    if start is not None:
        where.append(Row.created_at >= start)
    if end is not None:
        where.append(Row.created_at < end)
    for term in terms(query.text):
        where.append(
            or_(
                Row.search_public.contains(term, autoescape=True),
                Row.search_private.contains(term, autoescape=True),
            )
        )
    return where


def line(row: Any) -> LeadLine:
    """A list's line from a row: the profile's plain values, no validation on the way."""
    profile = row.profile or {}
    contact = row.contact or {}
    amount = profile.get("amount")
    return LeadLine(
        id=row.id,
        reference=row.reference,
        created_at=row.created_at,
        status=row.status,
        status_at=row.status_at,
        counter_id=row.assigned_counter_id,
        commune=row.commune_name or str(profile.get("commune", "")),
        department=row.department or "",
        carrier=str(profile.get("carrier", "")),
        stage=str(profile.get("stage", "")),
        themes=tuple(str(t) for t in profile.get("themes") or ()),
        needs=tuple(str(n) for n in profile.get("needs") or ()),
        amount=amount if isinstance(amount, int) else None,
        idea=row.idea,
        first_name=contact.get("first_name"),
        taken_by=row.taken_by,
        version=row.version,
    )


class SqlLeadSearch:
    """Lead lists, counts and exports, read off the event loop on a snapshot."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    async def page(self, query: LeadQuery, page: int, per_page: int) -> LeadPage:
        """One page of the matching leads, newest first, with the total."""
        where = conditions(query)
        count = select(func.count()).select_from(Row).where(*where)
        number = max(1, page)
        rows: Select[Any] = (
            _LINE.where(*where)
            .order_by(Row.id.desc())
            .limit(per_page)
            .offset((number - 1) * per_page)
        )

        def read(connection: Connection) -> LeadPage:
            total = int(connection.scalar(count) or 0)
            lines = tuple(line(row) for row in connection.execute(rows).all())
            return LeadPage(lines, total, number, per_page)

        return await self._database.read(read)

    async def lines(self, query: LeadQuery, after_id: int | None, limit: int) -> list[LeadLine]:
        """Matching leads with an id below `after_id` (None: from the newest), newest first."""
        where = conditions(query)
        if after_id is not None:
            where.append(Row.id < after_id)
        rows = _LINE.where(*where).order_by(Row.id.desc()).limit(limit)

        def read(connection: Connection) -> list[LeadLine]:
            return [line(row) for row in connection.execute(rows).all()]

        return await self._database.read(read)

    async def departments(self, scope: tuple[str, ...] | None) -> list[str]:
        """The départements of the leads in scope, sorted (the filter's choices)."""
        where = conditions(LeadQuery(scope=scope))
        rows = (
            select(Row.department)
            .where(*where, Row.department.is_not(None))
            .distinct()
            .order_by(Row.department)
        )

        def read(connection: Connection) -> list[str]:
            return [str(value) for value in connection.scalars(rows).all()]

        return await self._database.read(read)
