"""The upkeep list's facts in SQL: who is linked, what citizens were shown, the link checks.

« Ever shown to a citizen » is gathered incrementally from the `match_run` events into
`matched_records` (a row per scheme or counter: first and last time shown), so that the list
costs a few hundred rows to read, not a scan of hundreds of thousands of events, and outlives
the events' retention. Each look reads only the events logged since the last settled instant
(`match_scans.settled_at`, on the events' `at` index), in chunks of `CHUNK`, off the event loop,
and merges them in with min/max, which is idempotent: reading an event twice changes nothing.
So nothing needs to be exact about where a scan stopped: a scan keeps as settled only what is
older than `SETTLE` (a turn logged earlier but committed later, by another replica, is read at
the next look), two replicas may gather at once, and a crash mid-way loses nothing. The
conversation's hot path is untouched (no write per turn). Events logged before their ids were
(`scheme_ids`, `counter_ids`) carry no information and are skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, case, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from bot.core.links import LinkOutcome, LinkReport, LinkResult, LinkTarget, RecordKind
from bot.core.upkeep import Matched, Staffing
from bot.services.ports_upkeep import STALE_CHECK
from bot.storage.connection import SqlDatabase
from bot.storage.keys import aware
from bot.storage.tables import EventRow, GroupRow, PersonCounterRow, PersonRow
from bot.storage.upkeep_tables import LinkCheckRow, LinkResultRow, MatchedRecordRow, MatchScanRow

CHUNK = 5_000  # events read per query
SETTLE = dt.timedelta(minutes=5)  # longer than any turn's transaction, on any replica
_SCAN = "matched"
_TICK = dt.timedelta(microseconds=1)

_ADVISED = (
    select(PersonCounterRow.counter_id)
    .join(PersonRow, PersonRow.id == PersonCounterRow.person_id)
    .where(PersonRow.disabled_at.is_(None))
    .distinct()
)
_GROUPED = select(GroupRow.counter_id).where(GroupRow.counter_id.is_not(None)).distinct()
_MATCHES = select(EventRow.id, EventRow.at, EventRow.detail).where(EventRow.kind == "match_run")
_CHECK_COLUMNS = (
    LinkCheckRow.id,
    LinkCheckRow.started_at,
    LinkCheckRow.started_by,
    LinkCheckRow.finished_at,
)
_RESULT_COLUMNS = (
    LinkResultRow.url,
    LinkResultRow.record_kind,
    LinkResultRow.record_id,
    LinkResultRow.field,
    LinkResultRow.outcome,
    LinkResultRow.reason,
    LinkResultRow.status,
    LinkResultRow.final_url,
)


def _merge_statement(dialect: str) -> Any:
    """Insert a record shown, or widen its first and last times (min and max: idempotent)."""
    table = MatchedRecordRow
    insert_ = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    new = insert_.excluded
    return insert_.on_conflict_do_update(
        index_elements=[table.kind, table.record_id],
        set_={
            "first_at": case((new.first_at < table.first_at, new.first_at), else_=table.first_at),
            "last_at": case((new.last_at > table.last_at, new.last_at), else_=table.last_at),
        },
    )


def _scan_row_statement(dialect: str) -> Any:
    insert_ = (postgresql if dialect == "postgresql" else sqlite).insert(MatchScanRow)
    return insert_.on_conflict_do_nothing(index_elements=[MatchScanRow.name])


_MERGE = {dialect: _merge_statement(dialect) for dialect in ("sqlite", "postgresql")}
_SCAN_ROW = {dialect: _scan_row_statement(dialect) for dialect in ("sqlite", "postgresql")}


class SqlUpkeep:
    """The upkeep list's facts in SQL."""

    def __init__(self, database: SqlDatabase) -> None:
        self.database = database

    async def staffing(self) -> Staffing:
        """The counters with an enabled advisor, and those with a linked Telegram group."""

        def read(connection: Connection) -> Staffing:
            advised = frozenset(str(c) for c in connection.scalars(_ADVISED))
            grouped = frozenset(str(c) for c in connection.scalars(_GROUPED))
            return Staffing(advised, grouped)

        return await self.database.read(read)

    async def matched(self, now: dt.datetime) -> Matched:
        """The schemes and counters ever shown to a citizen, gathered first up to `now`."""
        aware(now)
        settled, _ = await self.database.read(_scan_state)
        after: tuple[dt.datetime, int] | None = None
        while True:
            gathered = await self.database.read(_Gathered.reader(settled, after))
            await self._merge(gathered, _settled(gathered, now))
            if gathered.rows < CHUNK:
                break
            after = gathered.last

        def read(connection: Connection) -> Matched:
            rows = connection.execute(select(MatchedRecordRow.kind, MatchedRecordRow.record_id))
            shown: dict[str, set[str]] = {"scheme": set(), "counter": set()}
            for kind, record_id in rows:
                shown.setdefault(str(kind), set()).add(str(record_id))
            _, since = _scan_state(connection)
            return Matched(frozenset(shown["scheme"]), frozenset(shown["counter"]), since)

        return await self.database.read(read)

    async def _merge(self, gathered: _Gathered, settled: dt.datetime | None) -> None:
        """Write a chunk's records and move the settled instant and the first match on."""
        dialect = self.database.dialect
        scan = MatchScanRow.name == _SCAN
        async with self.database.transaction() as connection:
            if gathered.shown:
                values = [
                    {"kind": kind, "record_id": rid, "first_at": first, "last_at": last}
                    for (kind, rid), (first, last) in sorted(gathered.shown.items())
                ]
                await connection.execute(_MERGE[dialect], values)
            await connection.execute(_SCAN_ROW[dialect], {"name": _SCAN})
            if settled is not None:
                later = or_(MatchScanRow.settled_at.is_(None), MatchScanRow.settled_at < settled)
                await connection.execute(
                    update(MatchScanRow).where(scan, later).values(settled_at=settled)
                )
            if gathered.since is not None:
                earlier = or_(MatchScanRow.since.is_(None), MatchScanRow.since > gathered.since)
                await connection.execute(
                    update(MatchScanRow).where(scan, earlier).values(since=gathered.since)
                )

    async def start_check(self, by: str, at: dt.datetime) -> int | None:
        """Record a link check starting; its id, or None while another one runs."""
        aware(at)
        try:
            async with self.database.transaction() as connection:
                stale = LinkCheckRow.started_at < at - STALE_CHECK
                await connection.execute(
                    delete(LinkCheckRow).where(LinkCheckRow.running.is_not(None), stale)
                )
                running = await connection.scalar(
                    select(LinkCheckRow.id).where(LinkCheckRow.running.is_not(None))
                )
                if running is not None:
                    return None
                values = {"started_at": at, "started_by": by, "running": 1}
                started = await connection.scalar(
                    insert(LinkCheckRow).values(values).returning(LinkCheckRow.id)
                )
                assert started is not None
                return int(started)
        except IntegrityError:  # another replica started one at the same moment
            return None

    async def finish_check(
        self, check_id: int, results: Sequence[LinkResult], at: dt.datetime
    ) -> None:
        """Keep a check's results: they replace the previous check's."""
        aware(at)
        async with self.database.transaction() as connection:
            ended = await connection.execute(
                update(LinkCheckRow)
                .where(LinkCheckRow.id == check_id, LinkCheckRow.running.is_not(None))
                .values(finished_at=at, running=None)
            )
            if ended.rowcount != 1:  # given up as stale meanwhile: another check counts
                return
            if results:
                await connection.execute(
                    insert(LinkResultRow), [_result_row(check_id, r) for r in results]
                )
            older = select(LinkCheckRow.id).where(
                LinkCheckRow.id != check_id, LinkCheckRow.finished_at.is_not(None)
            )
            await connection.execute(delete(LinkResultRow).where(LinkResultRow.check_id.in_(older)))
            await connection.execute(
                delete(LinkCheckRow).where(
                    LinkCheckRow.id != check_id, LinkCheckRow.finished_at.is_not(None)
                )
            )

    async def abandon_check(self, check_id: int) -> None:
        """Forget a check that could not finish (another may start)."""
        async with self.database.transaction() as connection:
            await connection.execute(
                delete(LinkCheckRow).where(
                    LinkCheckRow.id == check_id, LinkCheckRow.running.is_not(None)
                )
            )

    async def running_check(self, at: dt.datetime) -> LinkReport | None:
        """The check running now, in any replica (without results), if any."""
        aware(at)
        query = select(*_CHECK_COLUMNS).where(
            LinkCheckRow.running.is_not(None), LinkCheckRow.started_at >= at - STALE_CHECK
        )

        def read(connection: Connection) -> LinkReport | None:
            row = connection.execute(query).first()
            return None if row is None else LinkReport(row[0], row[1], row[2])

        return await self.database.read(read)

    async def last_check(self) -> LinkReport | None:
        """The last finished check, with its results."""
        last = (
            select(*_CHECK_COLUMNS)
            .where(LinkCheckRow.finished_at.is_not(None))
            .order_by(LinkCheckRow.finished_at.desc(), LinkCheckRow.id.desc())
            .limit(1)
        )

        def read(connection: Connection) -> LinkReport | None:
            row = connection.execute(last).first()
            if row is None:
                return None
            results = connection.execute(
                select(*_RESULT_COLUMNS)
                .where(LinkResultRow.check_id == row[0])
                .order_by(LinkResultRow.id)
            )
            found = tuple(_result(r) for r in results)
            return LinkReport(row[0], row[1], row[2], row[3], found)

        return await self.database.read(read)


class _Gathered:
    """What one chunk of `match_run` events showed."""

    def __init__(self) -> None:
        self.shown: dict[tuple[str, str], tuple[dt.datetime, dt.datetime]] = {}
        self.rows = 0
        self.last: tuple[dt.datetime, int] | None = None
        self.since: dt.datetime | None = None

    @classmethod
    def reader(
        cls, settled: dt.datetime | None, after: tuple[dt.datetime, int] | None
    ) -> Callable[[Connection], _Gathered]:
        """A read of the chunk of events after `after` (or after the settled instant)."""
        query = _MATCHES
        if after is not None:
            at, event_id = after
            query = query.where(
                or_(EventRow.at > at, and_(EventRow.at == at, EventRow.id > event_id))
            )
        elif settled is not None:
            query = query.where(EventRow.at > settled)
        chunk = query.order_by(EventRow.at, EventRow.id).limit(CHUNK)

        def read(connection: Connection) -> _Gathered:
            gathered = cls()
            for event_id, at, detail in connection.execute(chunk):
                gathered.add(event_id, at, detail)
            return gathered

        return read

    def add(self, event_id: int, at: dt.datetime, detail: Any) -> None:
        """Count one event in."""
        self.rows += 1
        self.last = (at, event_id)
        if not isinstance(detail, dict) or "scheme_ids" not in detail:
            return  # logged before the ids were: no information
        self.since = at if self.since is None else min(self.since, at)
        for kind, key in (("scheme", "scheme_ids"), ("counter", "counter_ids")):
            ids = detail.get(key)
            for record_id in ids if isinstance(ids, list) else ():
                if isinstance(record_id, str):
                    first, last = self.shown.get((kind, record_id), (at, at))
                    self.shown[(kind, record_id)] = (min(first, at), max(last, at))


def _settled(gathered: _Gathered, now: dt.datetime) -> dt.datetime | None:
    """Up to when events are gathered for good after this chunk (None: no further)."""
    horizon = now - SETTLE
    if gathered.rows < CHUNK:  # the end of the log: everything old enough was read
        return horizon
    assert gathered.last is not None
    return min(horizon, gathered.last[0] - _TICK)  # the chunk may end inside a tie


def _scan_state(connection: Connection) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The settled instant and the first match known."""
    row = connection.execute(
        select(MatchScanRow.settled_at, MatchScanRow.since).where(MatchScanRow.name == _SCAN)
    ).first()
    return (None, None) if row is None else (row[0], row[1])


def _result_row(check_id: int, result: LinkResult) -> dict[str, Any]:
    target = result.target
    return {
        "check_id": check_id,
        "url": target.url,
        "record_kind": target.kind,
        "record_id": target.record_id,
        "field": target.field,
        "outcome": result.outcome.value,
        "reason": result.reason,
        "status": result.status,
        "final_url": result.final_url,
    }


def _result(row: Any) -> LinkResult:
    url, kind, record_id, field, outcome, reason, status, final_url = row
    record_kind: RecordKind = "counter" if kind == "counter" else "scheme"
    target = LinkTarget(url, record_kind, record_id, field)
    return LinkResult(target, LinkOutcome(outcome), reason, status, final_url)
