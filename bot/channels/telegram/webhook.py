"""Webhook updates, processed per chat in `update_id` order by whichever replica gets them.

The webhook route hands each update to `WebhookDrains.receive`: kept in the database first (a
repeated id is dropped), then drained. A drain claims its chat's oldest waiting update, waits
while ids just below it may still be on their way to another replica (`storage.arrivals`),
processes it, marks it done, and goes on with the next. Every replica also sweeps, each
second, for chats nobody drains: those of a replica that died mid-way (once its claim has run
out) and those whose wait for a missing id ran out. See `ports_arrivals`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels.telegram.inbound import CHANNEL
from bot.services.clock import Clock, utc_now
from bot.services.periodic import REPLICA
from bot.services.ports import JsonObject
from bot.services.ports_arrivals import Arrivals

log = logging.getLogger(__name__)
CLAIM = dt.timedelta(seconds=10)  # longer than any turn; a dead replica's chats wait this long
HOLD = dt.timedelta(seconds=2)  # an update waits at most this for the ids below it
NOT_READY_PAUSE = 0.01  # seconds between two looks at an update waiting for an earlier id
SWEEP_EVERY = 1.0  # seconds
# Processed ids are kept this long (and the newest `window` of them for ever): the ids just
# below a new update are known, and a gap tells an update still on its way.
KEEP_DONE = dt.timedelta(minutes=10)
FORGET_EVERY = 60  # sweeps
GIVE_UP_AFTER = 3  # attempts: an update that fails this often is dropped, as Telegram would
FAILED_PAUSE = 1.0  # seconds before the next attempt at a failed update
REMEMBERED = 10_000  # ids processed here, remembered to answer their webhook without a query
ANSWER_WITHIN = 5.0  # seconds: the webhook answers once its update is done, or after this
# Processes an update: its JSON, and its parsed form when this replica received it.
Process = Callable[[JsonObject, Any], Awaitable[None]]


class WebhookDrains:
    """Drains the chats of the updates received here, and sweeps for the ones left."""

    def __init__(
        self,
        store: Arrivals,
        process: Process,
        window: int,
        clock: Clock = utc_now,
        holder: str = REPLICA,
    ) -> None:
        self.store = store
        self.process = process
        self.window = window  # Telegram's max_connections: updates it may push at once
        self.clock = clock
        self.holder = holder
        self._drains: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._stopping = asyncio.Event()
        self._parsed: dict[int, Any] = {}  # received here, not processed yet
        self._finished: deque[int] = deque()
        self._finished_set: set[int] = set()

    async def receive(
        self, update_id: int, chat: str, payload: JsonObject, parsed: Any = None
    ) -> None:
        """Keep the update, then drain its chat; return once it is done (or `ANSWER_WITHIN`
        has passed: it is kept, and will be done all the same). `parsed`: the update as the
        route read it, used if this replica processes it (no second parsing)."""
        kept = await self.store.receive(CHANNEL, update_id, chat, payload, self.clock())
        if kept and parsed is not None:
            self._parsed[update_id] = parsed
        try:
            await self._wait(update_id, chat)
        finally:
            self._parsed.pop(update_id, None)  # done, or a later drain parses it again

    async def _wait(self, update_id: int, chat: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_WITHIN
        while not self._stopping.is_set():
            drain = self.kick(chat)
            left = deadline - loop.time()
            await asyncio.wait({drain}, timeout=max(0.0, left))
            if update_id in self._finished_set or loop.time() >= deadline:
                return
            if await self.store.is_done(CHANNEL, update_id):
                return
            await asyncio.sleep(NOT_READY_PAUSE)  # another replica has the chat

    def kick(self, chat: str) -> asyncio.Task[None]:
        """Drain the chat (again, if a drain is under way)."""
        task = self._drains.get(chat)
        if task is not None:
            self._again.add(chat)
            return task
        task = asyncio.create_task(self._drain(chat), name="webhook drain")
        self._drains[chat] = task
        return task

    async def _drain(self, chat: str) -> None:
        claimed: int | None = None  # an update claimed and not processed yet
        finished: int | None = None  # processed, to be marked done with the next claim
        try:
            while not self._stopping.is_set():
                self._again.discard(chat)
                now = self.clock()
                arrival = await self.store.claim(
                    CHANNEL, chat, self.holder, now + CLAIM, now, self.window, HOLD, finished
                )
                if finished is not None:
                    self._done(finished)
                    finished = None
                if arrival is None:
                    if chat in self._again:
                        continue
                    return
                claimed = arrival.update_id
                if not arrival.ready:
                    await asyncio.sleep(NOT_READY_PAUSE)
                    continue
                try:
                    parsed = self._parsed.pop(arrival.update_id, None)
                    await self.process(arrival.payload, parsed)
                except Exception:
                    attempts = arrival.attempts + 1
                    log.exception("a webhook update could not be processed (attempt %d)", attempts)
                    if attempts < GIVE_UP_AFTER:
                        await self.store.release(CHANNEL, arrival.update_id, failed=True)
                        claimed = None
                        await asyncio.sleep(FAILED_PAUSE)
                        continue
                    log.error("a webhook update is dropped after %d attempts", attempts)
                finished, claimed = arrival.update_id, None
            if finished is not None:  # stopping: what was processed is done
                await self.store.done(CHANNEL, finished, self.clock())
                self._done(finished)
            if claimed is not None:  # stopping: the next replica need not wait for the claim
                await self.store.release(CHANNEL, claimed, failed=False)
        except Exception:  # the database went away: the sweep drains the chat again
            log.exception("webhook: a chat's updates could not be drained")
        finally:
            if self._drains.get(chat) is asyncio.current_task():
                del self._drains[chat]

    def _done(self, update_id: int) -> None:
        """Remember, for a while, that this replica processed the update (no need to ask)."""
        self._finished.append(update_id)
        self._finished_set.add(update_id)
        if len(self._finished) > REMEMBERED:
            self._finished_set.discard(self._finished.popleft())

    async def sweep(self) -> None:
        """Until stopped: drain the chats nobody drains, and forget old processed ids."""
        sweeps = 0
        while not self._stopping.is_set():
            try:
                for chat in await self.store.waiting(CHANNEL, self.clock(), 100):
                    self.kick(chat)
                if sweeps % FORGET_EVERY == 0:
                    await self.store.forget(CHANNEL, self.clock() - KEEP_DONE, self.window)
            except Exception as error:
                log.warning("webhook: the sweep failed (%s)", type(error).__name__)
            sweeps += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), SWEEP_EVERY)

    def stop(self) -> None:
        """Claim nothing more (the updates under way finish: see `finish`)."""
        self._stopping.set()

    async def finish(self, timeout: float) -> None:
        """Let the updates under way commit; what waits stays for the other replicas."""
        drains = list(self._drains.values())
        if drains:
            _, late = await asyncio.wait(drains, timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
