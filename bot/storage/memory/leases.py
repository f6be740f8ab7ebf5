"""The periodic jobs' leases in memory (one process: the tests, the terminal)."""

from __future__ import annotations

import datetime as dt


class MemoryLeases:
    """The leases of the periodic jobs, in memory."""

    def __init__(self) -> None:
        self._leases: dict[str, tuple[str, dt.datetime]] = {}

    async def take(self, name: str, holder: str, until: dt.datetime, now: dt.datetime) -> bool:
        """Take the job until `until` when its lease is free or expired at `now`."""
        held = self._leases.get(name)
        if held is not None and held[1] > now:
            return False
        self._leases[name] = (holder, until)
        return True

    async def holder(self, name: str, now: dt.datetime) -> str | None:
        """Who holds the job at `now`."""
        held = self._leases.get(name)
        return held[0] if held is not None and held[1] > now else None
