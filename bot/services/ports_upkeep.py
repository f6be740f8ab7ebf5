"""What the upkeep list reads from storage: who is linked, what citizens were shown, link checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from bot.core.links import LinkReport, LinkResult
from bot.core.upkeep import Matched, Staffing

# A check still unfinished after this was cut short (a replica stopped): another may start.
STALE_CHECK = dt.timedelta(minutes=30)


class UpkeepData(Protocol):
    """The stored facts the upkeep list needs."""

    async def staffing(self) -> Staffing:
        """The counters with an enabled advisor, and those with a linked Telegram group."""

    async def matched(self, now: dt.datetime) -> Matched:
        """The schemes and counters ever shown to a citizen (`match_run` events with ids).

        Kept beyond the events' retention; events logged before their ids were are no
        information. `now` bounds what is taken as settled (see the SQL store).
        """

    async def start_check(self, by: str, at: dt.datetime) -> int | None:
        """Record a link check starting; its id, or None while another one runs.

        A check unfinished for `STALE_CHECK` no longer counts as running.
        """

    async def finish_check(
        self, check_id: int, results: Sequence[LinkResult], at: dt.datetime
    ) -> None:
        """Keep a check's results: they replace the previous check's."""

    async def abandon_check(self, check_id: int) -> None:
        """Forget a check that could not finish (another may start)."""

    async def running_check(self, at: dt.datetime) -> LinkReport | None:
        """The check running now, in any replica (without results), if any."""

    async def last_check(self) -> LinkReport | None:
        """The last finished check, with its results."""
