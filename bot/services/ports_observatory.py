"""What the observatory reads from storage: aggregates of events and leads, by scope.

`storage.observatory` is the `ObservatoryData`. The rows are the core's
(`bot.core.observatory.rows`): exact counts, grouped in the database, nothing personal. The
weekly digest is remembered by its own outbox rows (kind `DIGEST`): no table of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from bot.core.observatory.rows import (
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
from bot.core.observatory.scope import Scope
from bot.services.ports import Notice, QueuedNotice

__all__ = [
    "DIGEST",
    "AssessmentRows",
    "FunnelRow",
    "GapIdeaRow",
    "IdeaRows",
    "LeadRow",
    "MarkerRow",
    "MonthTheme",
    "ObservatoryData",
    "PlaceTheme",
    "Scope",
    "TakingRow",
    "Tallied",
    "UnheardRow",
]

DIGEST = "observatory_digest"  # the outbox kind of the weekly digest to the staff group


class ObservatoryData(Protocol):
    """The stored facts the observatory counts; every read runs off the event loop."""

    async def ideas(self, scope: Scope) -> IdeaRows:
        """Conversations whose matching ran (`match_run`), counted once a day per group (see
        `bot.core.observatory.days`)."""

    async def funnel(self, scope: Scope) -> list[FunnelRow]:
        """Entered, answered, invalid and abandoned events by node, conversations counted once
        a day.

        With départements, only the conversations whose matching ran there that day.
        """

    async def unheard(self, scope: Scope, least: int, limit: int) -> list[UnheardRow]:
        """The typed answers not understood, typed in at least `least` conversations (counted
        once a day), most frequent first."""

    async def roll_up(self, now: dt.datetime) -> int:
        """Count once every closed day not counted yet (a day is closed a few minutes after
        its midnight in France); how many days this call counted."""

    async def gap_ideas(self, scope: Scope, limit: int) -> list[GapIdeaRow]:
        """Leads filed in the scope whose match had no local scheme or no local counter,
        newest first."""

    async def leads(self, scope: Scope) -> list[LeadRow]:
        """Leads filed in the scope, by counter and status."""

    def takings(self, scope: Scope, chunk: int) -> AsyncIterator[list[TakingRow]]:
        """Leads filed in the scope with their first « pris en charge », `chunk` at a time."""

    async def assessments(self, scope: Scope) -> AssessmentRows:
        """The self-assessments of the leads filed in the scope, by marker and level."""

    async def digest_sent(self, since: dt.datetime) -> bool:
        """Whether a weekly digest was queued since this instant."""

    async def send_digest(
        self, since: dt.datetime, notices: Sequence[Notice], at: dt.datetime
    ) -> list[QueuedNotice] | None:
        """Queue the digest's messages (of kind `DIGEST`) unless one was queued since `since`,
        in one transaction (two replicas never both send it); None when one was."""
