"""The periodic jobs' leases in memory (one process: the tests, the terminal)."""

from __future__ import annotations

import datetime as dt


class MemoryLeases:
    """The leases of the periodic jobs, in memory."""

    def __init__(self) -> None:
        self._leases: dict[str, tuple[str, dt.datetime]] = {}

    async def take(
        self, name: str, holder: str, until: dt.datetime, now: dt.datetime, renew: bool = False
    ) -> bool:
        """Take the job until `until` when its lease is free or expired at `now` (or ours)."""
        held = self._leases.get(name)
        if held is not None and held[1] > now and not (renew and held[0] == holder):
            return False
        self._leases[name] = (holder, until)
        return True

    async def give_up(self, name: str, holder: str, now: dt.datetime) -> None:
        """Let the job go, if `holder` has it."""
        held = self._leases.get(name)
        if held is not None and held[0] == holder:
            self._leases[name] = (holder, now)

    async def holder(self, name: str, now: dt.datetime) -> str | None:
        """Who holds the job at `now`."""
        held = self._leases.get(name)
        return held[0] if held is not None and held[1] > now else None
