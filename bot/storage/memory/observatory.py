"""The observatory's aggregates in memory: the same groups and counts as the SQL ones."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence

from bot.core.observatory.rows import (
    FUNNEL_KINDS,
    AssessmentRows,
    FunnelRow,
    GapIdeaRow,
    IdeaRows,
    LeadRow,
    MarkerRow,
    MonthTheme,
    PlaceTheme,
    TakingRow,
    Tallied,
    UnheardRow,
)
from bot.core.observatory.scope import Scope, month_of
from bot.services.ports import Notice, QueuedNotice
from bot.services.ports_advisors import Lead
from bot.services.ports_observatory import DIGEST
from bot.storage.guard import refuse_nesting
from bot.storage.memory.outbox import stage_notices
from bot.storage.memory.state import MemoryDatabase, StoredEvent, utc

NATIONAL = "national"


def within(scope: Scope, at: dt.datetime, department: object) -> bool:
    """Whether an instant and a département fall in the scope."""
    return (
        (scope.start is None or at >= scope.start)
        and (scope.end is None or at < scope.end)
        and (scope.departments is None or department in scope.departments)
    )


def _tallies(groups: dict[str, set[str]]) -> tuple[Tallied, ...]:
    return tuple(Tallied(key, len(chats)) for key, chats in sorted(groups.items()))


class MemoryObservatory:
    """The observatory's aggregates, in memory."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database
        self._sending = asyncio.Lock()

    def _matches(self, scope: Scope) -> list[StoredEvent]:
        return [
            e
            for e in self.database.events
            if e.event.kind == "match_run" and within(scope, e.at, e.event.detail.get("department"))
        ]

    async def ideas(self, scope: Scope) -> IdeaRows:
        """Conversations whose matching ran, each counted once per group."""
        matches = self._matches(scope)
        departments: dict[str, set[str]] = defaultdict(set)
        themes: dict[str, set[str]] = defaultdict(set)
        months: dict[str, set[str]] = defaultdict(set)
        month_themes: dict[tuple[str, str], set[str]] = defaultdict(set)
        places: dict[tuple[str, str | None], list[set[str]]] = defaultdict(
            lambda: [set(), set(), set()]
        )
        for stored in matches:
            chat, detail = stored.pseudonym, stored.event.detail
            department = str(detail.get("department"))
            month = month_of(stored.at)
            departments[department].add(chat)
            months[month].add(chat)
            chosen = detail.get("themes")
            listed: list[str | None] = [str(t) for t in chosen] if isinstance(chosen, list) else []
            for theme in listed or [None]:
                counted = places[(department, theme)]
                counted[0].add(chat)
                if detail.get("local_schemes") == 0:
                    counted[1].add(chat)
                if detail.get("local_counters") == 0:
                    counted[2].add(chat)
                if theme is not None:
                    themes[theme].add(chat)
                    month_themes[(month, theme)].add(chat)
        return IdeaRows(
            total=len({e.pseudonym for e in matches}),
            departments=_tallies(departments),
            themes=_tallies(themes),
            months=_tallies(months),
            month_themes=tuple(
                MonthTheme(m, t, len(c)) for (m, t), c in sorted(month_themes.items())
            ),
            places=tuple(
                PlaceTheme(d, t, len(a), len(s), len(c))
                for (d, t), (a, s, c) in sorted(
                    places.items(), key=lambda i: (i[0][0], i[0][1] or "")
                )
            ),
            first=min((e.at for e in matches), default=None),
            last=max((e.at for e in matches), default=None),
        )

    def _events(self, scope: Scope, kinds: Iterable[str]) -> list[StoredEvent]:
        """Events of these kinds in the period (and of conversations matched in the scope)."""
        wanted = set(kinds)
        period = Scope(scope.start, scope.end)
        chats = None
        if scope.departments is not None:
            chats = {e.pseudonym for e in self._matches(scope)}
        return [
            e
            for e in self.database.events
            if e.event.kind in wanted
            and within(period, e.at, None)
            and (chats is None or e.pseudonym in chats)
        ]

    async def funnel(self, scope: Scope) -> list[FunnelRow]:
        """Entered, answered, invalid and abandoned events by node."""
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for stored in self._events(scope, FUNNEL_KINDS):
            groups[(stored.event.node, stored.event.kind)].append(stored.pseudonym)
        return [
            FunnelRow(node, kind, len(chats), len(set(chats)))
            for (node, kind), chats in sorted(groups.items())
        ]

    async def unheard(self, scope: Scope, least: int, limit: int) -> list[UnheardRow]:
        """The typed answers not understood in at least `least` conversations."""
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for stored in self._events(scope, ["invalid_input"]):
            typed = stored.event.detail.get("typed")
            if isinstance(typed, str) and typed:
                groups[(stored.event.node, typed)].append(stored.pseudonym)
        rows = [
            UnheardRow(node, text, len(chats), len(set(chats)))
            for (node, text), chats in groups.items()
            if len(set(chats)) >= least
        ]
        rows.sort(key=lambda r: (-r.times, -r.conversations, r.node, r.text))
        return rows[:limit]

    def _leads(self, scope: Scope) -> list[Lead]:
        leads = [s.lead for s in self.database.leads]
        return sorted(
            (
                lead
                for lead in leads
                if within(scope, lead.created_at, lead.filing.snapshot.commune.department or None)
            ),
            key=lambda lead: lead.id,
        )

    async def gap_ideas(self, scope: Scope, limit: int) -> list[GapIdeaRow]:
        """Leads filed in the scope whose match had nothing local, newest first."""
        found = []
        for lead in reversed(self._leads(scope)):
            snapshot = lead.filing.snapshot
            no_scheme = all(s.level == NATIONAL for s in snapshot.schemes)
            no_counter = all(c.level == NATIONAL for c in snapshot.counters)
            if not (no_scheme or no_counter):
                continue
            profile = lead.filing.profile
            found.append(
                GapIdeaRow(
                    department=snapshot.commune.department,
                    themes=tuple(profile.themes),
                    carrier=str(profile.carrier),
                    stage=str(profile.stage),
                    needs=tuple(str(n) for n in profile.needs),
                    idea=lead.filing.idea,
                    filed_at=lead.created_at,
                    without_scheme=no_scheme,
                    without_counter=no_counter,
                )
            )
        return found[:limit]

    async def leads(self, scope: Scope) -> list[LeadRow]:
        """Leads filed in the scope, by counter and status."""
        groups: dict[tuple[str | None, str], int] = defaultdict(int)
        for lead in self._leads(scope):
            groups[(lead.counter_id, lead.status)] += 1
        return [LeadRow(counter, status, n) for (counter, status), n in groups.items()]

    async def takings(self, scope: Scope, chunk: int) -> AsyncIterator[list[TakingRow]]:
        """Leads filed in the scope with their first « pris en charge », `chunk` at a time."""
        taken: dict[int, dt.datetime] = {}
        for event in self.database.lead_events:
            if event.kind == "taken":
                at = utc(event.at)
                taken[event.lead_id] = min(at, taken.get(event.lead_id, at))
        rows = [
            TakingRow(
                lead.id,
                lead.filing.snapshot.commune.department or None,
                lead.created_at,
                taken.get(lead.id),
            )
            for lead in self._leads(scope)
        ]
        for first in range(0, len(rows), chunk):
            yield rows[first : first + chunk]

    async def assessments(self, scope: Scope) -> AssessmentRows:
        """The self-assessments of the leads filed in the scope, by marker and level."""
        assessed = 0
        groups: dict[tuple[str, int], set[int]] = defaultdict(set)
        for lead in self._leads(scope):
            if lead.filing.assessment:
                assessed += 1
            for answer in lead.filing.assessment:
                groups[(answer.marker, answer.level)].add(lead.id)
        levels = tuple(MarkerRow(m, level, len(ids)) for (m, level), ids in sorted(groups.items()))
        return AssessmentRows(assessed, levels)

    async def digest_sent(self, since: dt.datetime) -> bool:
        """Whether a weekly digest was queued since this instant."""
        return any(
            n.notice.kind == DIGEST and n.created_at >= since for n in self.database.outbox.values()
        )

    async def send_digest(
        self, since: dt.datetime, notices: Sequence[Notice], at: dt.datetime
    ) -> list[QueuedNotice] | None:
        """Queue the digest's messages unless one was queued since `since`."""
        refuse_nesting("send_digest")
        async with self._sending:
            if await self.digest_sent(since):
                return None
            staged, written = stage_notices(self.database, notices, at)
            for stored in staged:
                self.database.outbox[stored.id] = stored
            return written
