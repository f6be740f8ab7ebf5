"""The outbox courier: delivers every queued message through its channel, in order per chat."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from bot.services.clock import Clock, utc_now
from bot.services.meter import NO_METER, Meter
from bot.services.notices import (
    REPLY,
    backoff,
    delivery,
    error_name,
    message_notice,
    reply_from_json,
    reply_json,
    reply_notices,
)
from bot.services.ports import (
    Consumer,
    Delivery,
    DeliveryFailed,
    DeliveryRefused,
    Outbound,
    Outbox,
    QueuedNotice,
    RecipientAway,
    RecipientUnreachable,
)

__all__ = [
    "REPLY",
    "Courier",
    "delivery",
    "message_notice",
    "reply_from_json",
    "reply_json",
    "reply_notices",
]

log = logging.getLogger(__name__)
Preparer = Callable[[QueuedNotice], Awaitable[Delivery | None]]
Receiver = Callable[[QueuedNotice, str | None], Awaitable[None]]
BATCH = 50
MARK_WITHIN = 0.05  # seconds: a burst's sends are marked delivered together within this
# A recipient away (not connected) is looked at again this late; `Courier.wake` comes first.
AWAY_RETRY = dt.timedelta(minutes=10)


class _Outcome(enum.Enum):
    SENT = "sent"
    SKIPPED_DONE = "skipped, done"  # nothing to send: marked as delivered
    SKIPPED = "skipped"  # given up alone (refused): the next message may go
    STOP = "stop"  # failed or unreachable: the recipient waits


class Courier:
    """Delivers queued messages through the channels' `Outbound` ports.

    One task per recipient sends its messages one after the other, in the order they were
    queued: a message is sent only once the previous one was delivered (or can never be).
    A failure schedules a retry with backoff and stops that recipient until then; the first
    success on a channel after failures makes every waiting message of it due again.

    Across replicas, the shared channels (Telegram, the lead desk) are served by one courier
    at a time, the one `lead` was given to (a lease: `bot.services.leadership`); the others
    pass what they queue to it through `elsewhere`. A replica's own channel (the web chat, its
    sockets) is served by each.
    """

    def __init__(
        self,
        outbox: Outbox,
        outbounds: Iterable[Outbound] = (),
        clock: Clock = utc_now,
        poll: float = 1.0,
        meter: Meter = NO_METER,
    ) -> None:
        self.outbox = outbox
        self.clock = clock
        self.poll = poll
        self.meter = meter
        self._outbounds: dict[str, Outbound] = {o.channel: o for o in outbounds}
        self._consumers: dict[str, Consumer] = {}
        self._preparers: dict[str, Preparer] = {}
        self._receivers: dict[str, Receiver] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._failing: set[str] = set()
        self._recovering = ""  # a channel that just came back after failures
        self._woken: set[str] = set()  # came back while a send to them was under way
        self._waking: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._wake = asyncio.Event()
        self._shared: set[str] = set()  # channels served by one courier of the cluster
        self._leading = True  # alone until told otherwise: it serves them
        self._here: dict[str, Callable[[str], bool]] = {}
        # Told of messages queued here for a channel another replica serves (or a recipient
        # connected to another replica).
        self.elsewhere: Callable[[str], None] | None = None

    def add(
        self,
        outbound: Outbound,
        shared: bool = False,
        here: Callable[[str], bool] | None = None,
    ) -> None:
        """Deliver this channel's messages too, starting with those already waiting;
        `shared`: only while this courier leads (one sender for the cluster); `here`: whether
        a chat is connected to this replica (the web chat's sockets)."""
        self._outbounds[outbound.channel] = outbound
        if shared:
            self._shared.add(outbound.channel)
        if here is not None:
            self._here[outbound.channel] = here
        self._wake.set()

    def consume(self, consumer: Consumer) -> None:
        """Carry this consumer's rows to it, in order per recipient, until each is done (a
        shared channel: once per cluster)."""
        self._consumers[consumer.channel] = consumer
        self._shared.add(consumer.channel)
        self._wake.set()

    def lead(self, leading: bool) -> None:
        """Serve the shared channels (this replica holds the lease) or not (another does)."""
        if leading != self._leading:
            self._leading = leading
            self._wake.set()

    def serves(self, channel: str) -> bool:
        """Whether this courier delivers the channel's messages now."""
        served = channel in self._outbounds or channel in self._consumers
        return served and (self._leading or channel not in self._shared)

    def prepare(self, kind: str, preparer: Preparer, receiver: Receiver | None = None) -> None:
        """Messages of this kind are worded when they go (a card shows the lead as it is then);
        `receiver` learns the id of the message sent (to change it later)."""
        self._preparers[kind] = preparer
        if receiver is not None:
            self._receivers[kind] = receiver

    def outbound(self, channel: str) -> Outbound | None:
        """The way out of a channel, if it is served here."""
        return self._outbounds.get(channel)

    def notify(self, recipient: str, fresh: Sequence[QueuedNotice] | None = None) -> None:
        """Messages were just queued for `recipient`: deliver them now.

        `fresh`: the messages just committed, when nothing older waits for this recipient;
        they are sent without being read back.
        """
        if self._stopping:
            return
        if not self.serves(recipient.partition(":")[0]):
            self._tell_elsewhere(recipient)
            return
        if recipient in self._tasks:
            self._again.add(recipient)
        else:
            self._start(recipient, None if fresh is None else list(fresh))

    async def wake(self, recipient: str) -> None:
        """The recipient is back (a web citizen connected): what waits for them goes now."""
        if self._stopping:
            return
        if recipient in self._tasks:  # a send under way may be postponing: look again after it
            self._woken.add(recipient)
            return
        await self.outbox.retry_now(recipient, self.clock())
        self.notify(recipient)

    async def run(self) -> None:
        """Find due messages (after a restart, a retry time, another process) until stopped."""
        while not self._stopping:
            for channel in [*self._outbounds, *self._consumers]:
                if not self.serves(channel):
                    continue
                try:
                    due = await self.outbox.recipients(f"{channel}:", self.clock(), 500)
                except Exception:  # the database may be briefly away: try at the next round
                    log.exception("outbox: could not look for due messages")
                    due = []
                for recipient in due:
                    if recipient not in self._tasks and not self._stopping:
                        self._start(recipient)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)

    async def drain(self, recipient: str, timeout: float = 30.0) -> None:
        """Wait until `recipient` has nothing due left (a terminal waits for its answer)."""
        async with asyncio.timeout(timeout):
            while True:
                task = self._tasks.get(recipient)
                if task is not None:
                    await asyncio.shield(task)
                    continue
                if not await self.outbox.queued(recipient, self.clock(), 1):
                    return
                self._start(recipient)

    async def settled(self, recipient: str, timeout: float) -> None:
        """Wait (up to `timeout`) for the sends in progress to `recipient` to finish."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (task := self._tasks.get(recipient)) is not None:
            left = deadline - loop.time()
            if left <= 0:
                return
            await asyncio.wait({task}, timeout=left)

    async def stop(self, timeout: float = 5.0) -> None:
        """Take no more work; let sends in progress finish for up to `timeout` seconds.

        What is not delivered by then stays in the outbox for the next start.
        """
        self._stopping = True
        self._wake.set()
        for outbound in self._outbounds.values():
            outbound.close()  # sends waiting for their turn give up; those under way finish
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def heard(self, recipient: str) -> None:
        """Another replica queued messages for `recipient`: deliver them if it is ours."""
        channel, _, chat_id = recipient.partition(":")
        here = self._here.get(channel)
        if self._stopping or not self.serves(channel):
            return
        if here is None:
            self.notify(recipient)
        elif here(chat_id):  # connected here: what was put off for it goes now
            waking = asyncio.create_task(self.wake(recipient), name="courier wake")
            self._waking.add(waking)
            waking.add_done_callback(self._waking.discard)

    def _tell_elsewhere(self, recipient: str) -> None:
        if self.elsewhere is not None:  # a lost hint only delays: the others look every round
            self.elsewhere(recipient)

    @property
    def busy(self) -> int:
        """Recipients being served right now."""
        return len(self._tasks)

    def _start(self, recipient: str, first: list[QueuedNotice] | None = None) -> None:
        task = asyncio.create_task(self._serve(recipient, first), name="courier")
        self._tasks[recipient] = task

    async def _serve(self, recipient: str, first: list[QueuedNotice] | None) -> None:
        try:
            while not self._stopping:
                self._again.discard(recipient)
                if first is not None:
                    batch, first = first, None
                else:
                    batch = await self.outbox.queued(recipient, self.clock(), BATCH)
                if not batch and recipient not in self._again:
                    return
                if not await self._deliver_all(batch):
                    return
                if len(batch) < BATCH and recipient not in self._again:
                    return  # nothing was queued meanwhile: no need to look again
        except Exception:  # the database went away mid-way: the next round tries again
            log.exception("outbox: delivery interrupted")
        finally:  # no await between the last check and here: a notify starts a new task
            if self._tasks.get(recipient) is asyncio.current_task():
                del self._tasks[recipient]
                if recipient in self._woken:
                    self._woken.discard(recipient)
                    waking = asyncio.create_task(self.wake(recipient), name="courier wake")
                    self._waking.add(waking)
                    waking.add_done_callback(self._waking.discard)

    async def _deliver_all(self, batch: Sequence[QueuedNotice]) -> bool:
        """Send a recipient's messages in order; whether all went (or can never go).

        Messages sent in one burst are marked delivered together, in one write, as soon as the
        burst ends (or `MARK_WITHIN` after its first send): a crash may repeat only what was
        sent in that last moment, as for a send whose answer is lost.
        """
        loop = asyncio.get_running_loop()
        sent: list[int] = []
        since = 0.0
        try:
            for notice in batch:
                if self._stopping:
                    return False
                outcome = await self._deliver_marking(notice, sent, since)
                if outcome is _Outcome.STOP:
                    return False
                if outcome in (_Outcome.SENT, _Outcome.SKIPPED_DONE):
                    if not sent:
                        since = loop.time()
                    sent.append(notice.id)
                    if loop.time() - since >= MARK_WITHIN:
                        await self._mark(sent)
            return True
        finally:
            await self._mark(sent)

    async def _deliver_marking(
        self, notice: QueuedNotice, sent: list[int], since: float
    ) -> _Outcome:
        """Deliver one message; those sent before it are marked `MARK_WITHIN` after the first,
        even while this one still waits for its turn (Telegram's pace), not once it went."""
        if not sent:
            return await self._deliver(notice)
        delivering = asyncio.ensure_future(self._deliver(notice))
        left = since + MARK_WITHIN - asyncio.get_running_loop().time()
        try:
            done, _ = await asyncio.wait({delivering}, timeout=max(0.0, left))
            if not done:
                await self._mark(sent)
            return await delivering
        except BaseException:
            delivering.cancel()
            raise

    async def _mark(self, sent: list[int]) -> None:
        """Record what was sent (and empty the list)."""
        if not sent:
            return
        done, sent[:] = list(sent), []
        await self.outbox.delivered(done, self.clock())
        channel = self._recovering
        if channel:  # the channel came back after failures: the waiting need not wait more
            self._recovering = ""
            await self.outbox.retry_now(f"{channel}:", self.clock())
            self._wake.set()

    async def _deliver(self, notice: QueuedNotice) -> _Outcome:
        """Send one message; whether it went, was skipped, or stops the recipient."""
        channel = notice.recipient.partition(":")[0]
        if not self.serves(channel):  # the lead went to another replica: it goes on from here
            return _Outcome.STOP
        try:
            consumer = self._consumers.get(channel)
            if consumer is not None:
                await consumer.consume(notice)
                return _Outcome.SENT
            outbound = self._outbounds[channel]
            preparer = self._preparers.get(notice.kind)
            prepared = delivery(notice) if preparer is None else await preparer(notice)
            if prepared is None:  # nothing to send any more (the lead is gone…)
                return _Outcome.SKIPPED_DONE
            receipt = await outbound.deliver(prepared)
            receiver = self._receivers.get(notice.kind)
            if receiver is not None:
                await receiver(notice, receipt)
        except RecipientAway:  # no outage: only this recipient waits, until `wake`
            if self._stopping:
                return _Outcome.STOP
            retry_at = self.clock() + AWAY_RETRY
            await self.outbox.failed(notice.id, retry_at, RecipientAway.__name__)
            self._tell_elsewhere(notice.recipient)  # connected to another replica, maybe
            return _Outcome.STOP
        except RecipientUnreachable as error:
            self.meter.delivery_failed(channel)
            count = await self.outbox.unreachable(notice.recipient, self.clock(), error_name(error))
            log.info("outbox: a %s recipient is unreachable, %d message(s) dropped", channel, count)
            return _Outcome.STOP
        except DeliveryRefused as error:
            self.meter.delivery_failed(channel)
            await self.outbox.dead(notice.id, self.clock(), error_name(error))
            log.error("outbox: message %d refused by %s, skipped", notice.id, channel)
            return _Outcome.SKIPPED
        except Exception as error:  # DeliveryFailed, or a bug: never lose the message
            if self._stopping:
                return _Outcome.STOP  # not sent: it stays due for the next start
            self.meter.delivery_failed(channel)
            if not isinstance(error, DeliveryFailed):
                log.exception("outbox: delivery of message %d crashed", notice.id)
            retry_at = self.clock() + backoff(notice.attempts)
            await self.outbox.failed(notice.id, retry_at, error_name(error))
            self._failing.add(channel)
            log.warning(
                "outbox: message %d not delivered on %s (attempt %d): %s",
                notice.id,
                channel,
                notice.attempts + 1,
                error_name(error),
            )
            return _Outcome.STOP
        if channel in self._failing:  # the channel is back: see `_mark`
            self._failing.discard(channel)
            self._recovering = channel
        return _Outcome.SENT
