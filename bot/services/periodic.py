"""A look taken now and then every few seconds until stopped (reminders, the weekly digest)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def repeat(
    look: Callable[[], Awaitable[object]], every: float, stopping: asyncio.Event, what: str
) -> None:
    """Run `look` now, then every `every` seconds, until `stopping` is set; a failed look is
    logged and the next one tries again (the database may be briefly away)."""
    while not stopping.is_set():
        try:
            await look()
        except Exception:
            log.exception("%s: this look failed", what)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)
