"""Webhook arrivals: a chat's updates go one at a time, in update_id order, whichever replica
received them; an update waits for the ids just below it (in flight to another replica), at
most its hold; a replica that dies hands its chats over when its claim runs out."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

import pytest

from bot.channels.telegram import webhook
from bot.channels.telegram.webhook import WebhookDrains
from bot.services.ports import JsonObject, Storage
from bot.storage import open_storage
from tests.lead_stores import KEY, Clock

NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
HOLD = 2 * SECOND
T = "telegram"


async def _receive(storage: Storage, updates: Sequence[tuple[int, str]], at: dt.datetime) -> None:
    for update_id, chat in updates:
        assert await storage.arrivals.receive(T, update_id, chat, {"n": update_id}, at)


async def test_a_chat_s_updates_are_claimed_oldest_first_and_once(lead_storage: Storage) -> None:
    arrivals = lead_storage.arrivals
    await _receive(lead_storage, [(100, "a"), (101, "b"), (102, "a")], NOW)
    assert not await arrivals.receive(T, 100, "a", {"n": 100}, NOW)  # a repeat: dropped
    first = await arrivals.claim(T, "a", "r1", NOW + 10 * SECOND, NOW, 40, HOLD)
    assert first is not None and (first.update_id, first.payload, first.ready) == (
        100,
        {"n": 100},
        True,
    )
    assert await arrivals.claim(T, "a", "r2", NOW + 10 * SECOND, NOW, 40, HOLD) is None
    again = await arrivals.claim(T, "a", "r1", NOW + 10 * SECOND, NOW, 40, HOLD)
    assert again is not None and again.update_id == 100  # its own claim, renewed
    assert not await arrivals.is_done(T, 100)
    await arrivals.done(T, 100, NOW)
    assert await arrivals.is_done(T, 100)
    second = await arrivals.claim(T, "a", "r2", NOW + 10 * SECOND, NOW, 40, HOLD)
    assert second is not None and second.update_id == 102 and second.ready
    other = await arrivals.claim(T, "b", "r1", NOW + 10 * SECOND, NOW, 40, HOLD)
    assert other is not None and other.update_id == 101


async def test_an_update_waits_for_the_ids_below_it_at_most_its_hold(
    lead_storage: Storage,
) -> None:
    arrivals = lead_storage.arrivals
    await _receive(lead_storage, [(200, "a"), (203, "b")], NOW)  # 201 and 202 on their way
    waiting = await arrivals.claim(T, "b", "r1", NOW + 10 * SECOND, NOW, 40, HOLD)
    assert waiting is not None and waiting.update_id == 203 and not waiting.ready
    await _receive(lead_storage, [(202, "c")], NOW)
    waiting = await arrivals.claim(T, "b", "r1", NOW + 10 * SECOND, NOW + SECOND, 40, HOLD)
    assert waiting is not None and not waiting.ready  # 201 still missing
    later = await arrivals.claim(T, "b", "r1", NOW + 10 * SECOND, NOW + 2 * SECOND, 40, HOLD)
    assert later is not None and later.ready  # held long enough: 201 was lost, or is late

    await _receive(lead_storage, [(201, "b")], NOW + 3 * SECOND)  # late: older, same chat
    head = await arrivals.claim(T, "b", "r1", NOW + 10 * SECOND, NOW + 3 * SECOND, 40, HOLD)
    assert head is not None and head.update_id == 201 and head.ready
    # Beyond the window, missing ids are not waited for (Telegram pushes at most 40 at once).
    await _receive(lead_storage, [(300, "d")], NOW + 3 * SECOND)
    far = await arrivals.claim(T, "d", "r1", NOW + 10 * SECOND, NOW + 3 * SECOND, 40, HOLD)
    assert far is not None and not far.ready
    wide = await arrivals.claim(T, "d", "r1", NOW + 10 * SECOND, NOW + 3 * SECOND, 96, HOLD)
    assert wide is not None and not wide.ready  # 204…299 missing within 96 ids
    narrow = await arrivals.claim(T, "d", "r1", NOW + 10 * SECOND, NOW + 3 * SECOND, 1, HOLD)
    assert narrow is not None and not narrow.ready  # 299 missing


async def test_a_claim_runs_out_and_failures_are_counted(lead_storage: Storage) -> None:
    arrivals = lead_storage.arrivals
    await _receive(lead_storage, [(400, "a")], NOW - 5 * SECOND)
    assert await arrivals.waiting(T, NOW, 10) == ["a"]
    assert await arrivals.claim(T, "a", "dead", NOW + 10 * SECOND, NOW, 40, HOLD) is not None
    assert await arrivals.waiting(T, NOW, 10) == []
    assert await arrivals.claim(T, "a", "r2", NOW + 20 * SECOND, NOW + 5 * SECOND, 40, HOLD) is None
    assert await arrivals.waiting(T, NOW + 10 * SECOND, 10) == ["a"]  # the dead one's ran out
    taken = await arrivals.claim(T, "a", "r2", NOW + 20 * SECOND, NOW + 10 * SECOND, 40, HOLD)
    assert taken is not None and taken.attempts == 0
    await arrivals.release(T, 400, failed=True)
    retried = await arrivals.claim(T, "a", "r3", NOW + 30 * SECOND, NOW + 11 * SECOND, 40, HOLD)
    assert retried is not None and retried.attempts == 1
    await arrivals.release(T, 400, failed=False)
    released = await arrivals.claim(T, "a", "r4", NOW + 30 * SECOND, NOW + 11 * SECOND, 40, HOLD)
    assert released is not None and released.attempts == 1
    await arrivals.done(T, 400, NOW + 11 * SECOND)
    assert await arrivals.forget(T, NOW - 6 * SECOND, 0) == 0  # received after: kept
    assert await arrivals.forget(T, NOW, 1) == 0  # the newest id is kept: the next follows it
    await _receive(lead_storage, [(401, "b")], NOW)
    await arrivals.done(T, 401, NOW)
    assert await arrivals.forget(T, NOW + SECOND, 1) == 1
    assert await arrivals.is_done(T, 400)  # forgotten counts as done
    assert await arrivals.forget(T, NOW + SECOND, 1) == 0  # 401 is the newest: kept


async def test_two_replicas_claiming_one_chat_at_once_get_it_once(sql_database: str) -> None:
    stores = [await open_storage(sql_database, clock=Clock(NOW), pseudonym_key=KEY) for _ in "ab"]
    try:
        await _receive(stores[0], [(500, "a"), (501, "a")], NOW)
        claims = await asyncio.gather(
            *(
                store.arrivals.claim(T, "a", f"r{i}", NOW + 10 * SECOND, NOW, 40, HOLD)
                for i, store in enumerate(stores * 4)
            )
        )
        assert [c.update_id for c in claims if c is not None] == [500]
    finally:
        for store in stores:
            await store.close()


class Recorder:
    """The processing of the drains: what it saw, in order; failing on demand."""

    def __init__(self, failing: int = 0) -> None:
        self.seen: list[int] = []
        self.failing = failing

    async def __call__(self, payload: JsonObject, parsed: object = None) -> None:
        await asyncio.sleep(0.005)
        if self.failing:
            self.failing -= 1
            raise RuntimeError("a bug")
        self.seen.append(int(payload["n"]))


async def test_two_replicas_draining_a_chat_process_it_in_order(sql_database: str) -> None:
    stores = [await open_storage(sql_database, pseudonym_key=KEY) for _ in "ab"]
    recorder = Recorder()
    drains = [
        WebhookDrains(s.arrivals, recorder, 40, holder=f"replica-{i}") for i, s in enumerate(stores)
    ]
    try:
        await _receive(stores[0], [(999, "before")], NOW)  # the last update seen, long ago
        await stores[0].arrivals.done(T, 999, NOW)
        # Updates 1000…1019 of two chats, pushed at once to the two replicas, in no order:
        # the first to arrive may be the last of its chat.
        order = [*range(1000, 1020, 2), *range(1019, 999, -2)]
        await asyncio.gather(
            *(drains[n % 2].receive(n, "odd" if n % 2 else "even", {"n": n}) for n in order)
        )
        for chat in ("odd", "even"):
            mine = [n for n in recorder.seen if n % 2 == (chat == "odd")]
            assert mine == sorted(mine) and len(mine) == 10
    finally:
        for drain in drains:
            drain.stop()
        for store in stores:
            await store.close()


async def test_an_update_that_keeps_failing_is_dropped_after_three_attempts(
    lead_storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook, "FAILED_PAUSE", 0.0)  # no need to wait in a test
    recorder = Recorder(failing=3)
    drains = WebhookDrains(lead_storage.arrivals, recorder, 40)
    await drains.receive(600, "a", {"n": 600})
    await drains.receive(601, "a", {"n": 601})
    assert recorder.seen == [601]  # 600 failed three times: dropped, the chat goes on
    assert await lead_storage.arrivals.is_done(T, 600)
