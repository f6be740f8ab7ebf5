"""The periodic jobs' leases: one replica at a time takes a job, until its lease expires; two
replicas on one database (SQLite, PostgreSQL) taking it at the same moment take it once; the
daily purge of two replicas runs once."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.services.periodic import Turn
from bot.services.ports import Privacy, Purged, Retention, Storage
from bot.services.privacy import RetentionKeeper
from bot.storage import open_storage
from tests.lead_stores import KEY, Clock

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def url(sql_database: str) -> str:
    return sql_database


async def replicas(url: str, count: int) -> list[Storage]:
    """`count` stores on one database, as `count` processes would open it."""
    return [await open_storage(url, clock=Clock(NOW), pseudonym_key=KEY) for _ in range(count)]


async def test_a_job_is_taken_by_one_holder_until_its_lease_expires(
    lead_storage: Storage,
) -> None:
    leases = lead_storage.leases
    assert await leases.holder("purge", NOW) is None
    assert await leases.take("purge", "a", NOW + HOUR, NOW)
    assert await leases.holder("purge", NOW) == "a"
    assert not await leases.take("purge", "b", NOW + HOUR, NOW + HOUR / 2)
    assert not await leases.take("purge", "a", NOW + 2 * HOUR, NOW + HOUR / 2)  # no renewal
    assert await leases.take("reminders", "b", NOW + HOUR, NOW)  # another job, its own lease

    assert await leases.take("purge", "b", NOW + 2 * HOUR, NOW + HOUR)  # expired: handed over
    assert await leases.holder("purge", NOW + HOUR) == "b"
    assert await leases.holder("purge", NOW + 3 * HOUR) is None


async def test_replicas_taking_a_job_at_the_same_moment_take_it_once(url: str) -> None:
    stores = await replicas(url, 3)
    try:
        taken = await asyncio.gather(
            *(
                store.leases.take("reminders", f"replica-{i}-{n}", NOW + HOUR, NOW)
                for i, store in enumerate(stores)
                for n in range(4)
            )
        )
    finally:
        for store in stores:
            await store.close()
    assert taken.count(True) == 1


class Counted:
    """A store's privacy port, counting its purges."""

    def __init__(self, privacy: Privacy) -> None:
        self.privacy = privacy
        self.purges = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.privacy, name)

    async def purge(self, now: dt.datetime, retention: Retention) -> Purged:
        self.purges += 1
        return await self.privacy.purge(now, retention)


async def test_two_replicas_purge_once_a_day_between_them(url: str) -> None:
    clock = Clock(NOW)
    stores = await replicas(url, 2)
    counted = [Counted(store.privacy) for store in stores]
    keepers = [
        RetentionKeeper(c, clock=clock, leases=s.leases)  # type: ignore[arg-type]
        for c, s in zip(counted, stores, strict=True)
    ]
    try:
        runs = [asyncio.create_task(keeper.run()) for keeper in keepers]
        await asyncio.sleep(0.5)  # both started: their first looks are done
        for keeper in keepers:
            keeper.stop()
        await asyncio.gather(*runs)
        assert sum(c.purges for c in counted) == 1

        clock.advance(hours=12)  # later the same day: still that replica's turn
        assert [await Turn(s.leases, "retention", HOUR, clock=clock).take() for s in stores] == [
            False,
            False,
        ]
        clock.advance(hours=12)  # a day later: the next purge is due, for one of them
        taken = [await Turn(s.leases, "retention", HOUR, clock=clock).take() for s in stores]
        assert taken.count(True) == 1
    finally:
        for store in stores:
            await store.close()


async def test_a_holder_renews_its_lease_and_gives_it_up_for_the_next(
    lead_storage: Storage,
) -> None:
    leases = lead_storage.leases
    assert await leases.take("courier", "a", NOW + HOUR, NOW, renew=True)
    assert await leases.take("courier", "a", NOW + 2 * HOUR, NOW + HOUR / 2, renew=True)
    assert not await leases.take("courier", "b", NOW + 2 * HOUR, NOW + HOUR * 3 / 2, renew=True)
    assert await leases.holder("courier", NOW + HOUR * 3 / 2) == "a"  # renewed: still a's
    await leases.give_up("courier", "b", NOW + HOUR)  # not b's to give
    assert await leases.holder("courier", NOW + HOUR) == "a"
    await leases.give_up("courier", "a", NOW + HOUR)
    assert await leases.holder("courier", NOW + HOUR) is None
    assert await leases.take("courier", "b", NOW + 2 * HOUR, NOW + HOUR, renew=True)
