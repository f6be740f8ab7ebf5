"""Three `comptoir serve` replicas on one PostgreSQL behind a balancer, in webhook mode.

The fake Bot API acts as Telegram and as the load balancer: it pushes each update as soon as
it comes, up to 40 at once, to the replicas in turn (a retry goes to the next one). The same
scenario runs first against one process fed one update at a time: the sequential result.
Then against the three replicas, one of them killed mid-way: every chat must read exactly the
same messages in the same order, the advisors' group one card per pre-application, and the
database one pre-application per filing.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.web.app import WEBHOOK_PATH
from tests.fakes.telegram import FakeTelegram
from tests.postgres import fresh_database
from tests.serve import TOKEN, WEBHOOK_SECRET, Server
from tests.test_leads_delivery import (
    ADVISOR,
    GROUP,
    card_references,
    confirm_all,
    file,
    link_code,
    references,
)

POSTGRES = os.environ.get("COMPTOIR_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not POSTGRES, reason="COMPTOIR_TEST_POSTGRES_URL is not set")
CHATS = range(8301, 8307)
# Commands sent all at once: each answer depends on the ones before (the language switches).
BURST = ["/aide", "/langue", "/aide", "/langue", "/mesdonnees"]
FAST = {"COMPTOIR_TELEGRAM_PER_GROUP_INTERVAL": "0.02"}
REFERENCE = re.compile(r"CPT-\d{4}-\d{6}")


def _webhook(public: str) -> dict[str, str]:
    return {
        **FAST,
        "COMPTOIR_WEBHOOK_URL": public + WEBHOOK_PATH,
        "COMPTOIR_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


@asynccontextmanager
async def _replicas(
    fake: FakeTelegram, folder: Path, database: str, count: int
) -> AsyncIterator[list[Server]]:
    servers: list[Server] = []
    folder.mkdir(parents=True, exist_ok=True)

    def start() -> Awaitable[Server]:
        extra = _webhook("http://balancer.invalid")
        return Server.start(fake, folder, database=database, per_chat_interval=0.02, extra=extra)

    try:
        servers.append(await start())  # the first migrates the database, the others find it so
        servers += await asyncio.gather(*(start() for _ in range(count - 1)))
        fake.spread([s.url + WEBHOOK_PATH for s in servers], at_once=40)
        yield servers
    finally:
        for server in servers:
            if server.process.returncode is None:
                await server.stop()


async def _scenario(fake: FakeTelegram, database: str, midway: asyncio.Event) -> None:
    """The advisors link their group; every citizen files, then sends a burst of commands."""
    fake.group_message(GROUP, f"/lier {await link_code(database)}", user_id=ADVISOR)
    await fake.wait_for(lambda: any("C'est fait" in t for t in fake.texts(GROUP)), timeout=30)
    filing = asyncio.gather(*(file(fake, c) for c in CHATS))
    await fake.wait_for(lambda: sum(len(fake.sent(c)) for c in CHATS) > 40, timeout=60)
    midway.set()
    await filing
    confirm_all(fake, CHATS)
    await fake.wait_for(lambda: all(references(fake, c) for c in CHATS), timeout=60)
    await fake.wait_for(lambda: len(card_references(fake)) >= len(CHATS), timeout=60)
    for command in BURST:  # interleaved: each command goes to all the chats, then the next
        for chat_id in CHATS:
            fake.user_message(chat_id, command)
    await fake.wait_for(lambda: all(_helps(fake, c) == 2 for c in CHATS), timeout=60)
    await fake.wait_for(lambda: all(_exported(fake, c) for c in CHATS), timeout=60)
    await asyncio.sleep(2.0)  # a repeat, or a late message, would show by now


def _helps(fake: FakeTelegram, chat_id: int) -> int:
    return sum("/recommencer" in t for t in fake.texts(chat_id))


def _exported(fake: FakeTelegram, chat_id: int) -> bool:
    return any(m.document is not None for m in fake.sent(chat_id))


def _read(fake: FakeTelegram) -> dict[int, list[str]]:
    """What every chat read, in order; references as one placeholder (their numbers follow the
    order in which the chats filed)."""
    return {c: [REFERENCE.sub("CPT-…", t) for t in fake.texts(c)] for c in CHATS}


async def _leads(database: str) -> list[tuple[str, int]]:
    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT chat_key, count(*) FROM pre_applications GROUP BY chat_key")
            )
            return sorted((str(k), int(n)) for k, n in rows)
    finally:
        await engine.dispose()


async def _courier(database: str) -> str:
    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            holder = await connection.scalar(text("SELECT holder FROM leases WHERE name='courier'"))
            return str(holder)
    finally:
        await engine.dispose()


async def test_three_replicas_one_killed_answer_as_one_process_does(tmp_path: Path) -> None:
    assert POSTGRES is not None
    async with fresh_database(POSTGRES) as database, FakeTelegram(token=TOKEN) as fake:
        async with _replicas(fake, tmp_path / "one", database, 1):
            await _scenario(fake, database, asyncio.Event())
        sequential, group = _read(fake), sorted(set(card_references(fake)))
        sequential_leads = await _leads(database)

    assert all(len(sequential[c]) > 20 for c in CHATS)
    assert len(group) == len(CHATS)
    async with fresh_database(POSTGRES) as database, FakeTelegram(token=TOKEN) as fake:
        async with _replicas(fake, tmp_path / "three", database, 3) as servers:
            midway = asyncio.Event()
            scenario = asyncio.create_task(_scenario(fake, database, midway))
            await midway.wait()
            courier = await _courier(database)
            victim = next(s for s in servers if f":{s.process.pid}:" not in courier)
            victim.kill()
            await scenario
            received = {d.url for d in fake.webhook_deliveries if d.status == 200}
            assert len(received) == 3  # every replica took its share
        assert _read(fake) == sequential
        cards = card_references(fake)
        assert len(cards) == len(set(cards)) == len(CHATS)
        assert sorted(set(references(fake, c)[0] for c in CHATS)) == sorted(set(cards))
        assert await _leads(database) == sequential_leads
        assert [n for _, n in sequential_leads] == [1] * len(CHATS)
