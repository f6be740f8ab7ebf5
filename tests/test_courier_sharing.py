"""Couriers of several replicas on one outbox: the shared channels (Telegram, the lead desk)
go through the one that holds the lease, what the others queue reaches it by a signal, and a
web citizen's messages reach the replica their socket is connected to."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.conversation import ChatRef, Reply
from bot.services import leadership
from bot.services.leadership import Leadership
from bot.services.outbox import Courier, reply_notices
from bot.services.ports import Storage
from bot.storage.memory import memory_storage
from tests.test_courier_away import T0, Doorstep

CITIZEN = ChatRef("telegram", "42")
WEB = ChatRef("web", "c" * 32)


class Recorder(Doorstep):
    """A Telegram-like channel that always delivers."""

    channel = "telegram"

    def __init__(self) -> None:
        super().__init__()
        self.present = {CITIZEN.chat_id}


def replicas(storage: Storage, count: int) -> list[tuple[Courier, Recorder, Doorstep]]:
    """`count` couriers on one outbox, each with its Telegram and its web chat, whose signals
    reach every other (as PostgreSQL's NOTIFY would)."""
    built = []
    for _ in range(count):
        courier = Courier(storage.outbox, clock=lambda: T0)
        telegram, web = Recorder(), Doorstep()
        courier.add(telegram, shared=True)
        courier.add(web, here=lambda chat_id, web=web: chat_id in web.present)
        built.append((courier, telegram, web))
    for courier, _, _ in built:
        others = [c for c, _, _ in built if c is not courier]
        courier.elsewhere = lambda recipient, others=others: [o.heard(recipient) for o in others]
    return built


async def queue(storage: Storage, courier: Courier, chat: ChatRef, text: str) -> None:
    async with storage.conversations.chat(chat.key) as session:
        fresh = await session.enqueue(reply_notices(chat, [Reply(text)]), T0)
    courier.notify(chat.key, fresh)


async def settle(*couriers: Courier) -> None:
    for _ in range(5):
        await asyncio.sleep(0.01)
        for courier in couriers:
            for chat in (CITIZEN, WEB):
                await courier.settled(chat.key, 5.0)


async def test_what_a_follower_queues_goes_out_once_through_the_leader() -> None:
    storage = memory_storage(clock=lambda: T0)
    (leader, sent_by_leader, _), (follower, sent_by_follower, _) = replicas(storage, 2)
    follower.lead(False)
    await queue(storage, follower, CITIZEN, "Bonjour")
    await queue(storage, leader, CITIZEN, "Encore")
    await settle(leader, follower)
    assert sent_by_leader.shown == {CITIZEN.chat_id: ["Bonjour", "Encore"]}
    assert sent_by_follower.tried == {}
    assert not follower.serves("telegram") and follower.serves("web")


async def test_a_web_citizen_hears_a_reply_queued_on_another_replica() -> None:
    storage = memory_storage(clock=lambda: T0)
    (one, _, web_one), (other, _, web_other) = replicas(storage, 2)
    web_one.present.add(WEB.chat_id)  # the socket is on the first replica
    await queue(storage, other, WEB, "Votre conseillère vous répond")
    await settle(one, other)
    assert web_other.tried == {WEB.chat_id: 1}  # away there: it tells the others
    assert web_one.shown == {WEB.chat_id: ["Votre conseillère vous répond"]}


async def test_one_replica_leads_and_hands_over_when_it_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(leadership, "RENEW", 0.02)
    storage = memory_storage(clock=lambda: T0)
    built = replicas(storage, 3)
    leads = [
        Leadership(storage.leases, c, holder=f"replica-{i}") for i, (c, _, _) in enumerate(built)
    ]
    runs = [asyncio.create_task(lead.run()) for lead in leads]
    try:
        await asyncio.sleep(0.1)
        leading = [c.serves("telegram") for c, _, _ in built]
        assert leading.count(True) == 1
        first = leading.index(True)
        leads[first].stop()
        await runs[first]
        await leads[first].hand_over()
        await asyncio.sleep(0.1)
        leading = [c.serves("telegram") for c, _, _ in built]
        assert leading.count(True) == 1 and not leading[first]
    finally:
        for lead in leads:
            lead.stop()
        await asyncio.gather(*runs)
