"""Fixtures for the advisors' side: a Comptoir on every store, with a virtual clock."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import Comptoir
from bot.core.catalog import Catalog
from bot.core.content import Content, load_qualification
from bot.services.ports import Storage
from bot.storage import open_storage
from bot.storage.memory import memory_storage
from tests.advisors import chats_of
from tests.postgres import fresh_database

DIALOG = Path(__file__).resolve().parents[1] / "dialogs" / "qualification.yaml"
POSTGRES = os.environ.get("COMPTOIR_TEST_POSTGRES_URL")
STORES = ["memory", "sqlite", *(["postgresql"] if POSTGRES else [])]
KEY = b"k" * 32
TUESDAY = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves by hand (`now`)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move on by a timedelta's arguments (days=2, hours=1…)."""
        self.now += dt.timedelta(**delta)


@pytest.fixture(scope="session")
def lead_content(catalog: Catalog) -> Content:
    """The shipped content (knowledge, qualification dialog, advisors' texts)."""
    return Content.build(catalog, load_qualification(DIALOG, catalog))


@pytest.fixture
def lead_clock() -> Clock:
    """A virtual clock, starting on Tuesday 1 December 2026 at 9:00 UTC."""
    return Clock(TUESDAY)


@pytest.fixture(params=STORES)
async def lead_storage(
    request: pytest.FixtureRequest, tmp_path: Path, lead_clock: Clock
) -> AsyncIterator[Storage]:
    """Memory, SQLite and (when configured) PostgreSQL stores, each on the virtual clock."""
    if request.param == "memory":
        yield memory_storage(clock=lead_clock)
        return
    if request.param == "sqlite":
        opened = await open_storage(f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3", clock=lead_clock)
        yield opened
        await opened.close()
        return
    assert POSTGRES is not None
    async with fresh_database(POSTGRES) as url:
        opened = await open_storage(url, clock=lead_clock, pseudonym_key=KEY)
        yield opened
        await opened.close()


@pytest.fixture
def comptoir(lead_content: Content, lead_storage: Storage, lead_clock: Clock) -> Comptoir:
    """The assembled services on that store; Telegram served by a recorder from the start."""
    assembled = Comptoir.assemble(lead_content, lead_storage, clock=lead_clock)
    chats_of(assembled)
    return assembled


@pytest.fixture(params=["sqlite", *(["postgresql"] if POSTGRES else [])])
async def sql_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty SQLite file, then (when configured) of a fresh PostgreSQL database:
    for tests that open several stores on one database, as several replicas would."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
        return
    assert POSTGRES is not None
    async with fresh_database(POSTGRES) as url:
        yield url
