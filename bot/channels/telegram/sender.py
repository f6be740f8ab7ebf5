"""Sending to Telegram at the pace it allows: per chat and overall, with retries and waits."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Pace:
    """Telegram's sending limits: about one message a second per chat, thirty overall.

    Telegram tolerates short bursts in a chat (« we may allow short bursts that go over this
    limit », Bots FAQ): up to `per_chat_burst` messages may go at once, then one every
    `per_chat_interval` on average, so a turn's few messages are not spread over seconds.
    A call still failing after `max_attempts` is given back to the outbox, which retries it
    later for as long as it takes.
    """

    per_chat_interval: float = 1.0
    overall_per_second: float = 30.0
    per_chat_burst: int = 3
    # A group takes « no more than 20 messages per minute » (Bots FAQ): one every 3 s, no
    # burst, a little slack. Group chats have negative ids.
    per_group_interval: float = 3.05
    max_attempts: int = 4
    max_backoff: float = 5.0


class Closed(RuntimeError):
    """The sender is closing (shutdown): this request was not sent."""


class Sender:
    """Sends paced per chat and overall, retrying a few times until Telegram accepts.

    Limits are respected by waiting, never by dropping: `RetryAfter` waits as told, timeouts
    and 5xx are retried with exponential backoff. A `BadRequest` (a bug of ours) and a
    `Forbidden` (the citizen blocked the bot) are not retried.
    """

    def __init__(self, pace: Pace, clock: Callable[[], float] = time.monotonic) -> None:
        self.pace = pace
        self.clock = clock
        # Per chat, the « theoretical arrival time » of the generic cell rate algorithm: a send
        # may go `burst - 1` intervals ahead of it, and each send pushes it one interval on.
        self._due: dict[int | str, float] = {}
        self._overall = asyncio.Lock()
        self._next_overall = 0.0
        self._closing = asyncio.Event()

    def close(self) -> None:
        """Send nothing more: waiting requests give up (a request already sent completes)."""
        self._closing.set()

    async def _sleep(self, seconds: float) -> None:
        """Wait, unless the sender closes meanwhile (then nothing is sent: `Closed`)."""
        if seconds > 0 and not self._closing.is_set():
            sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
            closer = asyncio.ensure_future(self._closing.wait())
            _, pending = await asyncio.wait({sleeper, closer}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
        if self._closing.is_set():
            raise Closed()

    async def _wait_turn(self, chat_id: int | str) -> None:
        """Wait for this chat's slot (bursts of a few, then about 1 s apart; 3 s in a group),
        then a global one.

        The per-chat wait happens outside the shared lock: one busy chat never delays the
        others. Only the short global spacing (1/30 s) is taken under the lock.
        """
        group = isinstance(chat_id, int) and chat_id < 0
        interval = self.pace.per_group_interval if group else self.pace.per_chat_interval
        burst = 1 if group else max(1, self.pace.per_chat_burst)
        now = self.clock()
        due = max(self._due.get(chat_id, now), now)
        self._due[chat_id] = due + interval  # booked before sleeping: FIFO within the chat
        wait = due - (burst - 1) * interval - now
        await self._sleep(wait)
        async with self._overall:
            await self._sleep(self._next_overall - self.clock())
            now = self.clock()
            self._next_overall = now + 1.0 / self.pace.overall_per_second
        if len(self._due) > 50_000:  # keep only chats that still constrain the pace
            self._due = {c: t for c, t in self._due.items() if t > now}

    async def call(
        self, chat_id: int | str, request: Callable[[], Awaitable[T]], paced: bool = True
    ) -> T:
        """Run one Bot API request for a chat, with pacing and retries."""
        attempt = 0
        while True:
            if paced:
                await self._wait_turn(chat_id)
            if self._closing.is_set():
                raise Closed()
            try:
                return await request()
            except RetryAfter as error:
                delay = seconds(error.retry_after)
                log.info("Telegram asked to wait %.1f s", delay)
                await self._sleep(delay)
            except (BadRequest, Forbidden):
                raise
            except NetworkError:
                attempt += 1
                if attempt >= self.pace.max_attempts:
                    raise
                await self._sleep(min(self.pace.max_backoff, 0.2 * 2**attempt))


def seconds(value: float | dt.timedelta) -> float:
    """A Telegram delay as seconds (PTB gives a timedelta or a number)."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
