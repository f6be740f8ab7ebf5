"""The observatory's aggregates in memory: the same groups and counts as the SQL ones."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence

from bot.core.observatory import days
from bot.core.observatory.days import DayCounts, IdeaCell, in_territory
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
from bot.core.observatory.scope import Scope
from bot.services.ports import Notice, QueuedNotice
from bot.services.ports_advisors import Lead
from bot.services.ports_observatory import DIGEST
from bot.storage.guard import refuse_nesting
from bot.storage.memory.observatory_days import by_day, counted
from bot.storage.memory.outbox import stage_notices
from bot.storage.memory.state import MemoryDatabase, utc


def within(scope: Scope, at: dt.datetime, department: object) -> bool:
    """Whether an instant and a département fall in the scope."""
    return (
        (scope.start is None or at >= scope.start)
        and (scope.end is None or at < scope.end)
        and (scope.departments is None or department in scope.departments)
    )


class MemoryObservatory:
    """The observatory's aggregates, in memory."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database
        self._sending = asyncio.Lock()

    def _days(self, scope: Scope) -> list[DayCounts]:
        """What each day of the scope's period counts."""
        return [counted(found) for found in by_day(self.database.events, scope).values()]

    async def ideas(self, scope: Scope) -> IdeaRows:
        """Conversations whose matching ran, counted once a day per group."""
        cells: list[IdeaCell] = []
        seen: list[dt.date] = []
        for day, found in sorted(by_day(self.database.events, scope).items()):
            kept = [
                cell
                for cell in counted(found).ideas
                if scope.departments is None or cell.department in scope.departments
            ]
            if kept:
                seen.append(day)
            cells += kept
        return days.ideas(cells, min(seen, default=None), max(seen, default=None))

    async def funnel(self, scope: Scope) -> list[FunnelRow]:
        """Entered, answered, invalid and abandoned events by node, counted by day."""
        counts = self._days(scope)
        return days.summed_steps(
            row for day in counts for row in in_territory(day.steps, scope.departments)
        )

    async def unheard(self, scope: Scope, least: int, limit: int) -> list[UnheardRow]:
        """The typed answers not understood in at least `least` conversations."""
        counts = self._days(scope)
        rows = [row for day in counts for row in in_territory(day.unheard, scope.departments)]
        return days.summed_unheard(rows, least, limit)

    async def roll_up(self, now: dt.datetime) -> int:
        """Nothing to roll up: memory counts from its events each time."""
        return 0

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
            no_scheme, no_counter = not snapshot.local_scheme(), not snapshot.local_counter()
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
