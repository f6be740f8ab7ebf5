"""Signals between replicas on PostgreSQL: what one sends, the others hear, in order, also
after the listening connection was cut (PostgreSQL restarted, a network blip)."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import text

from bot.storage import open_storage
from bot.storage.signals import PgSignals
from tests.lead_stores import KEY
from tests.postgres import fresh_database

POSTGRES = os.environ.get("COMPTOIR_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not POSTGRES, reason="COMPTOIR_TEST_POSTGRES_URL is not set")


async def test_a_signal_is_heard_by_the_other_replicas_even_after_a_cut() -> None:
    assert POSTGRES is not None
    async with fresh_database(POSTGRES) as url:
        sender, listener = [await open_storage(url, pseudonym_key=KEY) for _ in "ab"]
        heard: list[str] = []
        try:
            signals = listener.signals
            assert isinstance(signals, PgSignals)
            signals.listen("comptoir_outbox", heard.append)
            await signals.start()
            await asyncio.wait_for(signals.connected.wait(), 10)
            for recipient in ("telegram:1", "telegram:2", "telegram:1"):
                sender.signals.send("comptoir_outbox", recipient)
            await _until(lambda: len(heard) >= 2)
            assert heard == ["telegram:1", "telegram:2"]  # one batch: each text once

            async with sender.database.engine.connect() as connection:  # type: ignore[attr-defined]
                await connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
                    )
                )
                await connection.commit()
            await _until(lambda: signals.listened == 2 and signals.connected.is_set())
            sender.signals.send("comptoir_outbox", "web:abc")
            await _until(lambda: heard[-1:] == ["web:abc"])
        finally:
            await listener.signals.stop()
            await sender.signals.stop()
            await sender.close()
            await listener.close()


async def _until(condition: object, timeout: float = 10.0) -> None:
    assert callable(condition)
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
