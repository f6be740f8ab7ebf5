"""The `Privacy` contract: access, retention, pseudonymous events, erasure down to the files."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.conversation import Event
from bot.core.filing import Contact
from bot.services.ports import Notice, PersonalData, Purged, Retention, Storage, StoredConversation
from bot.storage.connection import SqlDatabase
from bot.storage.memory import MemoryDatabase
from bot.storage.privacy import PERSONAL_TABLES
from bot.storage.pseudonyms import Pseudonyms
from tests.contracts import (
    CHAT,
    COUNTER,
    EMAIL,
    IDEA,
    KEY,
    OTHER,
    POSTGRES,
    T0,
    Clock,
    conversation,
    event_pseudonyms,
    every_pre_application,
    filing,
    lead,
    raw_rows,
    reply,
)
from tests.contracts.conftest import Backend

DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)
RETENTION = Retention()
NOTHING = PersonalData(conversation=None, pre_applications=(), events=0, queued=0)

# --- access ----------------------------------------------------------------------------------


async def test_export_gives_everything_stored_about_a_chat_and_nothing_of_another(
    storage: Storage, clock: Clock
) -> None:
    clock.now = T0 - dt.timedelta(hours=1)
    async with storage.conversations.chat(CHAT) as session:
        assert await session.claim_update(1)
        await session.save(conversation(1, language="en", campaign="flyer-arras"))
    clock.now = T0
    async with storage.conversations.chat(CHAT) as session:
        await session.save(conversation(2, language="en", campaign="flyer-arras"))
        await session.log([Event("node_entered", "start"), Event("answered", "start")], T0)
        filed = await session.file(filing(), T0)
        await session.enqueue([reply(), reply(), Notice("receipt", CHAT, {}), lead()], T0)
    async with storage.conversations.chat(OTHER) as session:
        await session.save(conversation(1, OTHER, state={"secret": "autre"}))
        await session.log([Event("node_entered", "start")], T0)
        await session.file(filing(), T0)
        await session.enqueue([reply(OTHER)], T0)
    *_, receipt = await storage.outbox.queued(CHAT, T0, 10)
    await storage.outbox.delivered([receipt.id], T0)

    assert await storage.privacy.export(CHAT) == PersonalData(
        conversation=StoredConversation(
            state=conversation(2).state,
            language="en",
            campaign="flyer-arras",
            created_at=T0 - dt.timedelta(hours=1),
            updated_at=T0,
        ),
        pre_applications=(filed,),
        events=2,
        queued=2,
    )
    assert await storage.privacy.export("web:never-seen") == NOTHING


# --- retention -------------------------------------------------------------------------------


async def test_purge_deletes_idle_conversations_with_their_updates_and_messages(
    storage: Storage, clock: Clock
) -> None:
    old, kept = "telegram:old", "telegram:kept"
    async with storage.conversations.chat(old) as session:
        assert await session.claim_update(1)
        await session.save(conversation(1, old))
        await session.file(filing(), T0)
        await session.enqueue([reply(old)], T0)
    clock.now = T0 + 10 * DAY
    async with storage.conversations.chat(kept) as session:
        assert await session.claim_update(1)
        await session.save(conversation(1, kept))
        await session.enqueue([reply(kept)], clock.now)
    now = T0 + 375 * DAY  # the limit is T0 + 10 days: `kept` was updated exactly then

    purged = await storage.privacy.purge(now, RETENTION)

    assert purged == Purged(conversations=1, updates=2, pre_applications=1, notices=1)
    assert await storage.privacy.export(old) == NOTHING
    exported = await storage.privacy.export(kept)
    assert exported.conversation is not None and exported.queued == 1
    (anonymised,) = await every_pre_application(storage)
    assert (anonymised.reference, anonymised.chat_key) == ("CPT-2026-000001", None)
    assert anonymised.filing == filing().model_copy(
        update={"contact": Contact(), "idea": None, "assessment": ()}
    )
    assert await storage.privacy.purge(now, RETENTION) == Purged()
    async with storage.conversations.chat(old) as session:
        assert await session.claim_update(1) is True


async def test_purge_keeps_a_conversation_updated_exactly_at_the_limit(storage: Storage) -> None:
    async with storage.conversations.chat(CHAT) as session:
        await session.save(conversation(1))
    limit = T0 + RETENTION.conversations
    assert await storage.privacy.purge(limit, RETENTION) == Purged()
    assert await storage.privacy.purge(limit + dt.timedelta(microseconds=1), RETENTION) == Purged(
        conversations=1
    )


async def test_purge_forgets_processed_updates_after_seven_days(
    storage: Storage, clock: Clock
) -> None:
    async with storage.conversations.chat(CHAT) as session:
        assert await session.claim_update(1)
        await session.save(conversation(1))
    clock.now = T0 + 3 * DAY
    async with storage.conversations.chat(CHAT) as session:
        assert await session.claim_update(2)
        await session.save(conversation(2))

    purged = await storage.privacy.purge(T0 + RETENTION.updates + SECOND, RETENTION)

    assert purged == Purged(updates=1)
    async with storage.conversations.chat(CHAT) as session:
        assert await session.claim_update(1) is True
        assert await session.claim_update(2) is False


async def test_purge_deletes_events_older_than_a_year(storage: Storage) -> None:
    async with storage.conversations.chat(CHAT) as session:
        await session.log([Event("node_entered", "start")], T0)
        await session.log([Event("answered", "start")], T0 + 100 * DAY)

    purged = await storage.privacy.purge(T0 + RETENTION.events + SECOND, RETENTION)

    assert purged == Purged(events=1)
    assert (await storage.privacy.export(CHAT)).events == 1


async def test_purge_deletes_dead_and_delivered_messages_after_their_delay(
    storage: Storage,
) -> None:
    async with storage.conversations.chat(CHAT) as session:
        await session.enqueue([lead(f"CPT-2026-00000{n}") for n in range(1, 6)], T0)
    old_dead, dead, old_delivered, delivered, waiting = [
        notice.id for notice in await storage.outbox.queued(COUNTER, T0, 10)
    ]
    await storage.outbox.dead(old_dead, T0, "refused")
    await storage.outbox.dead(dead, T0 + 25 * DAY, "refused")
    await storage.outbox.delivered([old_delivered], T0)
    await storage.outbox.delivered([delivered], T0 + 25 * DAY)

    # Dead rows go after 7 days, delivered ones after 30.
    assert await storage.privacy.purge(T0 + 30 * DAY + SECOND, RETENTION) == Purged(notices=2)
    assert await storage.privacy.purge(T0 + 30 * DAY + SECOND, RETENTION) == Purged()
    assert await storage.privacy.purge(T0 + 60 * DAY, RETENTION) == Purged(notices=2)
    assert [n.id for n in await storage.outbox.queued(COUNTER, T0 + 60 * DAY, 10)] == [waiting]
    # A message that never went is given up with the conversations, after a year.
    assert await storage.privacy.purge(T0 + 366 * DAY, RETENTION) == Purged(notices=1)


async def test_purge_anonymises_an_old_pre_application_whose_conversation_is_gone(
    storage: Storage, clock: Clock
) -> None:
    async with storage.conversations.chat("telegram:1") as session:
        await session.file(filing(), T0)
    clock.now = T0 + 100 * DAY
    async with storage.conversations.chat("telegram:2") as session:
        recent = await session.file(filing(), clock.now)

    purged = await storage.privacy.purge(T0 + RETENTION.pre_applications + SECOND, RETENTION)

    assert purged == Purged(pre_applications=1)
    orphan, kept = await every_pre_application(storage)
    assert orphan.chat_key is None and orphan.filing.contact == Contact()
    assert orphan.filing.idea is None and orphan.reference == "CPT-2026-000001"
    assert kept == recent
    assert (await storage.privacy.export("telegram:2")).pre_applications == (recent,)


# --- the event log ---------------------------------------------------------------------------


async def test_events_are_keyed_by_a_keyed_pseudonym_of_the_chat(storage: Storage) -> None:
    async with storage.conversations.chat(CHAT) as session:
        gap = Event("gap", "ask_theme", {"theme": "mobilité"})
        await session.log([Event("node_entered", "start"), gap], T0)
    async with storage.conversations.chat(OTHER) as session:
        await session.log([Event("node_entered", "start")], T0)

    pseudonym = Pseudonyms(KEY).of(CHAT)
    assert await event_pseudonyms(storage) == [pseudonym, pseudonym, Pseudonyms(KEY).of(OTHER)]
    assert pseudonym == hmac.new(KEY, CHAT.encode(), hashlib.sha256).hexdigest()
    assert pseudonym not in (CHAT, hashlib.sha256(CHAT.encode()).hexdigest())
    assert Pseudonyms(b"j" * 32).of(CHAT) != pseudonym != Pseudonyms(KEY).of(OTHER)
    database = storage.database
    if isinstance(database, MemoryDatabase):
        stored = repr(database.events)
    else:
        stored = repr(await raw_rows(storage, "SELECT * FROM events"))
    assert "123456789" not in stored and "mobilité" in stored
    assert (await storage.privacy.export(CHAT)).events == 2


# --- erasure down to the files ---------------------------------------------------------------


async def write_personal_data(storage: Storage) -> None:
    """A chat whose e-mail sits in its state, its filing and a reply; its id everywhere."""
    async with storage.conversations.chat(CHAT) as session:
        assert await session.claim_update(1)
        state = {"answers": {"contact": EMAIL, "telegram_id": "123456789"}}
        await session.save(conversation(1, state=state))
        await session.log([Event("answered", "ask_contact")], T0)
        await session.file(filing(), T0)
        await session.enqueue([reply(text=f"Nous écrirons à {EMAIL}.")], T0)


async def forget_and_compact(storage: Storage) -> None:
    async with storage.conversations.chat(CHAT) as session:
        await session.forget(T0 + DAY)
    await storage.privacy.compact()


def sqlite_files(backend: Backend) -> list[Path]:
    assert backend.file is not None
    return [backend.file.with_name(backend.file.name + suffix) for suffix in ("", "-wal", "-shm")]


def contents(files: list[Path]) -> bytes:
    return b"".join(path.read_bytes() for path in files if path.exists())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_on_sqlite_erased_data_leaves_no_bytes_in_the_files(
    backend: Backend, storage: Storage
) -> None:
    await write_personal_data(storage)
    assert EMAIL.encode() in contents(sqlite_files(backend))  # the search can find it

    await forget_and_compact(storage)

    data = contents(sqlite_files(backend))
    for erased in (EMAIL, "123456789", IDEA, "Nous écrirons"):
        assert erased.encode() not in data, erased


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_on_sqlite_the_files_are_readable_by_their_owner_only(
    backend: Backend, storage: Storage
) -> None:
    await write_personal_data(storage)
    database, wal, shm = sqlite_files(backend)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    for path in (wal, shm):
        assert path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


# The personal tables, their TOAST tables, and every index of both.
_RELATION_FILES = text("""
    WITH tables AS (
        SELECT oid, reltoastrelid FROM pg_class
        WHERE relname = ANY(:tables) AND relkind = 'r'
          AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
    ), relations AS (
        SELECT oid FROM tables UNION SELECT reltoastrelid FROM tables WHERE reltoastrelid <> 0
    )
    SELECT pg_relation_filepath(oid) FROM relations
    UNION
    SELECT pg_relation_filepath(indexrelid) FROM pg_index
    WHERE indrelid IN (SELECT oid FROM relations)
""")


async def postgres_files(storage: Storage) -> list[Path]:
    """The files of the personal tables, after a checkpoint wrote every page to them."""
    database = storage.database
    assert isinstance(database, SqlDatabase)
    engine = database.engine
    assert isinstance(engine, AsyncEngine)
    async with engine.connect() as connection:
        await connection.execute(text("CHECKPOINT"))
        folder = Path(await connection.scalar(text("SHOW data_directory")))
        found = await connection.execute(_RELATION_FILES, {"tables": list(PERSONAL_TABLES)})
        relations = [folder / path for path in found.scalars()]
    # A relation over 1 GB continues in segments: 16384, 16384.1…
    return [segment for r in relations for segment in (r, *r.parent.glob(f"{r.name}.[0-9]*"))]


@pytest.mark.parametrize("backend", [POSTGRES], indirect=True)
async def test_on_postgresql_erased_data_leaves_no_bytes_in_the_table_files(
    storage: Storage,
) -> None:
    await write_personal_data(storage)
    files = await postgres_files(storage)
    try:
        before = contents(files)
    except PermissionError as error:
        pytest.skip(f"the PostgreSQL data files are not readable by this user: {error}")
    if not files or not all(path.exists() for path in files):
        pytest.skip("the PostgreSQL data directory is not on this machine")
    assert EMAIL.encode() in before  # the search can find it

    await forget_and_compact(storage)

    data = contents(await postgres_files(storage))
    for erased in (EMAIL, IDEA, "Nous écrirons"):
        assert erased.encode() not in data, erased
