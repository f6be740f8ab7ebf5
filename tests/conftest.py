"""Shared fixtures: the real shipped knowledge base, loaded once per test session."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.core.catalog import DEFAULT_KNOWLEDGE, Catalog
from tests.fakes.telegram import FakeTelegram

# httpx (under python-telegram-bot) honours proxy variables: tests talk to loopback only.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
# With warnings as errors, PTB must hand out RetryAfter delays as timedeltas.
os.environ["PTB_TIMEDELTA"] = "1"

pytest_plugins = [
    "tests.lead_stores",  # a Comptoir on every store, for the advisors' side
    "tests.dialog_driver",  # the shipped dialog's engine
]

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load(DEFAULT_KNOWLEDGE)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of the shipped knowledge (the geo table is linked, not copied)."""
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE, target, ignore=shutil.ignore_patterns("geo"))
    (target / "geo").symlink_to(DEFAULT_KNOWLEDGE / "geo")
    yield target


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API on loopback, for a bot with its default token (FAKE_TOKEN)."""
    async with FakeTelegram() as fake:
        yield fake
