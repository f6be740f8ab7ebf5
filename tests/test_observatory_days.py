"""The observatory's daily roll-ups, on SQLite and PostgreSQL: closed days counted once give
exactly the figures the events gave (even once the events are gone), a period mixes rolled days
and days counted from the events, two replicas roll a day up once, and what citizens typed
leaves with the events."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from alembic import command
from sqlalchemy import delete, func, select

from bot.core.content import Content
from bot.core.observatory.figures import Figures
from bot.core.observatory.scope import Period, Scope, Territory, midnight
from bot.services.observatory import Observatory
from bot.services.outbox import Courier
from bot.services.ports import RETENTION, Storage
from bot.storage import open_storage
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.observatory import SqlObservatory
from bot.storage.observatory_tables import IdeaDayRow, ObservedDayRow, UnheardDayRow
from bot.storage.tables import EventRow
from tests.lead_stores import KEY, Clock
from tests.observatory_seed import MARCH, TODAY, log, match, seed, unheard, walked

SCOPES = [
    (Period(), Territory()),
    (Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)), Territory()),
    (Period(dt.date(2026, 3, 3), dt.date(2026, 3, 3)), Territory()),
    (Period(dt.date(2026, 4, 1)), Territory()),
    (Period(until=dt.date(2026, 3, 2)), Territory()),
    (Period(), Territory("department", "62")),
    (Period(), Territory("region", "32")),
    (Period(dt.date(2026, 3, 2), dt.date(2026, 3, 6)), Territory("department", "59")),
]
DAYS_SEEDED = (TODAY.date() - MARCH.date()).days  # 2 March to 14 April, both included


@pytest.fixture
def url(sql_database: str) -> str:
    return sql_database


@pytest.fixture
async def storage(url: str) -> AsyncIterator[Storage]:
    opened = await open_storage(url, clock=Clock(TODAY), pseudonym_key=KEY)
    await seed(opened)
    yield opened
    await opened.close()


def observatory(content: Content, storage: Storage) -> Observatory:
    clock = Clock(TODAY)
    return Observatory(lambda: content, storage, Courier(storage.outbox, clock=clock), clock)


async def every_figure(seen: Observatory) -> list[Figures]:
    return [await seen.count(period, territory) for period, territory in SCOPES]


def database(storage: Storage) -> SqlObservatory:
    data = storage.observatory
    assert isinstance(data, SqlObservatory)
    return data


async def count(storage: Storage, table: type[object]) -> int:
    query = select(func.count()).select_from(table)
    return int(await database(storage).database.read(lambda c: c.scalar(query)))


async def forget_the_events(storage: Storage) -> None:
    async with database(storage).database.transaction() as connection:
        await connection.execute(delete(EventRow))


async def test_rolled_up_days_give_exactly_the_figures_of_the_events(
    lead_content: Content, storage: Storage
) -> None:
    seen = observatory(lead_content, storage)
    before = await every_figure(seen)
    assert before[0].ideas.total.known == 18  # the seeded world, counted from the events

    assert await storage.observatory.roll_up(TODAY) == DAYS_SEEDED
    assert await count(storage, ObservedDayRow) == DAYS_SEEDED
    await forget_the_events(storage)  # only the roll-ups are left to read

    assert await every_figure(seen) == before
    unheard = before[0].gaps.unheard
    assert [(u.text, u.conversations.known) for u in unheard] == [("je sais pas", 6)]


async def test_a_period_adds_its_rolled_days_to_the_days_counted_from_the_events(
    lead_content: Content, storage: Storage
) -> None:
    seen = observatory(lead_content, storage)
    before = await every_figure(seen)
    early = midnight(dt.date(2026, 3, 4)) + dt.timedelta(minutes=10)

    assert await storage.observatory.roll_up(early) == 2  # 2 and 3 March are closed
    assert await every_figure(seen) == before
    edges = Scope(MARCH + dt.timedelta(hours=3), MARCH + dt.timedelta(days=1, hours=2))
    ideas = await storage.observatory.ideas(edges)  # part of two days: both from the events
    assert (ideas.total, [(t.key, t.count) for t in ideas.departments]) == (
        6,
        [("59", 2), ("62", 4)],
    )


async def test_the_day_in_progress_is_counted_from_the_events(
    lead_content: Content, storage: Storage
) -> None:
    seen = observatory(lead_content, storage)
    await storage.observatory.roll_up(TODAY)
    events = [*walked("consent", "idea"), match("62", ["alimentation"], 0, 1)]
    await log(storage, "telegram:today", [*events, unheard("where", "je sais pas")], TODAY)

    figures = await seen.count(Period(), Territory())
    assert figures.ideas.total.known == 19
    assert [(u.text, u.conversations.known) for u in figures.gaps.unheard] == [("je sais pas", 7)]
    assert await storage.observatory.roll_up(TODAY) == 0  # today is not closed yet
    tomorrow = midnight(TODAY.date() + dt.timedelta(days=1)) + dt.timedelta(minutes=6)
    assert await storage.observatory.roll_up(tomorrow) == 1
    await forget_the_events(storage)
    assert await seen.count(Period(), Territory()) == figures


async def test_two_replicas_rolling_up_at_once_write_each_day_once(
    lead_content: Content, storage: Storage, url: str
) -> None:
    seen = observatory(lead_content, storage)
    before = await every_figure(seen)
    other = await open_storage(url, clock=Clock(TODAY), pseudonym_key=KEY)
    try:
        written = await asyncio.gather(
            storage.observatory.roll_up(TODAY), other.observatory.roll_up(TODAY)
        )
    finally:
        await other.close()

    assert sum(written) == DAYS_SEEDED
    assert await storage.observatory.roll_up(TODAY) == 0
    assert await every_figure(seen) == before


async def test_what_citizens_typed_leaves_the_roll_ups_with_the_events(
    lead_content: Content, storage: Storage
) -> None:
    await storage.observatory.roll_up(TODAY)
    assert await count(storage, UnheardDayRow) > 0
    ideas = await count(storage, IdeaDayRow)

    await storage.privacy.purge(TODAY + RETENTION.events + dt.timedelta(days=1), RETENTION)

    assert await count(storage, UnheardDayRow) == 0
    assert await count(storage, IdeaDayRow) == ideas  # counts of ideas name nobody: kept
    figures = await observatory(lead_content, storage).count(Period(), Territory())
    assert figures.ideas.total.known == 18
    assert figures.gaps.unheard == ()


async def test_the_periodic_look_rolls_the_closed_days_up(
    lead_content: Content, storage: Storage
) -> None:
    await observatory(lead_content, storage).look()

    assert await count(storage, ObservedDayRow) == DAYS_SEEDED


async def test_upgrading_to_0010_flags_the_existing_leads_gaps(
    lead_content: Content, storage: Storage, url: str
) -> None:
    scope = Scope()
    before = await storage.observatory.gap_ideas(scope, 50)
    assert sorted((g.without_scheme, g.without_counter) for g in before) == [
        *[(False, True)] * 1,
        *[(True, False)] * 5,
    ]
    await storage.close()
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0009")
    await upgrade(url)

    again = await open_storage(url, clock=Clock(TODAY), pseudonym_key=KEY)
    try:
        assert await again.observatory.gap_ideas(scope, 50) == before
    finally:
        await again.close()
