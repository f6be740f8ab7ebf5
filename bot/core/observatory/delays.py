"""How fast leads are taken: the median time from filing to « pris en charge », and the share
taken within 5 working days (public holidays of the lead's département excluded)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable

from bot.core.observatory.figures import THRESHOLD, Count, Delays
from bot.core.observatory.rows import TakingRow
from bot.core.observatory.scope import PARIS
from bot.core.workdays import add_working_days, working_days_between

WITHIN_DAYS = 5


class DelayTally:
    """Folds leads in, a chunk at a time; `delays(today)` gives the figure."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self._hours: list[float] = []
        self._within = 0
        self._late = 0  # taken later, or still untaken past the 5 working days

    def add(self, rows: Iterable[TakingRow]) -> None:
        """Count some leads."""
        for row in rows:
            filed = row.filed_at.astimezone(PARIS).date()
            if row.taken_at is not None:
                self._hours.append((row.taken_at - row.filed_at).total_seconds() / 3600)
                taken = row.taken_at.astimezone(PARIS).date()
                if working_days_between(filed, taken, row.department) <= WITHIN_DAYS:
                    self._within += 1
                else:
                    self._late += 1
            elif add_working_days(filed, WITHIN_DAYS, row.department) < self.today:
                self._late += 1  # its 5 working days are over: it was not taken within them

    def delays(self) -> Delays:
        """The figure; the median and the share hidden when based on fewer than 5 leads."""
        taken = len(self._hours)
        judged = self._within + self._late
        return Delays(
            taken=Count.of(taken),
            median_hours=statistics.median(self._hours) if taken >= THRESHOLD else None,
            judged=Count.of(judged),
            within=Count.of(self._within),
            share_within=self._within / judged if judged >= THRESHOLD else None,
        )


def duration(hours: float) -> str:
    """« 5 h », « 2,5 jours »: a delay as staff read it."""
    if hours < 24:
        return f"{max(hours, 0):.0f} h"
    days = hours / 24
    shown = f"{days:.1f}".replace(".", ",").removesuffix(",0")
    return f"{shown} jour{'s' if days >= 2 else ''}"


def percent(share: float) -> str:
    """« 62 % »."""
    return f"{share * 100:.0f}\u00a0%"
