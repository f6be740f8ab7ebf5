"""The observatory's day-grain counts, and how they add up over a period.

Conversations are counted once per day in France: a figure over a period is the sum of its
days, so that closed days can be counted once and kept (storage's daily roll-ups) and only the
day in progress is counted from the events at each request. A citizen matched on two days
counts on each, as two qualified ideas would; a conversation's events count in a territory when
its matching ran there the same day.

An `IdeaCell` is one day's (or, summed, one month's) qualified ideas in a département for a
theme: `theme` is a theme's id, `NO_THEME` for ideas with none chosen, or `EVERY_THEME` for all
the département's ideas, each counted once whatever its themes. `EVERYWHERE` is the territory of
the funnel and unheard counts that cover every conversation, matched or not.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.core.observatory.rows import (
    FunnelRow,
    IdeaRows,
    MonthTheme,
    PlaceTheme,
    Tallied,
    UnheardRow,
)

NO_THEME = ""
EVERY_THEME = "*"
EVERYWHERE = "*"
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class IdeaCell:
    """Qualified ideas of a month in a département for a theme (see the module's note)."""

    month: str  # « 2026-03 », in France
    department: str
    theme: str
    conversations: int
    without_scheme: int
    without_counter: int


@dataclass(frozen=True, slots=True)
class DayCounts:
    """What one day (or part of one) counted, before it is added to the others."""

    ideas: tuple[IdeaCell, ...]
    steps: tuple[tuple[str, FunnelRow], ...]  # (territory, row); territory EVERYWHERE or a code
    unheard: tuple[tuple[str, UnheardRow], ...]


def ideas(cells: Iterable[IdeaCell], first: dt.date | None, last: dt.date | None) -> IdeaRows:
    """Every facet of the qualified ideas, from their cells (summed by month, place, theme)."""
    total = 0
    departments: dict[str, int] = defaultdict(int)
    months: dict[str, int] = defaultdict(int)
    themes: dict[str, int] = defaultdict(int)
    month_themes: dict[tuple[str, str], int] = defaultdict(int)
    places: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0, 0])
    for cell in cells:
        if cell.theme == EVERY_THEME:
            total += cell.conversations
            departments[cell.department] += cell.conversations
            months[cell.month] += cell.conversations
            continue
        theme = cell.theme or None
        place = places[(cell.department, theme)]
        place[0] += cell.conversations
        place[1] += cell.without_scheme
        place[2] += cell.without_counter
        if theme is not None:
            themes[theme] += cell.conversations
            month_themes[(cell.month, theme)] += cell.conversations
    return IdeaRows(
        total=total,
        departments=_tallied(departments),
        themes=_tallied(themes),
        months=_tallied(months),
        month_themes=tuple(MonthTheme(m, t, n) for (m, t), n in sorted(month_themes.items())),
        places=tuple(
            PlaceTheme(department, theme, *counts)
            for (department, theme), counts in sorted(
                places.items(), key=lambda item: (item[0][0], item[0][1] or "")
            )
        ),
        first=None if first is None else _noon(first),
        last=None if last is None else _noon(last),
    )


def summed_steps(rows: Iterable[FunnelRow]) -> list[FunnelRow]:
    """Funnel rows of the same node and kind added up."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        counts = sums[(row.node, row.kind)]
        counts[0] += row.events
        counts[1] += row.conversations
    return [FunnelRow(node, kind, *counts) for (node, kind), counts in sorted(sums.items())]


def summed_unheard(rows: Iterable[UnheardRow], least: int, limit: int) -> list[UnheardRow]:
    """Unheard answers added up, those typed in at least `least` conversations, most often
    typed first, at most `limit`."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        counts = sums[(row.node, row.text)]
        counts[0] += row.times
        counts[1] += row.conversations
    kept = [
        UnheardRow(node, text, times, conversations)
        for (node, text), (times, conversations) in sums.items()
        if conversations >= least
    ]
    kept.sort(key=lambda r: (-r.times, -r.conversations, r.node, r.text))
    return kept[:limit]


def in_territory(rows: Iterable[tuple[str, R]], departments: Sequence[str] | None) -> list[R]:
    """The rows of a territory: those counted everywhere, or those of its départements."""
    if departments is None:
        return [row for place, row in rows if place == EVERYWHERE]
    wanted = set(departments)
    return [row for place, row in rows if place in wanted]


def _tallied(groups: dict[str, int]) -> tuple[Tallied, ...]:
    return tuple(Tallied(key, count) for key, count in sorted(groups.items()))


def _noon(day: dt.date) -> dt.datetime:
    """An instant inside a day in France, whatever the offset (the months a period shows)."""
    return dt.datetime.combine(day, dt.time(12), dt.UTC)
