"""The courier and citizens who are not connected: they wait, the channel is not down."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Sequence

import pytest

from bot.core.conversation import ChatRef, Reply
from bot.services.outbox import AWAY_RETRY, Courier, reply_notices
from bot.services.ports import Delivery, DeliveryFailed, RecipientAway, Storage
from bot.storage.memory import memory_storage

T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
HOME, AWAY = ChatRef("web", "a" * 32), ChatRef("web", "b" * 32)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


class Doorstep:
    """A web-like channel: a chat is either present (its messages go) or away."""

    channel = "web"

    def __init__(self) -> None:
        self.present: set[str] = set()
        self.tried: Counter[str] = Counter()
        self.shown: dict[str, list[str]] = {}
        self.hold: asyncio.Event | None = None  # a send waits on it before it fails
        self.down = False  # a real outage: every send fails

    def compose(self, replies: Sequence[Reply]) -> list[Reply]:
        return list(replies)

    def working(self, chat: ChatRef) -> None:
        pass

    def close(self) -> None:
        pass

    async def deliver(self, delivery: Delivery) -> str | None:
        chat = delivery.chat.chat_id
        self.tried[chat] += 1
        here = chat in self.present  # a socket that closes while the send waits fails it
        if self.hold is not None:
            await self.hold.wait()
            self.hold = None
        if self.down:
            raise DeliveryFailed()
        if not here:
            raise RecipientAway()
        self.shown.setdefault(chat, []).append(delivery.reply.text)
        return None


@pytest.fixture
async def storage() -> AsyncIterator[Storage]:
    opened = memory_storage(clock=lambda: T0)
    yield opened
    await opened.close()


async def queue(storage: Storage, chat: ChatRef, *texts: str) -> None:
    async with storage.conversations.chat(chat.key) as session:
        await session.enqueue(reply_notices(chat, [Reply(t) for t in texts]), T0)


async def settle(courier: Courier, *chats: ChatRef) -> None:
    for chat in chats:
        await courier.settled(chat.key, 5.0)
    await asyncio.sleep(0)  # a wake scheduled by an ending send starts
    for chat in chats:
        await courier.settled(chat.key, 5.0)


async def test_an_away_citizen_waits_and_others_deliveries_never_retry_them(
    storage: Storage,
) -> None:
    door, clock = Doorstep(), Clock()
    door.present.add(HOME.chat_id)
    courier = Courier(storage.outbox, [door], clock=clock)
    await queue(storage, AWAY, "Bonjour")
    courier.notify(AWAY.key)
    await settle(courier, AWAY)
    for turn in range(20):  # the channel keeps working for everyone else
        await queue(storage, HOME, f"Réponse {turn}")
        courier.notify(HOME.key)
        await settle(courier, HOME)

    assert door.tried[AWAY.chat_id] == 1  # never retried by the others' successes
    assert len(door.shown[HOME.chat_id]) == 20
    assert await storage.outbox.recipients("web:", clock.now, 10) == []
    (waiting,) = await storage.outbox.queued(AWAY.key, clock.now + AWAY_RETRY, 10)
    assert waiting.attempts == 1
    assert await storage.outbox.recipients("web:", clock.now + AWAY_RETRY, 10) == [AWAY.key]


async def test_waking_a_citizen_who_came_back_delivers_what_waited_in_order(
    storage: Storage,
) -> None:
    door, clock = Doorstep(), Clock()
    courier = Courier(storage.outbox, [door], clock=clock)
    await queue(storage, AWAY, "Un", "Deux", "Trois")
    courier.notify(AWAY.key)
    await settle(courier, AWAY)
    for _ in range(40):  # days of looking again at their due time: never given up
        clock.now += AWAY_RETRY
        courier.notify(AWAY.key)
        await settle(courier, AWAY)
    assert AWAY.chat_id not in door.shown

    door.present.add(AWAY.chat_id)
    await courier.wake(AWAY.key)
    await settle(courier, AWAY)

    assert door.shown[AWAY.chat_id] == ["Un", "Deux", "Trois"]
    assert await storage.outbox.queued(AWAY.key, clock.now + AWAY_RETRY, 10) == []


async def test_a_citizen_back_while_their_last_send_was_failing_is_not_forgotten(
    storage: Storage,
) -> None:
    door, clock = Doorstep(), Clock()
    courier = Courier(storage.outbox, [door], clock=clock)
    await queue(storage, AWAY, "Bonjour")
    door.hold = asyncio.Event()
    courier.notify(AWAY.key)
    await asyncio.sleep(0.01)  # the send is under way to the socket that is closing

    door.present.add(AWAY.chat_id)  # the page reconnected meanwhile
    await courier.wake(AWAY.key)
    door.hold.set()  # the old send fails now, and postpones the message
    await settle(courier, AWAY)

    assert door.shown[AWAY.chat_id] == ["Bonjour"]


async def test_a_real_outage_still_backs_off_and_recovers_the_whole_channel(
    storage: Storage,
) -> None:
    door, clock = Doorstep(), Clock()
    door.present.update({HOME.chat_id, AWAY.chat_id})
    door.down = True
    courier = Courier(storage.outbox, [door], clock=clock)
    await queue(storage, AWAY, "Bonjour")
    courier.notify(AWAY.key)
    await settle(courier, AWAY)
    door.down = False
    await queue(storage, HOME, "Salut")
    courier.notify(HOME.key)
    await settle(courier, HOME)

    # The channel is back: what failed during the outage is due again at once.
    assert await storage.outbox.recipients("web:", clock.now, 10) == [AWAY.key]
