"""A day's observatory counts from the events in memory: the same cells as the SQL statements."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from bot.core.observatory.days import EVERY_THEME, EVERYWHERE, NO_THEME, DayCounts, IdeaCell
from bot.core.observatory.rows import FUNNEL_KINDS, FunnelRow, UnheardRow
from bot.core.observatory.scope import Scope, day_of, month_of
from bot.storage.memory.state import StoredEvent


def by_day(events: Iterable[StoredEvent], scope: Scope) -> dict[dt.date, list[StoredEvent]]:
    """The events of the scope's period, by day in France."""
    found: dict[dt.date, list[StoredEvent]] = defaultdict(list)
    for stored in events:
        if (scope.start is None or stored.at >= scope.start) and (
            scope.end is None or stored.at < scope.end
        ):
            found[day_of(stored.at)].append(stored)
    return found


def counted(events: list[StoredEvent]) -> DayCounts:
    """What the events of one day (or part of one) count."""
    if not events:
        return DayCounts((), (), ())
    month = month_of(events[0].at)
    ideas: dict[tuple[str, str], tuple[set[str], set[str], set[str]]] = defaultdict(
        lambda: (set(), set(), set())
    )
    places: dict[str, set[str]] = defaultdict(set)
    for stored in events:
        if stored.event.kind != "match_run":
            continue
        chat, detail = stored.pseudonym, stored.event.detail
        department = str(detail.get("department") or "")
        places[chat].add(department)
        chosen = detail.get("themes")
        listed = [str(t) for t in chosen] if isinstance(chosen, list) else []
        for theme in (EVERY_THEME, *(listed or [NO_THEME])):
            every, schemes, counters = ideas[(department, theme)]
            every.add(chat)
            if detail.get("local_schemes") == 0:
                schemes.add(chat)
            if detail.get("local_counters") == 0:
                counters.add(chat)
    steps: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    unheard: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for stored in events:
        event, chat = stored.event, stored.pseudonym
        typed = event.detail.get("typed")
        for place in (EVERYWHERE, *places.get(chat, ())):
            if event.kind in FUNNEL_KINDS:
                steps[(place, event.node, event.kind)].append(chat)
            if event.kind == "invalid_input" and isinstance(typed, str) and typed:
                unheard[(place, event.node, typed)].append(chat)
    return DayCounts(
        ideas=tuple(
            IdeaCell(month, department, theme, len(a), len(s), len(c))
            for (department, theme), (a, s, c) in sorted(ideas.items())
        ),
        steps=tuple(
            (place, FunnelRow(node, kind, len(chats), len(set(chats))))
            for (place, node, kind), chats in sorted(steps.items())
        ),
        unheard=tuple(
            (place, UnheardRow(node, text, len(chats), len(set(chats))))
            for (place, node, text), chats in sorted(unheard.items())
        ),
    )
