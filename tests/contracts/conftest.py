"""The stores under test: one fresh database per test, of each kind, on a hand-moved clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from bot.services.ports import Storage
from bot.storage import open_storage
from bot.storage.memory import memory_storage
from bot.storage.pseudonyms import Pseudonyms
from tests.contracts import EVERY_KIND, KEY, POSTGRES_URL, Clock
from tests.postgres import fresh_database


class Backend:
    """One database under test; SQL kinds can open it again (another process, a restart)."""

    def __init__(self, kind: str, url: str | None, clock: Clock) -> None:
        self.kind = kind
        self.url = url
        self.clock = clock
        self._memory: Storage | None = None
        self._opened: list[Storage] = []

    @property
    def file(self) -> Path | None:
        """The SQLite file."""
        if self.kind != "sqlite":
            return None
        assert self.url is not None
        return Path(self.url.split(":///", 1)[1])

    async def open(self) -> Storage:
        """A storage on this database; in memory there is only ever one."""
        if self.url is None:
            if self._memory is None:
                self._memory = memory_storage(clock=self.clock, pseudonyms=Pseudonyms(KEY))
            return self._memory
        storage = await open_storage(self.url, clock=self.clock, pseudonym_key=KEY)
        self._opened.append(storage)
        return storage

    async def reopen(self, storage: Storage) -> Storage:
        """Close `storage` and open the same database again (SQL kinds)."""
        assert self.url is not None, "a memory storage cannot be reopened"
        await storage.close()
        self._opened.remove(storage)
        return await self.open()

    async def close(self) -> None:
        """Close every storage opened here."""
        for storage in self._opened:
            await storage.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=EVERY_KIND)
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> AsyncIterator[Backend]:
    kind: str = request.param
    async with AsyncExitStack() as stack:
        url: str | None = None
        if kind == "sqlite":
            # A folder that does not exist yet: the store creates it.
            url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'comptoir.sqlite3'}"
        elif kind == "postgresql":
            url = await stack.enter_async_context(fresh_database(POSTGRES_URL))
        backend = Backend(kind, url, clock)
        stack.push_async_callback(backend.close)
        yield backend


@pytest.fixture
async def storage(backend: Backend) -> Storage:
    return await backend.open()
