"""Signals between replicas: PostgreSQL LISTEN/NOTIFY; nothing to do for one process.

The listening connection is asyncpg's own (one per replica, outside the pool); signals go out
in batches through the pool, one `pg_notify` per text in one statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.types import String

from bot.storage.connection import SqlDatabase

log = logging.getLogger(__name__)
_NOTIFY = text("SELECT pg_notify(:topic, one) FROM unnest(:texts) AS one").bindparams(
    bindparam("texts", type_=ARRAY(String))
)
RECONNECT_AT_MOST = 30.0  # seconds between two attempts to listen again
PROBE_EVERY = 15.0  # seconds: the listening connection is probed this often


class NoSignals:
    """One process: nothing to tell anyone (the courier already knows)."""

    def send(self, topic: str, text: str) -> None:
        """Nobody else listens."""

    def listen(self, topic: str, listener: Callable[[str], None]) -> None:
        """Nothing will be heard."""

    async def start(self) -> None:
        """Nothing to start."""

    async def stop(self) -> None:
        """Nothing to stop."""


class PgSignals:
    """LISTEN on a connection of its own, NOTIFY through the pool."""

    def __init__(self, database: SqlDatabase) -> None:
        self.database = database
        url = make_url(str(database.engine.url.render_as_string(hide_password=False)))
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._listeners: dict[str, list[Callable[[str], None]]] = {}
        self._outgoing: dict[str, dict[str, None]] = {}  # topic: texts, in order, once each
        self._sending: asyncio.Task[None] | None = None
        self._listening: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.listened = 0  # how many times it started listening (diagnostics, tests)

    def send(self, topic: str, text: str) -> None:
        """Queue the signal; one task sends what is queued, batch after batch."""
        self._outgoing.setdefault(topic, {})[text] = None
        if self._sending is None or self._sending.done():
            self._sending = asyncio.create_task(self._send(), name="signals out")

    async def _send(self) -> None:
        while self._outgoing:
            topic, texts = next(iter(self._outgoing.items()))
            del self._outgoing[topic]
            try:
                async with self.database.transaction() as connection:
                    await connection.execute(_NOTIFY, {"topic": topic, "texts": list(texts)})
            except Exception as error:  # a hint lost: the periodic looks find what it named
                log.warning("signals: %d not sent (%s)", len(texts), type(error).__name__)

    def listen(self, topic: str, listener: Callable[[str], None]) -> None:
        """Call `listener` with every signal of `topic`."""
        self._listeners.setdefault(topic, []).append(listener)

    async def start(self) -> None:
        """Listen in the background, connecting again after a loss."""
        self._listening = asyncio.create_task(self._listen(), name="signals in")

    async def stop(self) -> None:
        """Stop listening and sending."""
        for task in (self._listening, self._sending):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _listen(self) -> None:
        pause = 0.5
        while True:
            try:
                connection = await asyncpg.connect(self._dsn)
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("signals: cannot listen (%s), retrying", type(error).__name__)
                await asyncio.sleep(pause)
                pause = min(pause * 2, RECONNECT_AT_MOST)
                continue
            lost = asyncio.Event()
            try:
                connection.add_termination_listener(lambda _, lost=lost: lost.set())
                for topic in self._listeners:
                    await connection.add_listener(topic, self._heard)
                pause = 0.5
                self.connected.set()
                self.listened += 1
                log.info("signals: listening")
                while not lost.is_set():  # a silent loss shows at the next probe
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), PROBE_EVERY)
                    if not lost.is_set():
                        await connection.fetchval("SELECT 1", timeout=5)
                log.warning("signals: the listening connection was lost, listening again")
            except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                log.warning("signals: listening stopped (%s), again", type(error).__name__)
            finally:
                self.connected.clear()
                with contextlib.suppress(Exception):
                    await connection.close(timeout=2)

    def _heard(self, _connection: object, _pid: int, topic: str, payload: str) -> None:
        for listener in self._listeners.get(topic, ()):
            try:
                listener(payload)
            except Exception:
                log.exception("signals: a listener failed")
