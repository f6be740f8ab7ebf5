"""A look taken now and then every few seconds until stopped (reminders, the purge, the
observatory), once per cluster when it is given a lease."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.services.clock import Clock, utc_now
from bot.services.ports_leases import Leases

log = logging.getLogger(__name__)
# This process, as the leases name it: the host, the process, and a nonce for a reused pid.
REPLICA = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
# A job looked at every N seconds takes its lease for 0.9 N: free again at the next look.
TURN_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class Turn:
    """A periodic job's lease: a look runs only when it takes the lease `name` for `period`
    (so once per cluster and per period, whichever replica looks first)."""

    leases: Leases
    name: str
    period: dt.timedelta
    holder: str = REPLICA
    clock: Clock = utc_now

    async def take(self) -> bool:
        """Whether this replica has the job's turn now (and keeps it for `period`)."""
        now = self.clock()
        return await self.leases.take(self.name, self.holder, now + self.period, now)


async def repeat(
    look: Callable[[], Awaitable[object]],
    every: float,
    stopping: asyncio.Event,
    what: str,
    turn: Turn | None = None,
) -> None:
    """Run `look` now, then every `every` seconds, until `stopping` is set (with a `turn`, only
    the looks whose lease this replica takes); a failed look is logged and the next one tries
    again (the database may be briefly away)."""
    while not stopping.is_set():
        try:
            if turn is None or await turn.take():
                await look()
            else:
                log.debug("%s: another replica has this turn", what)
        except Exception:
            log.exception("%s: this look failed", what)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)
