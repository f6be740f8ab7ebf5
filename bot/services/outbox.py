"""The outbox courier: delivers every queued message through its channel, in order per chat."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from bot.core.conversation import ChatRef, Reply
from bot.services.clock import Clock, utc_now
from bot.services.ports import (
    Consumer,
    Delivery,
    DeliveryFailed,
    DeliveryRefused,
    Notice,
    Outbound,
    Outbox,
    QueuedNotice,
    RecipientAway,
    RecipientUnreachable,
)
from bot.services.replies import reply_from_json, reply_json

__all__ = [
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
REPLY = "reply"  # the kind of a citizen's reply in the outbox
BATCH = 50
MARK_WITHIN = 0.05  # seconds: a burst's sends are marked delivered together within this
# A recipient away (not connected) is looked at again this late; `Courier.wake` comes first.
AWAY_RETRY = dt.timedelta(minutes=10)


class _Outcome(enum.Enum):
    SENT = "sent"
    SKIPPED_DONE = "skipped, done"  # nothing to send: marked as delivered
    SKIPPED = "skipped"  # given up alone (refused): the next message may go
    STOP = "stop"  # failed or unreachable: the recipient waits


def reply_notices(
    chat: ChatRef, replies: Sequence[Reply], origin: str | None = None
) -> list[Notice]:
    """A turn's replies as outbox rows, in order; the first carries the pressed message's id."""
    return [
        Notice(
            kind=REPLY,
            recipient=chat.key,
            payload={"reply": reply_json(reply), "origin": origin, "first": index == 0},
        )
        for index, reply in enumerate(replies)
    ]


def delivery(notice: QueuedNotice) -> Delivery:
    """The delivery an outbox row of a reply stands for."""
    channel, _, chat_id = notice.recipient.partition(":")
    payload = notice.payload
    origin = payload.get("origin")
    return Delivery(
        chat=ChatRef(channel, chat_id),
        reply=reply_from_json(payload["reply"]),
        origin=str(origin) if origin is not None else None,
        first=bool(payload.get("first")),
        conversation=bool(payload.get("conversation", True)),
        seq=notice.id,
    )


def message_notice(kind: str, recipient: str, reply: Reply) -> Notice:
    """A message outside a conversation (to advisors, a relayed text): no keyboard is replaced."""
    return Notice(kind, recipient, {"reply": reply_json(reply), "conversation": False})


def backoff(attempts: int, cap: float = 30.0) -> dt.timedelta:
    """How long to wait before trying a message again after `attempts` failures."""
    return dt.timedelta(seconds=min(cap, 2.0 ** max(attempts, 0)))


class Courier:
    """Delivers queued messages through the channels' `Outbound` ports.

    One task per recipient sends its messages one after the other, in the order they were
    queued: a message is sent only once the previous one was delivered (or can never be).
    A failure schedules a retry with backoff and stops that recipient until then; the first
    success on a channel after failures makes every waiting message of it due again.
    """

    def __init__(
        self,
        outbox: Outbox,
        outbounds: Iterable[Outbound] = (),
        clock: Clock = utc_now,
        poll: float = 1.0,
    ) -> None:
        self.outbox = outbox
        self.clock = clock
        self.poll = poll
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

    def add(self, outbound: Outbound) -> None:
        """Deliver this channel's messages too, starting with those already waiting."""
        self._outbounds[outbound.channel] = outbound
        self._wake.set()

    def consume(self, consumer: Consumer) -> None:
        """Carry this consumer's rows to it, in order per recipient, until each is done."""
        self._consumers[consumer.channel] = consumer
        self._wake.set()

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
        channel = recipient.partition(":")[0]
        if self._stopping or (channel not in self._outbounds and channel not in self._consumers):
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
            return _Outcome.STOP
        except RecipientUnreachable as error:
            count = await self.outbox.unreachable(notice.recipient, self.clock(), _name(error))
            log.info("outbox: a %s recipient is unreachable, %d message(s) dropped", channel, count)
            return _Outcome.STOP
        except DeliveryRefused as error:
            await self.outbox.dead(notice.id, self.clock(), _name(error))
            log.error("outbox: message %d refused by %s, skipped", notice.id, channel)
            return _Outcome.SKIPPED
        except Exception as error:  # DeliveryFailed, or a bug: never lose the message
            if self._stopping:
                return _Outcome.STOP  # not sent: it stays due for the next start
            if not isinstance(error, DeliveryFailed):
                log.exception("outbox: delivery of message %d crashed", notice.id)
            retry_at = self.clock() + backoff(notice.attempts)
            await self.outbox.failed(notice.id, retry_at, _name(error))
            self._failing.add(channel)
            log.warning(
                "outbox: message %d not delivered on %s (attempt %d): %s",
                notice.id,
                channel,
                notice.attempts + 1,
                _name(error),
            )
            return _Outcome.STOP
        if channel in self._failing:  # the channel is back: see `_mark`
            self._failing.discard(channel)
            self._recovering = channel
        return _Outcome.SENT


def _name(error: BaseException) -> str:
    """An error's kind, never its message (it may carry a token, a chat id or a text)."""
    cause = error.__cause__
    return f"{type(error).__name__}({type(cause).__name__})" if cause else type(error).__name__
