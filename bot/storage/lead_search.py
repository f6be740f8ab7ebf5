"""Leads as the dashboard lists and exports them, in SQL: filters on the narrow `lead_lines`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, false, func, select

from bot.core.search import terms
from bot.services.ports_dashboard import LeadLine, LeadPage, LeadQuery
from bot.storage.connection import SqlDatabase
from bot.storage.tables import LeadLineRow as Row

_LINES = select(*Row.__table__.columns)  # plain rows: no ORM object per line


def conditions(query: LeadQuery) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a lead query (every one must hold)."""
    where: list[ColumnElement[bool]] = []
    if query.scope is not None:
        scope = list(query.scope)
        where.append(Row.counter_id.in_(scope) if scope else false())
    if query.statuses:
        where.append(Row.status.in_(list(query.statuses)))
    if query.counter == "":
        where.append(Row.counter_id.is_(None))
    elif query.counter is not None:
        where.append(Row.counter_id == query.counter)
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
        where.append(Row.search.contains(term, autoescape=True))
    return where


def line(row: Any) -> LeadLine:
    """A list's line from its row (unpacked in the table's column order: thousands per export)."""
    (
        lead_id, reference, created_at, status, status_at, counter_id, taken_by, version,
        commune, department, carrier, stage, themes, needs, amount, idea, first_name, *_,
    ) = row  # fmt: skip
    return LeadLine(
        lead_id, reference, created_at, status, status_at, counter_id, commune,
        department or "", carrier, stage, _keyed(themes), _keyed(needs), amount, idea,
        first_name, taken_by, version,
    )  # fmt: skip


def _keyed(key: str) -> tuple[str, ...]:
    """« |a|b| » → (a, b)."""
    return tuple(key.strip("|").split("|")) if key != "|" else ()


class SqlLeadSearch:
    """Lead lists, counts and exports, read off the event loop on a snapshot."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    async def page(self, query: LeadQuery, page: int, per_page: int) -> LeadPage:
        """One page of the matching leads, newest first, with the total."""
        where = conditions(query)
        count = select(func.count()).select_from(Row).where(*where)
        number = max(1, page)
        rows = (
            _LINES.where(*where)
            .order_by(Row.lead_id.desc())
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
            where.append(Row.lead_id < after_id)
        rows = _LINES.where(*where).order_by(Row.lead_id.desc()).limit(limit)

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
