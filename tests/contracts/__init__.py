"""Contract suites of the storage ports, run against memory, SQLite and (given a URL) PostgreSQL.

Set COMPTOIR_TEST_POSTGRES_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test) to add
PostgreSQL: each test then runs in a database of its own, created and dropped around it. This
module holds what the suites share: the clock, the records they store, raw reads of the stores.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from typing import Any

import pytest
from sqlalchemy import Connection, select, text

from bot.core.filing import Contact, Filing, MarkerLevel
from bot.core.matching import MatchSnapshot, Profile
from bot.core.matching.snapshot import CommuneView, CounterView, Pin
from bot.services.ports import Conversation, Notice, PreApplication, Storage
from bot.services.ports_advisors import Lead
from bot.storage.connection import SqlDatabase
from bot.storage.conversations import PRE_APPLICATION_COLUMNS
from bot.storage.memory import MemoryDatabase
from bot.storage.records import pre_application
from bot.storage.tables import PreApplicationRow

POSTGRES_URL = os.environ.get("COMPTOIR_TEST_POSTGRES_URL", "")
POSTGRES = pytest.param(
    "postgresql",
    marks=pytest.mark.skipif(not POSTGRES_URL, reason="COMPTOIR_TEST_POSTGRES_URL is not set"),
)
EVERY_KIND = ["memory", "sqlite", POSTGRES]
SQL_KINDS = ["sqlite", POSTGRES]

KEY = b"k" * 32  # the pseudonym key of every store under test
CHAT = "telegram:123456789"
OTHER = "web:0f3c2a"
COUNTER = "france-active-pdc"
EMAIL = "camille.martin@example.org"
IDEA = f"Une épicerie solidaire à Arras ; écrire à Camille Martin, {EMAIL}"
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def conversation(version: int, chat_key: str = CHAT, **changes: Any) -> Conversation:
    """A conversation record at `version`."""
    record = Conversation(
        chat_key=chat_key,
        state={"answers": {"commune": "62041"}, "step": version},
        tree_version="2026.1",
        node="ask_commune",
        version=version,
    )
    return dataclasses.replace(record, **changes)


def filing(key: str = "file-1", **changes: Any) -> Filing:
    """A valid filing: an association in Arras at its beginnings, with a contact."""
    profile = Profile(
        commune="62041",
        carrier="association",
        stage="emergence",
        themes=("alimentation",),
        needs=("financement", "accompagnement"),
        amount=15_000,
    )
    snapshot = MatchSnapshot(
        commune=CommuneView(insee="62041", name="Arras", department="62"),
        notice=None,
        schemes=(),
        near_misses=(),
        counters=(
            CounterView(
                id=COUNTER,
                name="France Active Pas-de-Calais",
                distance_km=2.5,
                level="local",
                reasons=("accompagne les associations",),
                url="https://www.franceactive.org/",
                how=None,
                where="Arras",
                pin=Pin(lat=50.29, lon=2.78),
            ),
        ),
    )
    values: dict[str, Any] = {
        "idempotency_key": key,
        "profile": profile,
        "idea": IDEA,
        "assessment": (MarkerLevel(marker="utilite-sociale", level=2),),
        "snapshot": snapshot,
        "contact": Contact(first_name="Camille", contact=EMAIL, preferred_time="le matin"),
        "consent_at": T0,
        "consent_version": "2026-01",
        "counter_id": COUNTER,
        "campaign": "flyer-arras",
    }
    return Filing(**(values | changes))


def reply(recipient: str = CHAT, text: str = "Bonjour !") -> Notice:
    """A citizen's reply for the outbox."""
    return Notice("reply", recipient, {"text": text})


def lead(reference: str = "CPT-2026-000001", counter: str = COUNTER) -> Notice:
    """A lead for a counter."""
    return Notice("lead", counter, {"reference": reference})


async def save_turn(storage: Storage, chat_key: str, update_id: int, version: int) -> None:
    """One committed turn: an update claimed and the conversation saved."""
    async with storage.conversations.chat(chat_key) as session:
        assert await session.claim_update(update_id)
        await session.save(conversation(version, chat_key))


async def raw_rows(storage: Storage, sql: str) -> list[Any]:
    """Rows of a raw SQL query on a SQL storage's database."""
    database = storage.database
    assert isinstance(database, SqlDatabase)
    return await database.read(lambda connection: list(connection.execute(text(sql)).all()))


async def every_pre_application(storage: Storage) -> list[PreApplication]:
    """Every stored pre-application, anonymised ones included, in filing order."""
    database = storage.database
    if isinstance(database, MemoryDatabase):
        return [stored.record for stored in database.leads]
    assert isinstance(database, SqlDatabase)

    def read(connection: Connection) -> list[PreApplication]:
        query = select(*PRE_APPLICATION_COLUMNS).order_by(PreApplicationRow.id)
        return [pre_application(row) for row in connection.execute(query).all()]

    return await database.read(read)


async def outbox_errors(storage: Storage) -> dict[int, str | None]:
    """The error kept on each outbox row."""
    database = storage.database
    if isinstance(database, MemoryDatabase):
        return {i: notice.error for i, notice in database.outbox.items()}
    return {row.id: row.error for row in await raw_rows(storage, "SELECT id, error FROM outbox")}


async def event_pseudonyms(storage: Storage) -> list[str]:
    """The chat column of every event row."""
    database = storage.database
    if isinstance(database, MemoryDatabase):
        return [event.pseudonym for event in database.events]
    return [row.chat_hash for row in await raw_rows(storage, "SELECT * FROM events ORDER BY id")]


async def file_lead(
    storage: Storage, chat_key: str = CHAT, key: str = "file-1", at: dt.datetime = T0
) -> Lead:
    """A lead as the citizen's turn files it: a filing through a chat session."""
    async with storage.conversations.chat(chat_key) as session:
        filed = await session.file(filing(key), at)
    found = await storage.leads.find(filed.reference)
    assert found is not None
    return found


async def change_lead(storage: Storage, lead_id: int, **changes: Any) -> Lead:
    """Save a lead with these changes (and the next version) in a session of its own."""
    async with storage.leads.lead(lead_id) as session:
        current = await session.lead()
        changed = dataclasses.replace(current, version=current.version + 1, **changes)
        await session.save(changed)
    return changed
