"""The courier's lease: one replica of the cluster delivers the shared channels at a time.

Telegram counts its 30 messages a second per bot, and each chat's pace per chat: one sender
for the cluster keeps both without a shared budget to agree on at every message, and delivers
each queued message once. The holder renews its lease every `RENEW` seconds for `LEASE`; it
stops sending as soon as a renewal fails, well before the lease runs out, and another replica
takes over when it has (at most `LEASE` seconds without a sender, after a replica died).
A replica stopping gives the lease up: the next one takes over at its next look.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from bot.services.clock import Clock, utc_now
from bot.services.outbox import Courier
from bot.services.periodic import REPLICA
from bot.services.ports_leases import Leases

log = logging.getLogger(__name__)
NAME = "courier"
LEASE = dt.timedelta(seconds=10)
RENEW = 2.0  # seconds


class Leadership:
    """Keeps (or waits for) the courier's lease, and tells the courier whether it leads."""

    def __init__(
        self, leases: Leases, courier: Courier, clock: Clock = utc_now, holder: str = REPLICA
    ) -> None:
        self.leases = leases
        self.courier = courier
        self.clock = clock
        self.holder = holder
        self._stopping = asyncio.Event()
        self._held: bool | None = None

    async def run(self) -> None:
        """Until stopped: take or renew the lease, and serve the shared channels while held."""
        self.courier.lead(False)
        while not self._stopping.is_set():
            now = self.clock()
            try:
                held = await self.leases.take(NAME, self.holder, now + LEASE, now, renew=True)
            except Exception as error:  # unsure whether it is still ours: stop sending
                log.warning("courier lease: not renewed (%s)", type(error).__name__)
                held = False
            if held != self._held:
                log.info("courier lease: %s", "held here" if held else "held by another replica")
                self._held = held
            self.courier.lead(held)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), RENEW)

    def stop(self) -> None:
        """Take the lease no more (the courier stops on its own)."""
        self._stopping.set()

    async def hand_over(self) -> None:
        """Once the courier has stopped (no send under way): let the next replica take over."""
        self._stopping.set()
        self.courier.lead(False)
        with contextlib.suppress(Exception):
            await self.leases.give_up(NAME, self.holder, self.clock())
