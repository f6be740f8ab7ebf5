"""The storage contract, run against every store: memory, SQLite and (given a URL) PostgreSQL.

Set COMPTOIR_TEST_POSTGRES_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test) to add
PostgreSQL: each test then runs in a database of its own, created and dropped around it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from bot.core.conversation import Event
from bot.ports import ChatSession, Conversation, OutboxMessage, PreApplicationDraft, Store
from bot.storage.engine import create_engine
from bot.storage.errors import (
    DatabaseTooNew,
    NestedTransaction,
    StaleConversation,
    UnsupportedDatabase,
)
from bot.storage.keys import chat_hash
from bot.storage.memory import MemoryStore
from bot.storage.migrate import alembic_config, current_revision, head, upgrade
from bot.storage.sql import DEFAULT_LEASE, SqlStore
from bot.storage.tables import Base, PreApplicationRow
from tests.postgres import fresh_database

POSTGRES_URL = os.environ.get("COMPTOIR_TEST_POSTGRES_URL", "")
WITH_POSTGRES = pytest.param(
    "postgresql",
    marks=pytest.mark.skipif(not POSTGRES_URL, reason="COMPTOIR_TEST_POSTGRES_URL is not set"),
)

CHAT = "telegram:123456789"
OTHER = "web:0f3c2a"
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Database:
    """One database under test, on which several stores (engines) can be opened."""

    def __init__(self, kind: str, url: str | None, clock: Clock) -> None:
        self.kind = kind
        self.url = url
        self.clock = clock
        self._opened: list[Store] = []
        self._memory: MemoryStore | None = None

    async def open(self) -> Store:
        """A store on this database; in memory there is only one."""
        if self.url is None:
            if self._memory is None:
                self._memory = MemoryStore(clock=self.clock)
                self._opened.append(self._memory)
            return self._memory
        store = await SqlStore.connect(self.url, clock=self.clock)
        self._opened.append(store)
        return store

    async def close(self) -> None:
        for store in self._opened:
            await store.close()


@asynccontextmanager
async def empty_database(kind: str, folder: Path) -> AsyncIterator[str]:
    """The URL of an empty SQLite or PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'comptoir.sqlite3'}"
    else:
        async with fresh_database(POSTGRES_URL) as url:
            yield url


@pytest.fixture
async def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL of an empty database of the parametrised SQL kind."""
    async with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def database(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> AsyncIterator[Database]:
    kind: str = request.param
    async with AsyncExitStack() as stack:
        url = (
            None
            if kind == "memory"
            else await stack.enter_async_context(empty_database(kind, tmp_path))
        )
        db = Database(kind, url, clock)
        stack.push_async_callback(db.close)
        yield db


@pytest.fixture
async def store(database: Database) -> Store:
    return await database.open()


every_store = pytest.mark.parametrize(
    "database", ["memory", "sqlite", WITH_POSTGRES], indirect=True
)
every_sql_store = pytest.mark.parametrize("database", ["sqlite", WITH_POSTGRES], indirect=True)
every_sql_database = pytest.mark.parametrize("sql_url", ["sqlite", WITH_POSTGRES], indirect=True)


def conversation(version: int, chat_key: str = CHAT, **changes: Any) -> Conversation:
    record = Conversation(
        chat_key=chat_key,
        state={"answers": {"commune": "62041"}, "step": version},
        tree_version="2026.1",
        node="ask_commune",
        version=version,
    )
    return dataclasses.replace(record, **changes)


def draft(chat_key: str = CHAT, key: str = "file-1", **changes: Any) -> PreApplicationDraft:
    record = PreApplicationDraft(
        chat_key=chat_key,
        idempotency_key=key,
        profile={"commune": "62041", "carrier": "association", "themes": ["alimentation"]},
        match_snapshot={"schemes": ["fdva-2"], "counters": ["france-active-pdc"]},
        contact={"name": "Camille Martin", "email": "camille@example.org"},
        consent_at=T0,
        consent_version="2026-01",
        counter_id="france-active-pdc",
    )
    return dataclasses.replace(record, **changes)


async def save_turn(store: Store, chat_key: str, update_id: int, version: int) -> None:
    async with store.chat(chat_key) as session:
        assert await session.claim_update(update_id)
        await session.save(conversation(version, chat_key))


# --- conversations and updates -------------------------------------------------------------


@every_store
async def test_a_repeated_update_id_is_refused(store: Store) -> None:
    async with store.chat(CHAT) as session:
        assert await session.claim_update(41) is True
        assert await session.claim_update(41) is False
    async with store.chat(CHAT) as session:
        assert await session.claim_update(41) is False
        assert await session.claim_update(42) is True
    async with store.chat(OTHER) as session:
        assert await session.claim_update(41) is True


@every_store
async def test_an_unknown_chat_has_no_conversation(store: Store) -> None:
    async with store.chat(CHAT) as session:
        assert await session.conversation() is None
    async with store.chat(CHAT) as session:
        assert await session.conversation() is None
    assert (await store.export(CHAT))["conversation"] is None


@every_store
async def test_json_state_round_trips_through_save_and_load(store: Store) -> None:
    state = {
        "answers": {"commune": "62041", "amount": 15000.5, "themes": ["alimentation", "énergie"]},
        "history": [{"node": "start", "at": "2026-03-02T09:30:00+00:00"}, None, True],
        "note": "Épicerie solidaire « Le Panier » — 100 % bénévole",
    }
    saved = conversation(
        1,
        state=state,
        node="ask_amount",
        language="en",
        campaign="flyer-arras",
        updated_at=dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    )
    async with store.chat(CHAT) as session:
        await session.save(saved)
    async with store.chat(CHAT) as session:
        loaded = await session.conversation()
    assert loaded == dataclasses.replace(saved, updated_at=T0)
    assert loaded is not None and loaded.updated_at is not None
    assert loaded.updated_at.tzinfo is not None and loaded.updated_at.utcoffset() == dt.timedelta()


@every_store
async def test_a_save_without_a_time_is_stamped_by_the_store_clock(
    store: Store, clock: Clock
) -> None:
    clock.now = T0 + dt.timedelta(minutes=5)
    async with store.chat(CHAT) as session:
        await session.save(conversation(1))
        stored = await session.conversation()
    assert stored is not None and stored.updated_at == T0 + dt.timedelta(minutes=5)


@every_store
async def test_a_stale_version_is_refused(store: Store) -> None:
    async with store.chat(CHAT) as session:
        await session.save(conversation(1))
    for wrong in (1, 3, 0):
        with pytest.raises(StaleConversation):
            async with store.chat(CHAT) as session:
                await session.save(conversation(wrong, node="lost"))
    async with store.chat(CHAT) as session:
        assert (await session.conversation()) == conversation(1, updated_at=T0)
        await session.save(conversation(2))
        await session.save(conversation(3))
    async with store.chat(CHAT) as session:
        stored = await session.conversation()
    assert stored is not None and stored.version == 3


@every_store
async def test_a_first_save_must_be_version_one(store: Store) -> None:
    with pytest.raises(StaleConversation):
        async with store.chat(CHAT) as session:
            await session.save(conversation(2))


@every_store
async def test_a_failed_turn_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError, match="engine crashed"):
        async with store.chat(CHAT) as session:
            assert await session.claim_update(7)
            await session.save(conversation(1))
            await session.log([Event("answered", "ask_commune")], T0)
            await session.file(draft(), T0)
            await session.enqueue([OutboxMessage("notify_counter", "advisor:1")], T0)
            raise RuntimeError("engine crashed")
    exported = await store.export(CHAT)
    assert exported["conversation"] is None
    assert exported["pre_applications"] == []
    assert exported["events"] == 0
    assert await store.due(T0 + dt.timedelta(days=1), 10) == []
    async with store.chat(CHAT) as session:
        assert await session.claim_update(7) is True


@every_store
async def test_a_session_refuses_records_of_another_chat(store: Store) -> None:
    async with store.chat(CHAT) as session:
        with pytest.raises(ValueError, match="another chat"):
            await session.save(conversation(1, chat_key=OTHER))
        with pytest.raises(ValueError, match="another chat"):
            await session.file(draft(chat_key=OTHER), T0)


@every_store
async def test_naive_datetimes_are_refused_without_quoting_personal_data(store: Store) -> None:
    naive = dt.datetime(2026, 3, 2, 9, 30)
    attempts: list[Callable[[ChatSession], Awaitable[object]]] = [
        lambda session: session.save(conversation(1, updated_at=naive)),
        lambda session: session.log([Event("answered", "ask_commune")], naive),
        lambda session: session.file(draft(), naive),
        lambda session: session.file(draft(consent_at=naive), T0),
        lambda session: session.enqueue([OutboxMessage("receipt", "camille@example.org")], naive),
    ]
    for attempt in attempts:
        with pytest.raises(ValueError, match="naive datetime") as refused:
            async with store.chat(CHAT) as session:
                await attempt(session)
        assert "camille" not in str(refused.value) and "123456789" not in str(refused.value)
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: store.forget(CHAT, naive),
        lambda: store.purge(naive),
        lambda: store.due(naive, 10),
        lambda: store.delivered(1, naive),
        lambda: store.failed(1, naive),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="naive datetime"):
            await call()
    assert (await store.export(CHAT))["conversation"] is None


# --- pre-applications ----------------------------------------------------------------------


@every_store
async def test_filing_twice_with_the_same_key_files_once_and_keeps_the_reference(
    store: Store,
) -> None:
    async with store.chat(CHAT) as session:
        first = await session.file(draft(), T0)
        again_in_same_turn = await session.file(draft(), T0 + dt.timedelta(seconds=1))
    async with store.chat(CHAT) as session:
        double_tap = await session.file(
            draft(contact={"name": "Someone else"}), T0 + dt.timedelta(minutes=1)
        )
    assert first.reference == "CPT-2026-000001"
    assert again_in_same_turn == first
    assert double_tap == first
    assert first.status == "nouvelle"
    assert first.contact == {"name": "Camille Martin", "email": "camille@example.org"}
    assert [p["reference"] for p in (await store.export(CHAT))["pre_applications"]] == [
        "CPT-2026-000001"
    ]


@every_store
async def test_a_different_key_files_a_second_pre_application(store: Store) -> None:
    async with store.chat(CHAT) as session:
        first = await session.file(draft(key="file-1"), T0)
        second = await session.file(draft(key="file-2"), T0)
    assert first.reference != second.reference
    assert len((await store.export(CHAT))["pre_applications"]) == 2


@every_store
async def test_references_increase_and_restart_each_year(store: Store) -> None:
    references = []
    for number, chat_key in enumerate(["telegram:1", "telegram:2", "web:3"]):
        async with store.chat(chat_key) as session:
            filed = await session.file(draft(chat_key), T0 + dt.timedelta(days=number))
            references.append(filed.reference)
    async with store.chat("telegram:4") as session:
        next_year = await session.file(draft("telegram:4"), dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert references == ["CPT-2026-000001", "CPT-2026-000002", "CPT-2026-000003"]
    assert next_year.reference == "CPT-2027-000001"


# --- GDPR: export, forget, purge -----------------------------------------------------------


@every_store
async def test_export_contains_what_is_stored(store: Store, clock: Clock) -> None:
    clock.now = T0 - dt.timedelta(hours=1)
    async with store.chat(CHAT) as session:
        assert await session.claim_update(1)
        await session.save(conversation(1, campaign="flyer-arras", updated_at=T0))
        await session.log([Event("node_entered", "start"), Event("answered", "start")], T0)
        await session.file(draft(), T0)
    async with store.chat(OTHER) as session:
        await session.save(conversation(1, OTHER))
        await session.log([Event("node_entered", "start")], T0)

    exported = await store.export(CHAT)

    assert json.loads(json.dumps(exported)) == exported
    assert exported == {
        "chat_key": CHAT,
        "conversation": {
            "state": {"answers": {"commune": "62041"}, "step": 1},
            "tree_version": "2026.1",
            "node": "ask_commune",
            "version": 1,
            "language": "fr",
            "campaign": "flyer-arras",
            "created_at": T0.isoformat(),
            "updated_at": T0.isoformat(),
        },
        "pre_applications": [
            {
                "reference": "CPT-2026-000001",
                "idempotency_key": "file-1",
                "status": "nouvelle",
                "profile": draft().profile,
                "match_snapshot": draft().match_snapshot,
                "contact": draft().contact,
                "consent_at": T0.isoformat(),
                "consent_version": "2026-01",
                "counter_id": "france-active-pdc",
                "created_at": T0.isoformat(),
            }
        ],
        "events": 2,
        "processed_updates": 1,
    }


@every_store
async def test_forget_deletes_the_conversation_and_anonymises_its_pre_applications(
    store: Store,
) -> None:
    async with store.chat(CHAT) as session:
        assert await session.claim_update(1)
        await session.save(conversation(1))
        await session.log([Event("answered", "ask_commune")], T0)
        await session.file(draft(key="a"), T0)
        await session.file(draft(key="b"), T0)
    await save_turn(store, OTHER, 1, 1)

    assert await store.forget(CHAT, T0 + dt.timedelta(days=1)) == 2

    assert await store.export(CHAT) == {
        "chat_key": CHAT,
        "conversation": None,
        "pre_applications": [],
        "events": 0,
        "processed_updates": 0,
    }
    async with store.chat(CHAT) as session:
        assert await session.conversation() is None
        assert await session.claim_update(1) is True
        refiled = await session.file(draft(key="a"), T0 + dt.timedelta(days=2))
    assert refiled.reference == "CPT-2026-000003"
    assert (await store.export(OTHER))["conversation"] is not None
    assert await store.forget("telegram:never-seen", T0) == 0


@every_sql_store
async def test_forget_keeps_anonymised_pre_applications_without_contact(
    database: Database,
) -> None:
    store = await database.open()
    async with store.chat(CHAT) as session:
        await session.file(draft(), T0)
    forgotten_at = T0 + dt.timedelta(days=1)
    assert await store.forget(CHAT, forgotten_at) == 1
    assert isinstance(store, SqlStore)
    rows = await store.rows(select(PreApplicationRow))
    assert len(rows) == 1
    row = rows[0]
    assert (row.reference, row.chat_key, row.contact) == ("CPT-2026-000001", None, {})
    assert (row.status, row.anonymised_at) == ("nouvelle", forgotten_at)
    assert row.profile == draft().profile


@every_store
async def test_purge_respects_the_retention_date(store: Store, clock: Clock) -> None:
    async with store.chat("telegram:old") as session:
        assert await session.claim_update(1)
        await session.save(conversation(1, "telegram:old", updated_at=T0))
    clock.now = T0 + dt.timedelta(days=10)
    async with store.chat("telegram:recent") as session:
        assert await session.claim_update(1)
        await session.save(conversation(1, "telegram:recent", updated_at=clock.now))

    assert await store.purge(T0 + dt.timedelta(days=5)) == 1

    assert (await store.export("telegram:old"))["conversation"] is None
    assert (await store.export("telegram:old"))["processed_updates"] == 0
    assert (await store.export("telegram:recent"))["conversation"] is not None
    async with store.chat("telegram:recent") as session:
        assert await session.claim_update(1) is False
    assert await store.purge(T0 + dt.timedelta(days=5)) == 0


@every_store
async def test_purge_keeps_a_conversation_updated_exactly_at_the_limit(store: Store) -> None:
    await save_turn(store, CHAT, 1, 1)
    assert await store.purge(T0) == 0
    assert await store.purge(T0 + dt.timedelta(microseconds=1)) == 1


# --- event log -----------------------------------------------------------------------------


@every_store
async def test_events_store_a_hash_not_the_chat_id(store: Store) -> None:
    async with store.chat(CHAT) as session:
        await session.log(
            [Event("node_entered", "start"), Event("gap", "ask_theme", {"theme": "mobilité"})], T0
        )
    rows: list[tuple[Any, ...]]
    if isinstance(store, SqlStore):
        rows = [tuple(row) for row in await store.rows(text("SELECT * FROM events ORDER BY id"))]
    else:
        assert isinstance(store, MemoryStore)
        rows = [dataclasses.astuple(event) for event in store._events]
    assert len(rows) == 2
    assert all(chat_hash(CHAT) in row for row in rows)
    assert "123456789" not in repr(rows)
    assert (await store.export(CHAT))["events"] == 2


# --- outbox --------------------------------------------------------------------------------


@every_store
async def test_outbox_due_delivered_failed_cycle(store: Store) -> None:
    async with store.chat(CHAT) as session:
        await session.enqueue(
            [
                OutboxMessage("notify_counter", "advisor:7", {"reference": "CPT-2026-000001"}),
                OutboxMessage("receipt", CHAT),
            ],
            T0,
        )
    assert await store.due(T0 - dt.timedelta(seconds=1), 10) == []

    first, second = await store.due(T0, 10)
    assert (first.kind, first.recipient, first.payload, first.attempts) == (
        "notify_counter",
        "advisor:7",
        {"reference": "CPT-2026-000001"},
        0,
    )
    assert (second.kind, second.recipient, second.payload) == ("receipt", CHAT, {})
    # Handed out: another worker does not get them while the first one delivers.
    assert await store.due(T0, 10) == []

    await store.failed(first.id, T0 + dt.timedelta(minutes=1))
    await store.delivered(second.id, T0)
    assert await store.due(T0 + dt.timedelta(seconds=59), 10) == []
    (retried,) = await store.due(T0 + dt.timedelta(minutes=1), 10)
    assert (retried.id, retried.attempts) == (first.id, 1)

    await store.delivered(retried.id, T0 + dt.timedelta(minutes=1))
    assert await store.due(T0 + dt.timedelta(days=1), 10) == []


@every_store
async def test_outbox_gives_the_oldest_first_within_the_limit(store: Store) -> None:
    for minute in (2, 0, 1):
        async with store.chat(f"web:{minute}") as session:
            await session.enqueue(
                [OutboxMessage("receipt", f"web:{minute}")], T0 + dt.timedelta(minutes=minute)
            )
    due = await store.due(T0 + dt.timedelta(hours=1), 2)
    assert [m.recipient for m in due] == ["web:0", "web:1"]
    (last,) = await store.due(T0 + dt.timedelta(hours=1), 2)
    assert last.recipient == "web:2"


@every_store
async def test_an_undelivered_message_comes_back_when_its_lease_expires(store: Store) -> None:
    async with store.chat(CHAT) as session:
        await session.enqueue([OutboxMessage("receipt", CHAT)], T0)
    (taken,) = await store.due(T0, 10)
    assert await store.due(T0 + DEFAULT_LEASE - dt.timedelta(seconds=1), 10) == []
    (again,) = await store.due(T0 + DEFAULT_LEASE, 10)
    assert again.id == taken.id


# --- concurrency ---------------------------------------------------------------------------


@every_store
@pytest.mark.parametrize("existing", [False, True], ids=["new-chat", "existing-chat"])
async def test_two_concurrent_turns_on_one_chat_run_one_after_the_other(
    database: Database, existing: bool
) -> None:
    # Two stores = two engines = two processes as far as the database can tell.
    first_store, second_store = await database.open(), await database.open()
    if existing:
        await save_turn(first_store, CHAT, 1, 1)
    start = 1 if existing else 0
    first_inside, release, second_inside = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def turn(store: Store, inside: asyncio.Event, hold: asyncio.Event | None) -> int:
        async with store.chat(CHAT) as session:
            inside.set()
            seen = await session.conversation()
            version = 1 + (0 if seen is None else seen.version)
            if hold is not None:
                await hold.wait()
            await session.save(conversation(version))
            return version

    first = asyncio.create_task(turn(first_store, first_inside, release))
    await first_inside.wait()
    second = asyncio.create_task(turn(second_store, second_inside, None))
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(second_inside.wait(), 0.3)
        assert not second.done()
    finally:
        release.set()
        results = await asyncio.gather(first, second, return_exceptions=True)
    assert list(results) == [start + 1, start + 2]


@pytest.mark.parametrize("database", ["memory", WITH_POSTGRES], indirect=True)
async def test_turns_on_different_chats_do_not_wait_for_each_other(database: Database) -> None:
    store = await database.open()
    inside, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with store.chat(CHAT) as session:
            await session.save(conversation(1))
            inside.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await inside.wait()
    await asyncio.wait_for(save_turn(store, OTHER, 1, 1), 5)
    release.set()
    await holder


@every_store
async def test_a_store_call_inside_a_chat_block_is_refused_instead_of_waiting_for_itself(
    store: Store,
) -> None:
    async with store.chat(CHAT) as session:
        await session.save(conversation(1))
        with pytest.raises(NestedTransaction, match=r"store\.forget\(\) called inside"):
            await store.forget(CHAT, T0)
        with pytest.raises(NestedTransaction):
            async with store.chat(OTHER):
                pass
        with pytest.raises(NestedTransaction):
            await store.due(T0, 10)
        assert (await store.export(OTHER))["conversation"] is None
    assert await store.forget(CHAT, T0) == 0
    async with store.chat(CHAT) as session:
        assert await session.conversation() is None


# --- SQL specifics: opening, migrations ----------------------------------------------------


@every_sql_store
async def test_committed_turns_survive_reopening_the_database(database: Database) -> None:
    store = await database.open()
    await save_turn(store, CHAT, 1, 1)
    await store.close()
    reopened = await database.open()
    async with reopened.chat(CHAT) as session:
        assert await session.claim_update(1) is False
        assert await session.conversation() == conversation(1, updated_at=T0)


async def test_sqlite_store_creates_the_folder_of_its_file(tmp_path: Path) -> None:
    path = tmp_path / "var" / "nested" / "comptoir.sqlite3"
    store = await SqlStore.connect(f"sqlite+aiosqlite:///{path}")
    try:
        await save_turn(store, CHAT, 1, 1)
    finally:
        await store.close()
    assert path.is_file()


async def test_the_default_database_is_a_sqlite_file_under_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = await SqlStore.connect()
    try:
        await save_turn(store, CHAT, 1, 1)
    finally:
        await store.close()
    assert (tmp_path / "var" / "comptoir.sqlite3").is_file()


async def test_an_in_memory_sqlite_database_is_migrated_on_the_store_engine() -> None:
    store = await SqlStore.connect("sqlite+aiosqlite://")
    try:
        await save_turn(store, CHAT, 1, 1)
        assert (await store.export(CHAT))["conversation"] is not None
    finally:
        await store.close()


async def test_an_unsupported_database_is_refused_before_connecting() -> None:
    with pytest.raises(UnsupportedDatabase, match="SQLite ou PostgreSQL"):
        await SqlStore.connect("mysql+aiomysql://comptoir@127.0.0.1/comptoir")


@every_sql_database
async def test_upgrade_brings_an_empty_database_to_the_newest_revision(sql_url: str) -> None:
    assert await current_revision(sql_url) is None
    await upgrade(sql_url)
    assert await current_revision(sql_url) == head() == "0001"


@every_sql_database
async def test_running_upgrade_again_is_a_no_op(sql_url: str) -> None:
    await upgrade(sql_url)
    store = await SqlStore.connect(sql_url)
    try:
        await save_turn(store, CHAT, 1, 1)
    finally:
        await store.close()
    await upgrade(sql_url)
    assert await current_revision(sql_url) == head()
    store = await SqlStore.connect(sql_url)
    try:
        assert (await store.export(CHAT))["conversation"] is not None
    finally:
        await store.close()


@every_sql_database
async def test_a_database_migrated_by_a_newer_program_is_refused(sql_url: str) -> None:
    await upgrade(sql_url)
    engine = create_engine(sql_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    finally:
        await engine.dispose()

    with pytest.raises(DatabaseTooNew) as refused:
        await upgrade(sql_url)
    message = str(refused.value)
    assert "La base de données est plus récente que ce programme" in message
    assert "The database is newer than this program" in message
    assert "9999_future" in message
    with pytest.raises(DatabaseTooNew):
        await SqlStore.connect(sql_url)
    assert await current_revision(sql_url) == "9999_future"


@every_sql_database
async def test_migrations_create_exactly_the_declared_tables(sql_url: str) -> None:
    await upgrade(sql_url)
    engine = create_engine(sql_url)

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()


def test_the_event_pseudonym_is_the_sha256_of_the_chat_key() -> None:
    assert chat_hash("telegram:1") == hashlib.sha256(b"telegram:1").hexdigest()


def test_the_alembic_command_migrates_with_an_engine_of_its_own(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    assert asyncio.run(current_revision(url)) == head()


def test_the_alembic_command_writes_the_postgresql_schema_as_sql(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command.upgrade(alembic_config("postgresql+asyncpg://comptoir@db.invalid/x"), "head", sql=True)
    script = capsys.readouterr().out
    assert "CREATE TABLE conversations" in script
    assert "JSONB" in script and "TIMESTAMP WITH TIME ZONE" in script
