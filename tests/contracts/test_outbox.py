"""The `Outbox` contract: messages due per recipient, in order, with retries and give-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.services.ports import Notice, QueuedNotice, Storage
from tests.contracts import CHAT, COUNTER, OTHER, T0, lead, outbox_errors, reply

MINUTE = dt.timedelta(minutes=1)
LATER = T0 + dt.timedelta(days=1)


async def enqueue(storage: Storage, notices: Sequence[Notice], at: dt.datetime = T0) -> None:
    """Write messages to the outbox as a turn of some chat does."""
    async with storage.conversations.chat(CHAT) as session:
        await session.enqueue(notices, at)


async def queue_of(storage: Storage, recipient: str, now: dt.datetime = LATER) -> list[int]:
    return [notice.id for notice in await storage.outbox.queued(recipient, now, 100)]


async def undelivered(storage: Storage, chat_key: str = CHAT) -> int:
    async with storage.conversations.chat(chat_key) as session:
        return await session.undelivered()


async def test_recipients_are_those_with_a_due_message_whose_key_has_the_prefix(
    storage: Storage,
) -> None:
    await enqueue(storage, [reply("telegram:2"), reply("web:1"), lead(counter="telegram-x")])
    await enqueue(storage, [reply("telegram:1"), reply("telegram:2")], T0 + MINUTE)
    outbox = storage.outbox
    assert await outbox.recipients("telegram:", T0 - MINUTE, 10) == []
    assert await outbox.recipients("telegram:", T0, 10) == ["telegram:2"]
    # Ordered by their oldest message; `limit` recipients at most.
    assert await outbox.recipients("telegram:", T0 + MINUTE, 10) == ["telegram:2", "telegram:1"]
    assert await outbox.recipients("telegram:", T0 + MINUTE, 1) == ["telegram:2"]
    assert await outbox.recipients("web:", T0 + MINUTE, 10) == ["web:1"]
    assert await outbox.recipients("", T0 + MINUTE, 10) == [
        "telegram:2",
        "web:1",
        "telegram-x",
        "telegram:1",
    ]


async def test_recipients_leave_out_delivered_given_up_and_later_messages(
    storage: Storage,
) -> None:
    await enqueue(storage, [reply("web:delivered"), reply("web:dead"), reply("web:later")])
    delivered, dead, later = [
        (await queue_of(storage, key, T0))[0] for key in ("web:delivered", "web:dead", "web:later")
    ]
    await storage.outbox.delivered([delivered], T0)
    await storage.outbox.dead(dead, T0, "refused")
    await storage.outbox.failed(later, T0 + MINUTE, "timeout")
    assert await storage.outbox.recipients("web:", T0, 10) == []
    assert await storage.outbox.recipients("web:", T0 + MINUTE, 10) == ["web:later"]


async def test_a_recipient_whose_first_message_waits_for_a_retry_is_not_listed(
    storage: Storage,
) -> None:
    await enqueue(storage, [reply("web:1")])
    (first,) = await queue_of(storage, "web:1", T0)
    await storage.outbox.failed(first, T0 + 10 * MINUTE, "timeout")
    await enqueue(storage, [reply("web:1")], T0 + MINUTE)  # due, but behind the first one
    assert await storage.outbox.recipients("web:", T0 + 2 * MINUTE, 10) == []
    assert await storage.outbox.recipients("web:", T0 + 10 * MINUTE, 10) == ["web:1"]


async def test_a_prefix_with_percent_or_underscore_is_taken_literally(storage: Storage) -> None:
    recipients = ["a%b:1", "a_b:1", "axb:1", "aXXb:1"]
    await enqueue(storage, [reply(r) for r in recipients])
    assert await storage.outbox.recipients("a%", T0, 10) == ["a%b:1"]
    assert await storage.outbox.recipients("a_", T0, 10) == ["a_b:1"]
    for recipient in recipients:
        (notice,) = await storage.outbox.queued(recipient, T0, 10)
        await storage.outbox.failed(notice.id, LATER, "timeout")
    assert await storage.outbox.retry_now("a%", T0) == 1
    assert await storage.outbox.retry_now("a_", T0) == 1
    assert await storage.outbox.recipients("", T0, 10) == ["a%b:1", "a_b:1"]


async def test_queued_gives_a_recipients_waiting_messages_in_order(storage: Storage) -> None:
    await enqueue(storage, [reply(text="un"), reply(OTHER), Notice("receipt", CHAT, {"n": 2})])
    await enqueue(storage, [reply(text="trois")], T0 + MINUTE)
    queued = await storage.outbox.queued(CHAT, T0 + MINUTE, 10)
    assert queued == [
        QueuedNotice(queued[0].id, "reply", CHAT, {"text": "un"}, 0, T0),
        QueuedNotice(queued[1].id, "receipt", CHAT, {"n": 2}, 0, T0),
        QueuedNotice(queued[2].id, "reply", CHAT, {"text": "trois"}, 0, T0 + MINUTE),
    ]
    assert queued[0].id < queued[1].id < queued[2].id
    assert await storage.outbox.queued(CHAT, T0 + MINUTE, 2) == queued[:2]
    assert await storage.outbox.queued(CHAT, T0 - MINUTE, 10) == []
    assert await storage.outbox.queued("web:never-seen", T0, 10) == []


async def test_nothing_is_queued_while_the_first_message_waits_for_its_retry(
    storage: Storage,
) -> None:
    await enqueue(storage, [reply(text="un"), reply(text="deux"), reply(text="trois")])
    first, second, third = await queue_of(storage, CHAT, T0)
    await storage.outbox.failed(first, T0 + MINUTE, "timeout")
    # The later messages are due, but must not overtake the first one.
    assert await storage.outbox.queued(CHAT, T0 + MINUTE - dt.timedelta(seconds=1), 10) == []
    retried = await storage.outbox.queued(CHAT, T0 + MINUTE, 10)
    assert [(n.id, n.attempts) for n in retried] == [(first, 1), (second, 0), (third, 0)]


async def test_a_delivered_reply_is_deleted_and_other_kinds_are_marked_delivered(
    storage: Storage,
) -> None:
    await enqueue(storage, [reply(), Notice("receipt", CHAT, {}), reply(), lead()])
    first, receipt, second = await queue_of(storage, CHAT)
    (to_counter,) = await queue_of(storage, COUNTER)
    await storage.outbox.delivered([first], T0)
    await storage.outbox.delivered([receipt], T0)
    await storage.outbox.delivered([to_counter], T0)
    assert await queue_of(storage, CHAT) == [second]
    assert await queue_of(storage, COUNTER) == []
    assert await undelivered(storage) == 1
    assert set(await outbox_errors(storage)) == {receipt, second, to_counter}
    await storage.outbox.delivered([second], T0)  # delivering twice changes nothing more
    await storage.outbox.delivered([receipt], T0)
    assert await undelivered(storage) == 0
    assert set(await outbox_errors(storage)) == {receipt, to_counter}


async def test_a_failed_attempt_is_counted_kept_with_its_error_and_retried_later(
    storage: Storage,
) -> None:
    await enqueue(storage, [lead()])
    (notice,) = await queue_of(storage, COUNTER, T0)
    await storage.outbox.failed(notice, T0 + MINUTE, "timeout")
    await storage.outbox.failed(notice, T0 + 5 * MINUTE, "HTTP 502")
    assert (await outbox_errors(storage))[notice] == "HTTP 502"
    assert await storage.outbox.recipients("", T0 + MINUTE, 10) == []
    assert await storage.outbox.queued(COUNTER, T0 + MINUTE, 10) == []
    (retried,) = await storage.outbox.queued(COUNTER, T0 + 5 * MINUTE, 10)
    assert (retried.id, retried.attempts, retried.created_at) == (notice, 2, T0)
    assert await storage.outbox.recipients("", T0 + 5 * MINUTE, 10) == [COUNTER]


async def test_a_dead_message_stops_and_the_next_one_is_served(storage: Storage) -> None:
    await enqueue(storage, [reply(text="malformé"), reply(text="suivant")])
    malformed, following = await queue_of(storage, CHAT, T0)
    await storage.outbox.dead(malformed, T0, "Bad Request: can't parse entities")
    assert await queue_of(storage, CHAT, T0) == [following]
    assert (await outbox_errors(storage))[malformed] == "Bad Request: can't parse entities"
    assert await undelivered(storage) == 1
    await storage.outbox.failed(malformed, T0, "late")  # a given-up message stays given up
    await storage.outbox.dead(malformed, LATER, "again")
    assert await queue_of(storage, CHAT, T0) == [following]
    assert (await outbox_errors(storage))[malformed] == "Bad Request: can't parse entities"


async def test_an_unreachable_recipient_stops_all_its_waiting_messages(storage: Storage) -> None:
    await enqueue(storage, [reply(), Notice("receipt", CHAT, {}), reply(), reply(OTHER)])
    first, *_ = await queue_of(storage, CHAT)
    await storage.outbox.delivered([first], T0)
    assert await storage.outbox.unreachable(CHAT, T0, "Forbidden: bot was blocked") == 2
    assert await queue_of(storage, CHAT) == []
    assert await storage.outbox.recipients("", LATER, 10) == [OTHER]
    assert await undelivered(storage) == 0
    assert await undelivered(storage, OTHER) == 1
    assert await storage.outbox.unreachable(CHAT, T0, "again") == 0


async def test_readdress_moves_only_what_still_waits_in_order(storage: Storage) -> None:
    await enqueue(storage, [reply("telegram:-5"), reply("telegram:-5"), reply("telegram:-7")])
    await enqueue(storage, [reply("telegram:-5")])
    first, *_ = await queue_of(storage, "telegram:-5")
    await storage.outbox.delivered([first], T0)
    assert await storage.outbox.readdress("telegram:-5", "telegram:-1005") == 2
    assert await queue_of(storage, "telegram:-5") == []
    moved = await queue_of(storage, "telegram:-1005")
    assert len(moved) == 2 and moved == sorted(moved)
    assert await storage.outbox.readdress("telegram:-5", "telegram:-1005") == 0
    assert len(await queue_of(storage, "telegram:-7")) == 1


async def test_retry_now_makes_failed_messages_of_the_prefix_due_again(storage: Storage) -> None:
    await enqueue(storage, [reply("telegram:1"), reply("telegram:2"), reply("web:1")])
    await enqueue(storage, [reply("telegram:3")])
    ids = {key: (await queue_of(storage, key, T0))[0] for key in ("telegram:1", "web:1")}
    for notice in ids.values():
        await storage.outbox.failed(notice, LATER, "Telegram is down")
    due_anyway = (await queue_of(storage, "telegram:2", T0))[0]
    await storage.outbox.failed(due_anyway, T0, "timeout")  # already due: nothing to change

    assert await storage.outbox.retry_now("telegram:", T0 + MINUTE) == 1

    assert await storage.outbox.recipients("", T0 + MINUTE, 10) == [
        "telegram:1",
        "telegram:2",
        "telegram:3",
    ]
    (retried,) = await storage.outbox.queued("telegram:1", T0 + MINUTE, 10)
    assert (retried.id, retried.attempts) == (ids["telegram:1"], 1)
    assert await storage.outbox.queued("web:1", T0 + MINUTE, 10) == []
    assert await storage.outbox.retry_now("telegram:", T0 + MINUTE) == 0


async def test_several_messages_are_marked_delivered_in_one_call(storage: Storage) -> None:
    await enqueue(storage, [reply(), reply(), lead()])
    replies = await queue_of(storage, CHAT, T0)
    (to_counter,) = await queue_of(storage, COUNTER, T0)
    await storage.outbox.delivered([*replies, to_counter], T0)
    assert await storage.outbox.queued(CHAT, LATER, 10) == []
    assert await storage.outbox.queued(COUNTER, LATER, 10) == []
    assert await undelivered(storage) == 0


async def test_an_id_is_never_given_again_once_its_reply_was_delivered_and_deleted(
    storage: Storage,
) -> None:
    # A web page drops a message whose seq (its row id) it already showed: ids only grow.
    await enqueue(storage, [reply("web:1"), reply("web:1")])
    first = await queue_of(storage, "web:1", T0)
    await storage.outbox.delivered(first, T0)  # replies are deleted: the outbox is empty
    await enqueue(storage, [reply("web:1")])
    (again,) = await queue_of(storage, "web:1", T0)
    assert again > max(first)


async def test_a_recipient_retried_now_by_its_own_key_leaves_the_others_waiting(
    storage: Storage,
) -> None:
    # What `Courier.wake` does when a web citizen connects again.
    await enqueue(storage, [reply("web:aaaa"), reply("web:bbbb")])
    for key in ("web:aaaa", "web:bbbb"):
        (notice,) = await queue_of(storage, key, T0)
        await storage.outbox.failed(notice, LATER, "RecipientAway")
    assert await storage.outbox.retry_now("web:aaaa", T0 + MINUTE) == 1
    assert await storage.outbox.recipients("web:", T0 + MINUTE, 10) == ["web:aaaa"]
