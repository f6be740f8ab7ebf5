"""Periodic jobs taken in turn across replicas: `storage.leases`.

A lease is a job's name, who took it and until when. `take` succeeds for one replica at a time,
and only once the previous lease has expired: a job that takes its lease for its period before
each look (the daily purge for a day, the reminders for a quarter of an hour) runs once per
cluster and per period, and a replica that stops or dies hands the job over when its lease
runs out.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Leases(Protocol):
    """The periodic jobs' leases, shared by every replica of one database."""

    async def take(
        self, name: str, holder: str, until: dt.datetime, now: dt.datetime, renew: bool = False
    ) -> bool:
        """Take the job `name` until `until`, when nobody holds it at `now` (never taken, or
        expired) or, with `renew`, when `holder` does; whether this call took it."""

    async def give_up(self, name: str, holder: str, now: dt.datetime) -> None:
        """Let the job go at `now`, if `holder` has it (a replica stopping hands it over)."""

    async def holder(self, name: str, now: dt.datetime) -> str | None:
        """Who holds the job at `now`, if anyone (diagnostics)."""
