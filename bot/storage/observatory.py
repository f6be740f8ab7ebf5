"""The observatory's aggregates in SQL: grouped and counted in the database, read off the loop.

The conversations' figures add up daily roll-ups, written once a day is closed, and count from
the events only the day in progress (`observatory_days`); the leads' are GROUP BYs over the
narrow `lead_lines`. 100,000 conversations over a year are a few thousand rows. The observatory's
statements run one at a time, and politely: on SQLite on a connection and in a thread of their
own, at the lowest CPU priority, in a deferred (read-only) transaction: a WAL snapshot, no
lock, the shared reader free for the lead lists and the citizens' data exports meanwhile, and
SQLite's C code leaves the interpreter's lock while it counts; on PostgreSQL without parallel
workers, so that one core is left for the turns. Write transactions are only the roll-up's,
one short one per closed day, and the weekly digest's outbox rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Engine, Select, exists, func, insert, select

from bot.core.observatory import days
from bot.core.observatory.days import EVERY_THEME as EVERY
from bot.core.observatory.days import IdeaCell, in_territory
from bot.core.observatory.rows import (
    AssessmentRows,
    FunnelRow,
    GapIdeaRow,
    IdeaRows,
    LeadRow,
    MarkerRow,
    TakingRow,
    UnheardRow,
)
from bot.core.observatory.scope import Scope, day_of
from bot.services.ports import Notice, QueuedNotice
from bot.services.ports_observatory import DIGEST
from bot.storage.connection import SQLITE_BEGIN, SqlDatabase
from bot.storage.guard import refuse_nesting
from bot.storage.keys import aware
from bot.storage.observatory_days import (
    CLAIM,
    Plan,
    counted_ideas,
    counted_steps,
    counted_unheard,
    day_counts,
    rolled_rows,
    rolled_where,
    unrolled,
    with_plan,
)
from bot.storage.observatory_queries import assessments
from bot.storage.observatory_tables import IdeaDayRow as I
from bot.storage.observatory_tables import StepDayRow as S
from bot.storage.observatory_tables import UnheardDayRow as U
from bot.storage.outbox import write_notices
from bot.storage.tables import LeadEventRow, OutboxRow
from bot.storage.tables import LeadLineRow as L

T = TypeVar("T")
Rows = Select[*tuple[Any, ...]]  # a statement of any columns
BACKGROUND_NICE = 19  # the lowest priority
REST_AT_MOST = 2.0  # seconds of rest after a read (a roll-up's catching up reads many days)
DIGEST_LOCK = 0x4F425356  # « OBSV »: the advisory lock of the weekly digest (PostgreSQL)


def period(column: Any, scope: Scope) -> list[ColumnElement[bool]]:
    """The conditions of the scope's instants on a column."""
    where: list[ColumnElement[bool]] = []
    if scope.start is not None:
        where.append(column >= scope.start)
    if scope.end is not None:
        where.append(column < scope.end)
    return where


def territory(column: Any, scope: Scope) -> list[ColumnElement[bool]]:
    """The condition of the scope's départements on a column (none for all of them)."""
    return [] if scope.departments is None else [column.in_(list(scope.departments))]


def filed(scope: Scope) -> list[ColumnElement[bool]]:
    """The leads filed in the scope (by their commune's département)."""
    return [*period(L.created_at, scope), *territory(L.department, scope)]


def _keyed(key: str) -> tuple[str, ...]:
    """« |a|b| » → (a, b)."""
    return tuple(part for part in key.split("|") if part)


class SqlObservatory:
    """The observatory's aggregates in SQL."""

    def __init__(self, database: SqlDatabase) -> None:
        self.database = database
        self._reading = asyncio.Lock()

    async def _read(self, query: Callable[[Connection], T]) -> T:
        """Run `query` on a snapshot off the loop, one at a time, and then rest as long as it
        took before the next one: the observatory's reads take at most half of the time, so
        that staff asking again and again never crowd the turns out (the database's CPU is
        theirs too)."""
        engine = self.database.engine
        async with self._reading:
            began = time.monotonic()
            try:
                if isinstance(engine, Engine):  # SQLite: a connection and a thread of its own
                    return await _in_background(functools.partial(_read_sqlite, engine, query))
                return await self.database.read(functools.partial(_read_politely, query))
            finally:
                await asyncio.sleep(min(time.monotonic() - began, REST_AT_MOST))

    async def ideas(self, scope: Scope) -> IdeaRows:
        """Conversations whose matching ran, counted once a day per group."""
        dialect = self.database.dialect
        departments = scope.departments

        def read(connection: Connection, chosen: Plan) -> IdeaRows:
            cells: list[IdeaCell] = []
            seen: list[dt.date] = []
            if chosen.first is not None:
                where = rolled_where(I, chosen, departments)
                sums = (func.sum(I.conversations), func.sum(I.without_scheme))
                query = select(I.month, I.department, I.theme, *sums, func.sum(I.without_counter))
                for month, department, theme, n, schemes, counters in connection.execute(
                    query.where(*where).group_by(I.month, I.department, I.theme)
                ):
                    counts = (int(n), int(schemes), int(counters))  # PostgreSQL sums decimals
                    cells.append(IdeaCell(month, department, theme, *counts))
                bounds = select(func.min(I.day), func.max(I.day)).where(*where)
                seen += [d for d in connection.execute(bounds.where(I.theme == EVERY)).one() if d]
            for start, end in chosen.spans:
                found = [
                    cell
                    for cell in counted_ideas(connection, dialect, start, end)
                    if departments is None or cell.department in departments
                ]
                if found:
                    seen.append(day_of(start))
                cells += found
            return days.ideas(cells, min(seen, default=None), max(seen, default=None))

        return await self._read(with_plan(scope, read))

    async def funnel(self, scope: Scope) -> list[FunnelRow]:
        """Entered, answered, invalid and abandoned events by node, counted by day."""

        def read(connection: Connection, chosen: Plan) -> list[FunnelRow]:
            rows: list[FunnelRow] = []
            if chosen.first is not None:
                counted = (func.sum(S.events), func.sum(S.conversations))
                query = select(S.node, S.kind, *counted).where(
                    *rolled_where(S, chosen, scope.departments)
                )
                for node, kind, events, chats in connection.execute(query.group_by(S.node, S.kind)):
                    rows.append(FunnelRow(node, kind, int(events), int(chats)))
            for start, end in chosen.spans:
                rows += in_territory(counted_steps(connection, start, end), scope.departments)
            return days.summed_steps(rows)

        return await self._read(with_plan(scope, read))

    async def unheard(self, scope: Scope, least: int, limit: int) -> list[UnheardRow]:
        """The typed answers not understood in at least `least` conversations."""

        def read(connection: Connection, chosen: Plan) -> list[UnheardRow]:
            rows: list[UnheardRow] = []
            for start, end in chosen.spans:
                rows += in_territory(counted_unheard(connection, start, end), scope.departments)
            if chosen.first is not None:
                # A text counted less than this in the roll-ups cannot reach `least` with the rest.
                live = days.summed_unheard(rows, 0, len(rows))
                floor = max(1, least - max((r.conversations for r in live), default=0))
                chats = func.sum(U.conversations)
                query = (
                    select(U.node, U.text, func.sum(U.times), chats)
                    .where(*rolled_where(U, chosen, scope.departments))
                    .group_by(U.node, U.text)
                    .having(chats >= floor)
                )
                for node, text, times, conversations in connection.execute(query):
                    rows.append(UnheardRow(node, text, int(times), int(conversations)))
            return days.summed_unheard(rows, least, limit)

        return await self._read(with_plan(scope, read))

    async def roll_up(self, now: dt.datetime) -> int:
        """Count every closed day not rolled up yet, oldest first; how many this call wrote."""
        aware(now)
        dialect = self.database.dialect
        written = 0
        for day in await self._read(functools.partial(unrolled, now=now)):
            counts = await self._read(functools.partial(day_counts, dialect=dialect, day=day))
            async with self.database.transaction() as connection:
                claimed = await connection.execute(CLAIM[dialect], {"day": day, "rolled_at": now})
                if claimed.first() is None:
                    continue  # another replica rolled it meanwhile
                for table, values in rolled_rows(day, counts):
                    if values:
                        await connection.execute(insert(table), values)
            written += 1
        return written

    async def gap_ideas(self, scope: Scope, limit: int) -> list[GapIdeaRow]:
        """Leads filed in the scope whose match had nothing local, newest first."""
        no_scheme, no_counter = L.no_local_scheme, L.no_local_counter
        query = (
            select(
                L.department,
                L.themes_key,
                L.carrier,
                L.stage,
                L.needs_key,
                L.idea,
                L.created_at,
                no_scheme,
                no_counter,
            )
            .where(*filed(scope), no_scheme | no_counter)
            .order_by(L.created_at.desc(), L.lead_id.desc())
            .limit(limit)
        )

        def read(connection: Connection) -> list[GapIdeaRow]:
            return [
                GapIdeaRow(
                    department=department or "",
                    themes=_keyed(themes),
                    carrier=carrier,
                    stage=stage,
                    needs=_keyed(needs),
                    idea=idea,
                    filed_at=at,
                    without_scheme=bool(scheme),
                    without_counter=bool(counter),
                )
                for department, themes, carrier, stage, needs, idea, at, scheme, counter in (
                    connection.execute(query).all()
                )
            ]

        return await self._read(read)

    async def leads(self, scope: Scope) -> list[LeadRow]:
        """Leads filed in the scope, by counter and status."""
        query = (
            select(L.counter_id, L.status, func.count())
            .where(*filed(scope))
            .group_by(L.counter_id, L.status)
        )

        def read(connection: Connection) -> list[LeadRow]:
            return [LeadRow(*row) for row in connection.execute(query).all()]

        return await self._read(read)

    async def takings(self, scope: Scope, chunk: int) -> AsyncIterator[list[TakingRow]]:
        """Leads filed in the scope with their first « pris en charge », `chunk` at a time."""
        taken = (
            select(func.min(LeadEventRow.at))
            .where(LeadEventRow.lead_id == L.lead_id, LeadEventRow.kind == "taken")
            .scalar_subquery()
        )
        after = 0
        while True:
            query = (
                select(L.lead_id, L.department, L.created_at, taken)
                .where(*filed(scope), L.lead_id > after)
                .order_by(L.lead_id)
                .limit(chunk)
            )
            rows = await self._read(_takings(query))
            if rows:
                yield rows
            if len(rows) < chunk:
                return
            after = rows[-1].lead_id

    async def assessments(self, scope: Scope) -> AssessmentRows:
        """The self-assessments of the leads filed in the scope, by marker and level."""
        levels, assessed = assessments(self.database.dialect, filed(scope))

        def read(connection: Connection) -> AssessmentRows:
            rows = tuple(
                MarkerRow(str(marker), int(level), int(count))
                for marker, level, count in connection.execute(levels).all()
                if marker is not None and level is not None
            )
            return AssessmentRows(int(connection.scalar(assessed) or 0), rows)

        return await self._read(read)

    async def digest_sent(self, since: dt.datetime) -> bool:
        """Whether a weekly digest was queued since this instant."""
        query = select(exists().where(OutboxRow.kind == DIGEST, OutboxRow.created_at >= since))
        return bool(await self.database.read(lambda connection: connection.scalar(query)))

    async def send_digest(
        self, since: dt.datetime, notices: Sequence[Notice], at: dt.datetime
    ) -> list[QueuedNotice] | None:
        """Queue the digest's messages unless one was queued since `since`, atomically."""
        refuse_nesting("send_digest")
        aware(at)
        sent = select(exists().where(OutboxRow.kind == DIGEST, OutboxRow.created_at >= since))
        async with self.database.transaction() as connection:
            if self.database.dialect == "postgresql":  # SQLite's BEGIN IMMEDIATE serialises
                await connection.execute(select(func.pg_advisory_xact_lock(DIGEST_LOCK)))
            if await connection.scalar(sent):
                return None
            return await write_notices(connection, notices, at)


async def _in_background(work: Callable[[], T]) -> T:
    """Run `work` in a thread of its own at the lowest CPU priority (Linux: a thread's nice
    value is its own): on a small machine the event loop's thread, and so the citizens' turns,
    come first; SQLite leaves the interpreter's lock while it counts."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.done():
            return  # the request went away meanwhile
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        with contextlib.suppress(AttributeError, OSError):  # no such call, or not allowed
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
        try:
            result, error = work(), None
        except BaseException as failure:  # handed to the awaiting task
            result, error = None, failure
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="observatory", daemon=True).start()
    return await done


def _read_politely(query: Callable[[Connection], T], connection: Connection) -> T:
    """PostgreSQL: one core for the observatory (no parallel workers), the rest for turns."""
    connection.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
    return query(connection)


def _read_sqlite(engine: Engine, query: Callable[[Connection], T]) -> T:
    """A deferred transaction on a pooled connection (a WAL snapshot: no lock), in a thread."""
    with engine.connect() as connection:
        reading = connection.execution_options(**{SQLITE_BEGIN: "BEGIN"})
        with reading.begin():
            return query(reading)


def _takings(query: Rows) -> Callable[[Connection], list[TakingRow]]:
    def read(connection: Connection) -> list[TakingRow]:
        return [TakingRow(*row) for row in connection.execute(query).all()]

    return read
