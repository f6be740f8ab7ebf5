"""Schema migrations and opening a database: revisions, refusals, the schema, secrets.

Set COMPTOIR_TEST_POSTGRES_URL to run the PostgreSQL cases (see tests/contracts).
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from bot.core.conversation import Event
from bot.services.ports import Storage
from bot.services.ports_dashboard import LeadQuery
from bot.storage import open_storage
from bot.storage.connection import create_engine
from bot.storage.errors import DatabaseTooNew, MissingSecret, UnsupportedDatabase
from bot.storage.migrate import alembic_config, current_revision, head, upgrade
from bot.storage.pseudonyms import KEY_FILE
from bot.storage.tables import Base
from tests.contracts import CHAT, KEY, POSTGRES, POSTGRES_URL, T0, save_turn
from tests.postgres import fresh_database

every_sql_database = pytest.mark.parametrize("sql_url", ["sqlite", POSTGRES], indirect=True)


@pytest.fixture
async def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database of the parametrised kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'comptoir.sqlite3'}"
    else:
        async with fresh_database(POSTGRES_URL) as url:
            yield url


@asynccontextmanager
async def opened(url: str, **options: Any) -> AsyncIterator[Storage]:
    storage = await open_storage(url, pseudonym_key=KEY, **options)
    try:
        yield storage
    finally:
        await storage.close()


async def execute(url: str, statement: Any, parameters: Any = None) -> None:
    """Run one statement in a transaction of its own."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(statement, parameters)
    finally:
        await engine.dispose()


# --- revisions -------------------------------------------------------------------------------


@every_sql_database
async def test_upgrade_brings_an_empty_database_to_the_newest_revision(sql_url: str) -> None:
    assert await current_revision(sql_url) is None
    await upgrade(sql_url)
    assert await current_revision(sql_url) == head() == "0012"


@every_sql_database
async def test_running_upgrade_again_is_a_no_op(sql_url: str) -> None:
    await upgrade(sql_url)
    async with opened(sql_url) as storage:
        await save_turn(storage, CHAT, 1, 1)
    await upgrade(sql_url)
    assert await current_revision(sql_url) == head()
    async with opened(sql_url) as storage:
        assert (await storage.privacy.export(CHAT)).conversation is not None


@every_sql_database
async def test_a_database_migrated_by_a_newer_program_is_refused(sql_url: str) -> None:
    await upgrade(sql_url)
    await execute(sql_url, text("UPDATE alembic_version SET version_num = '9999_future'"))

    with pytest.raises(DatabaseTooNew) as refused:
        await upgrade(sql_url)
    message = str(refused.value)
    assert "La base de données est plus récente que ce programme" in message
    assert "The database is newer than this program" in message
    assert "9999_future" in message
    with pytest.raises(DatabaseTooNew):
        await open_storage(sql_url, pseudonym_key=KEY)
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


# The tables as revision 0001 left them.
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_INSTANT = sa.DateTime(timezone=True)
_PRE_APPLICATIONS_0001 = sa.table(
    "pre_applications",
    *(sa.column(name, _JSON) for name in ("profile", "match_snapshot", "contact")),
    *(sa.column(name, _INSTANT) for name in ("consent_at", "created_at")),
    *(sa.column(name) for name in ("reference", "chat_key", "idempotency_key")),
    *(sa.column(name) for name in ("consent_version", "counter_id", "status")),
)
_EVENTS_0001 = sa.table(
    "events", sa.column("chat_hash"), sa.column("kind"), sa.column("node"),
    sa.column("detail", _JSON), sa.column("at", _INSTANT),
)  # fmt: skip


@every_sql_database
async def test_upgrading_0001_moves_the_idea_out_of_the_profile(sql_url: str) -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(sql_url), "0001")
    idea = "Un café-réparation « Le Bon Clou », écrire à camille@example.org"
    profile = {"commune": "62041", "carrier": "association", "stage": "emergence", "idea": idea}
    await execute(
        sql_url,
        sa.insert(_PRE_APPLICATIONS_0001),
        {
            "reference": "CPT-2025-000001",
            "chat_key": CHAT,
            "idempotency_key": "file-1",
            "profile": profile,
            "match_snapshot": {"schemes": ["fdva-2"], "counters": ["france-active-pdc"]},
            "contact": {"first_name": "Camille", "contact": "camille@example.org"},
            "consent_at": T0,
            "consent_version": "2025-01",
            "counter_id": "france-active-pdc",
            "status": "nouvelle",
            "created_at": T0,
        },
    )
    unkeyed = {"chat_hash": "0" * 64, "kind": "answered", "node": "start", "detail": {}, "at": T0}
    await execute(sql_url, sa.insert(_EVENTS_0001), unkeyed)

    await upgrade(sql_url)

    async with opened(sql_url) as storage:
        (filed,) = (await storage.privacy.export(CHAT)).pre_applications
        assert (await storage.privacy.export(CHAT)).events == 0
    assert filed.reference == "CPT-2025-000001"
    assert filed.filing.idea == idea
    assert filed.filing.profile.model_dump(exclude_defaults=True) == {
        "commune": "62041",
        "carrier": "association",
        "stage": "emergence",
    }
    # A snapshot of the first schema (no criteria kept) reads as an empty match in the commune.
    assert filed.filing.snapshot.commune.insee == "62041" and filed.filing.snapshot.schemes == ()

    await asyncio.to_thread(command.downgrade, alembic_config(sql_url), "0001")
    engine = create_engine(sql_url)
    try:
        async with engine.connect() as connection:
            profiles = (await connection.execute(sa.select(_PRE_APPLICATIONS_0001.c.profile))).all()
    finally:
        await engine.dispose()
    assert [row.profile for row in profiles] == [profile]


_PRE_APPLICATIONS_0002 = sa.table(
    "pre_applications",
    *(sa.column(c.name, c.type) for c in _PRE_APPLICATIONS_0001.columns),
    sa.column("idea"), sa.column("assessment", _JSON), sa.column("campaign"),
)  # fmt: skip


@every_sql_database
async def test_upgrading_0002_makes_leads_of_the_pre_applications(sql_url: str) -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(sql_url), "0002")
    filed = {
        "chat_key": CHAT,
        "profile": {"commune": "62041", "carrier": "association", "stage": "emergence"},
        "match_snapshot": {"schemes": [], "counters": []},
        "contact": {"first_name": "Camille"},
        "consent_at": T0,
        "consent_version": "2025-01",
        "counter_id": "france-active-pdc",
        "created_at": T0,
        "idea": "Un café-réparation",
        "assessment": None,
        "campaign": None,
    }
    rows = [
        {**filed, "reference": "CPT-2025-000001", "idempotency_key": "a", "status": "nouvelle"},
        {**filed, "reference": "CPT-2025-000002", "idempotency_key": "b", "status": "transmise"},
    ]
    await execute(sql_url, sa.insert(_PRE_APPLICATIONS_0002), rows)

    await upgrade(sql_url)

    async with opened(sql_url) as storage:
        new = await storage.leads.find("CPT-2025-000001")
        other = await storage.leads.find("CPT-2025-000002")
    assert new is not None and other is not None
    assert (new.status, new.status_at, new.version) == ("nouveau", T0, 1)
    assert (other.status, other.status_at) == ("transmise", T0)
    assert (new.counter_id, new.filing.counter_id) == (None, "france-active-pdc")
    assert (new.relay_open, new.citizen_told, new.excluded, new.awaiting) == (
        False,
        False,
        (),
        None,
    )
    async with opened(sql_url) as storage:  # 0007 gave the existing leads their list lines
        found = await storage.lead_search.page(LeadQuery(scope=None, text="CAFE reparation"), 1, 5)
    assert [(line.reference, line.first_name) for line in found.lines] == [
        ("CPT-2025-000002", "Camille"),
        ("CPT-2025-000001", "Camille"),
    ]

    await asyncio.to_thread(command.downgrade, alembic_config(sql_url), "0002")
    engine = create_engine(sql_url)
    try:
        async with engine.connect() as connection:
            query = sa.select(_PRE_APPLICATIONS_0002.c.status).order_by(
                _PRE_APPLICATIONS_0002.c.reference
            )
            statuses = (await connection.execute(query)).scalars().all()
    finally:
        await engine.dispose()
    assert statuses == ["nouvelle", "transmise"]


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
    assert "ALTER TABLE outbox ADD COLUMN dead_at" in script
    assert "UPDATE pre_applications SET profile = profile - 'idea'" in script
    assert "UPDATE pre_applications SET status = 'nouveau' WHERE status = 'nouvelle'" in script
    assert "CREATE TABLE people" in script and "CREATE TABLE lead_events" in script
    assert "UPDATE alembic_version SET version_num='0003'" in script


# --- opening a database ----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"])
async def test_an_in_memory_sqlite_database_is_refused(url: str) -> None:
    with pytest.raises(UnsupportedDatabase, match="memory"):
        await open_storage(url, pseudonym_key=KEY)


async def test_an_unsupported_database_is_refused_before_connecting() -> None:
    with pytest.raises(UnsupportedDatabase, match="SQLite ou PostgreSQL"):
        await open_storage("mysql+aiomysql://comptoir@127.0.0.1/comptoir", pseudonym_key=KEY)


async def test_postgresql_without_a_pseudonym_key_is_refused() -> None:
    with pytest.raises(MissingSecret, match="COMPTOIR_PSEUDONYM_KEY"):
        await open_storage("postgresql+asyncpg://comptoir@db.invalid/comptoir")


async def test_sqlite_without_a_key_keeps_one_beside_its_file_and_reuses_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "var" / "comptoir.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    storage = await open_storage(url)
    try:
        async with storage.conversations.chat(CHAT) as session:
            await session.log([Event("node_entered", "start")], T0)
    finally:
        await storage.close()
    key_file = path.with_name(KEY_FILE)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text(encoding="ascii").strip()
    assert len(bytes.fromhex(key)) == 32

    storage = await open_storage(url)
    try:
        assert (await storage.privacy.export(CHAT)).events == 1  # the same pseudonym
    finally:
        await storage.close()
    assert key_file.read_text(encoding="ascii").strip() == key
    # A database in another folder gets a key of its own.
    elsewhere = tmp_path / "other" / "comptoir.sqlite3"
    await (await open_storage(f"sqlite+aiosqlite:///{elsewhere}")).close()
    assert elsewhere.with_name(KEY_FILE).read_text(encoding="ascii").strip() != key


async def test_a_short_pseudonym_key_is_refused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'comptoir.sqlite3'}"
    with pytest.raises(MissingSecret, match="at least 16 bytes"):
        await open_storage(url, pseudonym_key=b"short")
