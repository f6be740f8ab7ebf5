"""The observatory's days in SQL: a day's counts from its events, rolled up once it is closed.

A day in France is closed `SETTLE` after its midnight (longer than any turn's transaction, on any
replica). The roll-up counts each closed day once, oldest first, from the events still kept:
it reads the day on a snapshot, then writes its rows in one short transaction that first claims
the day (`observed_days`, insert or nothing), so that two replicas rolling at once write it
once. A period's figures then read the roll-ups of its whole rolled days (a few rows a day) and
count from the events only the rest: the day in progress, a day not rolled yet, a partial day at
an edge. Everything one figure reads comes from one snapshot: a roll-up committing meanwhile is
seen whole or not at all, never twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    String,
    case,
    distinct,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.observatory.days import EVERY_THEME, EVERYWHERE, NO_THEME, DayCounts, IdeaCell
from bot.core.observatory.rows import FUNNEL_KINDS, FunnelRow, UnheardRow
from bot.core.observatory.scope import Scope, day_of, midnight
from bot.storage.observatory_queries import (
    DEPARTMENT,
    LOCAL_COUNTERS,
    LOCAL_SCHEMES,
    elements,
    member,
)
from bot.storage.observatory_tables import IdeaDayRow, ObservedDayRow, StepDayRow, UnheardDayRow
from bot.storage.tables import EventRow as E

T = TypeVar("T")
SETTLE = dt.timedelta(minutes=5)
TYPED = E.detail["typed"].as_string()
ONE_DAY = dt.timedelta(days=1)
_EVERY = literal(EVERYWHERE, String)


def last_closed(now: dt.datetime) -> dt.date:
    """The last day whose end is `SETTLE` behind `now`."""
    return day_of(now - SETTLE) - ONE_DAY


# -- a day's counts from its events ------------------------------------------------------------


def _places(start: dt.datetime, end: dt.datetime) -> Any:
    """The conversations matched in [start, end), with the département they were matched in."""
    return (
        select(E.chat_hash.label("chat"), func.coalesce(DEPARTMENT, "").label("department"))
        .where(E.kind == "match_run", E.at >= start, E.at < end)
        .distinct()
        .subquery("places")
    )


def idea_statement(dialect: str, start: dt.datetime, end: dt.datetime) -> CompoundSelect[Any]:
    """Rows (département, theme, conversations, without a local scheme, without a local
    counter) of the ideas matched in [start, end); theme `EVERY_THEME` once per idea."""
    matches = (
        select(
            E.chat_hash.label("chat"),
            func.coalesce(DEPARTMENT, "").label("department"),
            member(dialect, E.detail, "themes").label("themes"),
            LOCAL_SCHEMES.label("schemes"),
            LOCAL_COUNTERS.label("counters"),
        )
        .where(E.kind == "match_run", E.at >= start, E.at < end)
        .cte("matches")
    )
    m = matches.c
    counted = (
        func.count(distinct(m.chat)),
        func.count(distinct(case((m.schemes == 0, m.chat)))),
        func.count(distinct(case((m.counters == 0, m.chat)))),
    )
    themes = elements(dialect, m.themes, "theme", text=True)
    every = select(m.department, literal(EVERY_THEME, String), *counted).group_by(m.department)
    themed = (
        select(m.department, func.coalesce(themes.c.value, NO_THEME), *counted)
        .select_from(matches)
        .outerjoin(themes, true())
        .group_by(m.department, themes.c.value)
    )
    return union_all(every, themed)


def _by_place(
    keys: Sequence[Any], where: Sequence[ColumnElement[bool]], places: Any
) -> CompoundSelect[Any]:
    """Rows (territory, *keys, events, conversations): everywhere, then by the département
    each conversation was matched in."""
    counted = (func.count(), func.count(distinct(E.chat_hash)))
    everywhere = select(_EVERY, *keys, *counted).where(*where).group_by(*keys)
    placed = (
        select(places.c.department, *keys, *counted)
        .select_from(places)
        .join(E, E.chat_hash == places.c.chat)
        .where(*where)
        .group_by(places.c.department, *keys)
    )
    return union_all(everywhere, placed)


def step_statement(start: dt.datetime, end: dt.datetime) -> CompoundSelect[Any]:
    """Rows (territory, node, kind, events, conversations) of the funnel in [start, end)."""
    where = (E.kind.in_(FUNNEL_KINDS), E.at >= start, E.at < end)
    return _by_place((E.node, E.kind), where, _places(start, end))


def unheard_statement(start: dt.datetime, end: dt.datetime) -> CompoundSelect[Any]:
    """Rows (territory, node, text, times, conversations) of the answers not understood."""
    where = (E.kind == "invalid_input", TYPED.is_not(None), E.at >= start, E.at < end)
    return _by_place((E.node, TYPED), where, _places(start, end))


def counted_ideas(
    connection: Connection, dialect: str, start: dt.datetime, end: dt.datetime
) -> list[IdeaCell]:
    """The ideas of [start, end), a part of one day, as cells of that day's month."""
    month = day_of(start).strftime("%Y-%m")
    rows = connection.execute(idea_statement(dialect, start, end))
    return [IdeaCell(month, str(d), str(t), int(n), int(s), int(c)) for d, t, n, s, c in rows]


def counted_steps(
    connection: Connection, start: dt.datetime, end: dt.datetime
) -> list[tuple[str, FunnelRow]]:
    """The funnel of [start, end), by territory."""
    rows = connection.execute(step_statement(start, end))
    return [(str(p), FunnelRow(str(n), str(k), int(e), int(c))) for p, n, k, e, c in rows]


def counted_unheard(
    connection: Connection, start: dt.datetime, end: dt.datetime
) -> list[tuple[str, UnheardRow]]:
    """The answers not understood in [start, end), by territory."""
    rows = connection.execute(unheard_statement(start, end))
    return [(str(p), UnheardRow(str(n), str(x), int(t), int(c))) for p, n, x, t, c in rows]


def day_counts(connection: Connection, dialect: str, day: dt.date) -> DayCounts:
    """Everything one whole day counts."""
    start, end = midnight(day), midnight(day + ONE_DAY)
    return DayCounts(
        ideas=tuple(counted_ideas(connection, dialect, start, end)),
        steps=tuple(counted_steps(connection, start, end)),
        unheard=tuple(counted_unheard(connection, start, end)),
    )


# -- the roll-up -------------------------------------------------------------------------------


def unrolled(connection: Connection, now: dt.datetime) -> list[dt.date]:
    """The closed days with events kept and no roll-up yet, oldest first."""
    first = connection.scalar(select(func.min(E.at)))
    if first is None:
        return []
    since, until = day_of(first), last_closed(now)
    rolled = set(connection.scalars(select(ObservedDayRow.day).where(ObservedDayRow.day >= since)))
    return [day for day in days(since, until) if day not in rolled]


def _claim(dialect: str) -> Any:
    insert_ = (postgresql if dialect == "postgresql" else sqlite).insert(ObservedDayRow)
    return insert_.on_conflict_do_nothing(index_elements=[ObservedDayRow.day]).returning(
        ObservedDayRow.day
    )


CLAIM = {dialect: _claim(dialect) for dialect in ("sqlite", "postgresql")}


def rolled_rows(day: dt.date, counts: DayCounts) -> list[tuple[Any, list[dict[str, Any]]]]:
    """The rows a day's counts are written as, by table."""
    ideas = [
        {
            "day": day,
            "department": c.department,
            "theme": c.theme,
            "month": c.month,
            "conversations": c.conversations,
            "without_scheme": c.without_scheme,
            "without_counter": c.without_counter,
        }
        for c in counts.ideas
    ]
    steps = [
        {"day": day, "department": place, "node": r.node, "kind": r.kind}
        | {"events": r.events, "conversations": r.conversations}
        for place, r in counts.steps
    ]
    unheard = [
        {"day": day, "department": place, "node": r.node, "text": r.text}
        | {"times": r.times, "conversations": r.conversations}
        for place, r in counts.unheard
    ]
    return [(IdeaDayRow, ideas), (StepDayRow, steps), (UnheardDayRow, unheard)]


# -- a period: its rolled days, and the rest counted from the events --------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """How a scope is read: whole rolled days between `first` and `last` (None: none) from
    the roll-ups, and these spans of instants (within one day each) from the events."""

    first: dt.date | None
    last: dt.date | None
    spans: tuple[tuple[dt.datetime, dt.datetime], ...]


def plan(connection: Connection, scope: Scope) -> Plan:
    """Which days of the scope are read from the roll-ups, which spans from the events."""
    rolled_first, rolled_last = connection.execute(
        select(func.min(ObservedDayRow.day), func.max(ObservedDayRow.day))
    ).one()
    # Apart: SQLite reads one end of the index for a lone min() or max(), all of it for both.
    low = connection.scalar(select(func.min(E.at)))
    high = connection.scalar(select(func.max(E.at)))
    held = [d for d in (rolled_first, rolled_last, low and day_of(low), high and day_of(high)) if d]
    if not held:
        return Plan(None, None, ())
    first, last = min(held), max(held)  # no day outside them counts anything
    if scope.start is not None:
        first = max(first, day_of(scope.start))
    if scope.end is not None:
        last = min(last, day_of(scope.end - dt.timedelta(microseconds=1)))
    if last < first:
        return Plan(None, None, ())
    within = (ObservedDayRow.day >= first, ObservedDayRow.day <= last)
    rolled = set(connection.scalars(select(ObservedDayRow.day).where(*within)))
    whole: list[dt.date] = []
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for day in days(first, last):
        start, end = midnight(day), midnight(day + ONE_DAY)
        cut = (max(start, scope.start or start), min(end, scope.end or end))
        if cut == (start, end) and day in rolled:
            whole.append(day)
        elif cut[0] < cut[1]:
            spans.append(cut)
    if not whole:
        return Plan(None, None, tuple(spans))
    return Plan(whole[0], whole[-1], tuple(spans))


def days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Every day from `first` to `last`, both included."""
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def rolled_where(table: Any, chosen: Plan, departments: Sequence[str] | None) -> list[Any]:
    """The roll-up rows of a plan's whole days, in a territory (`EVERYWHERE` for none)."""
    assert chosen.first is not None and chosen.last is not None
    where = [table.day >= chosen.first, table.day <= chosen.last]
    if table is IdeaDayRow:
        if departments is not None:
            where.append(table.department.in_(list(departments)))
    elif departments is None:
        where.append(table.department == EVERYWHERE)
    else:
        where.append(table.department.in_(list(departments)))
    return where


def with_plan(scope: Scope, read: Callable[[Connection, Plan], T]) -> Callable[[Connection], T]:
    """A read given the scope's plan, on the same snapshot."""

    def run(connection: Connection) -> T:
        return read(connection, plan(connection, scope))

    return run
