"""The upkeep list's facts in memory: read from the shared state, link checks kept here."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from bot.core.links import LinkReport, LinkResult
from bot.core.upkeep import Matched, Staffing
from bot.services.ports_upkeep import STALE_CHECK
from bot.storage.keys import aware
from bot.storage.memory.state import MemoryDatabase, utc


class MemoryUpkeep:
    """The upkeep list's facts, in memory."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database
        self._ids = itertools.count(1)
        self._running: LinkReport | None = None
        self._last: LinkReport | None = None
        # What the events showed, kept when the events are purged (as the SQL table is).
        self._schemes: set[str] = set()
        self._counters: set[str] = set()
        self._since: dt.datetime | None = None

    async def staffing(self) -> Staffing:
        """The counters with an enabled advisor, and those with a linked Telegram group."""
        db = self.database
        advised = {c for p in db.people.values() if p.disabled_at is None for c in p.counters}
        grouped = {g.counter_id for g in db.groups.values() if g.counter_id is not None}
        return Staffing(frozenset(advised), frozenset(grouped))

    async def matched(self, now: dt.datetime) -> Matched:
        """The schemes and counters ever shown to a citizen (`match_run` events with ids)."""
        aware(now)
        for stored in self.database.events:
            detail = stored.event.detail
            if stored.event.kind != "match_run" or "scheme_ids" not in detail:
                continue
            self._schemes.update(_ids(detail.get("scheme_ids")))
            self._counters.update(_ids(detail.get("counter_ids")))
            at = utc(stored.at)
            self._since = at if self._since is None else min(self._since, at)
        return Matched(frozenset(self._schemes), frozenset(self._counters), self._since)

    async def start_check(self, by: str, at: dt.datetime) -> int | None:
        """Record a link check starting; its id, or None while another one runs."""
        if await self.running_check(at) is not None:
            return None
        self._running = LinkReport(next(self._ids), utc(at), by)
        return self._running.id

    async def finish_check(
        self, check_id: int, results: Sequence[LinkResult], at: dt.datetime
    ) -> None:
        """Keep a check's results: they replace the previous check's."""
        running = self._running
        if running is None or running.id != check_id:
            return
        self._last = LinkReport(
            running.id, running.started_at, running.started_by, utc(at), tuple(results)
        )
        self._running = None

    async def abandon_check(self, check_id: int) -> None:
        """Forget a check that could not finish (another may start)."""
        if self._running is not None and self._running.id == check_id:
            self._running = None

    async def running_check(self, at: dt.datetime) -> LinkReport | None:
        """The check running now, if any (one left for `STALE_CHECK` no longer counts)."""
        running = self._running
        if running is not None and utc(at) - running.started_at >= STALE_CHECK:
            self._running = running = None
        return running

    async def last_check(self) -> LinkReport | None:
        """The last finished check, with its results."""
        return self._last


def _ids(value: object) -> list[str]:
    """The ids of an event's list (anything else: none)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
