"""Leads in SQL: a transaction locked on one lead, its timeline and where its cards are shown.

A lead is a `pre_applications` row. The lock is SQLite's write lock (BEGIN IMMEDIATE) or, on
PostgreSQL, the row's (`FOR UPDATE`); reads hold no lock longer than their statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from bot.services.ports import Notice, QueuedNotice
from bot.services.ports_advisors import (
    Card,
    Lead,
    LeadBatch,
    LeadEvent,
    LeadSession,
    UnknownLead,
)
from bot.storage.connection import LOCK_TIMEOUT, Executor, SqlDatabase
from bot.storage.conversations import PRE_APPLICATION_COLUMNS
from bot.storage.errors import stale_lead
from bot.storage.guard import holding_chat, refuse_nesting
from bot.storage.keys import aware
from bot.storage.outbox import write_notices
from bot.storage.records import lead, lead_columns, lead_line_changes
from bot.storage.tables import LeadCardRow, LeadEventRow, LeadLineRow, PreApplicationRow

LEAD_COLUMNS = (
    PreApplicationRow.id,
    *PRE_APPLICATION_COLUMNS,  # assigned_counter_id among them
    PreApplicationRow.status_at,
    PreApplicationRow.version,
    PreApplicationRow.assignment_reason,
    PreApplicationRow.taken_by,
    PreApplicationRow.relay_open,
    PreApplicationRow.citizen_told,
    PreApplicationRow.reminded_on,
    PreApplicationRow.escalated_at,
    PreApplicationRow.excluded,
    PreApplicationRow.awaiting_person_id,
    PreApplicationRow.awaiting_action,
)
_NEWEST = PreApplicationRow.id.desc()
_LEADS = select(*LEAD_COLUMNS)
# The statements of the advisors' every click, built once (see bot.storage.conversations).
_BY_ID = _LEADS.where(PreApplicationRow.id == bindparam("b_id"))
_BY_REFERENCE = _LEADS.where(PreApplicationRow.reference == bindparam("b_reference"))
_BY_CARD = (
    _LEADS.join(LeadCardRow, LeadCardRow.lead_id == PreApplicationRow.id)
    .where(
        LeadCardRow.chat_id == bindparam("b_chat"),
        LeadCardRow.message_id == bindparam("b_message"),
    )
    .order_by(_NEWEST)
    .limit(1)
)
_AWAITING = (
    _LEADS.where(PreApplicationRow.awaiting_person_id == bindparam("b_person"))
    .order_by(_NEWEST)
    .limit(1)
)
_RELAYING = (
    _LEADS.where(
        PreApplicationRow.chat_key == bindparam("b_chat_key"),
        PreApplicationRow.relay_open.is_(True),
    )
    .order_by(_NEWEST)
    .limit(1)
)
# SQLite ignores FOR UPDATE: its write lock, taken by BEGIN IMMEDIATE, already serialises.
_LOCK = (
    select(PreApplicationRow.id).where(PreApplicationRow.id == bindparam("b_id")).with_for_update()
)
_LOCK_MANY = (
    select(PreApplicationRow.id)
    .where(PreApplicationRow.id.in_(bindparam("b_ids", expanding=True)))
    .order_by(PreApplicationRow.id)
    .with_for_update()
)
_BY_IDS = _LEADS.where(PreApplicationRow.id.in_(bindparam("b_ids", expanding=True))).order_by(
    PreApplicationRow.id
)
_VERSION = select(PreApplicationRow.version).where(PreApplicationRow.id == bindparam("b_id"))
_SAVE = update(PreApplicationRow).where(
    PreApplicationRow.id == bindparam("b_id"),
    PreApplicationRow.version == bindparam("b_expected"),
)
_SAVE_LINE = update(LeadLineRow).where(LeadLineRow.lead_id == bindparam("b_id"))
_INSERT_EVENTS = insert(LeadEventRow)
_CARDS = (
    select(LeadCardRow.lead_id, LeadCardRow.chat_id, LeadCardRow.message_id, LeadCardRow.version)
    .where(LeadCardRow.lead_id == bindparam("b_id"))
    .order_by(LeadCardRow.chat_id)
)


def _add_card_statement(dialect: str) -> Any:
    """Insert a card, or replace the lead's card in that chat (its message and version)."""
    insert_ = (
        postgresql.insert(LeadCardRow) if dialect == "postgresql" else sqlite.insert(LeadCardRow)
    )
    return insert_.on_conflict_do_update(
        index_elements=[LeadCardRow.lead_id, LeadCardRow.chat_id],
        set_={"message_id": insert_.excluded.message_id, "version": insert_.excluded.version},
    )


_ADD_CARD = {dialect: _add_card_statement(dialect) for dialect in ("sqlite", "postgresql")}


class SqlLeadWork:
    """What a transaction on locked leads writes: saves, events, messages (of those leads only)."""

    def __init__(self, connection: Executor, lead_ids: Sequence[int]) -> None:
        self._connection = connection
        self._ids = frozenset(lead_ids)

    async def save(self, lead: Lead) -> None:
        """Store a changed lead; its `version` must be the stored one + 1 (`StaleLead`)."""
        if lead.id not in self._ids:
            raise ValueError("lead saved in a transaction that does not hold its lock")
        for instant in (lead.status_at, lead.assigned_at, lead.escalated_at):
            if instant is not None:
                aware(instant)
        key = {"b_id": lead.id, "b_expected": lead.version - 1}
        result = await self._connection.execute(_SAVE, {**lead_columns(lead), **key})
        if result.rowcount != 1:
            stored = await self._connection.scalar(_VERSION, {"b_id": lead.id})
            raise stale_lead(lead.id, int(stored or 0), lead.version)
        await self._connection.execute(_SAVE_LINE, {**lead_line_changes(lead), "b_id": lead.id})

    async def log(self, events: Sequence[LeadEvent]) -> None:
        """Add events to the leads' timelines."""
        for event in events:
            aware(event.at)
            if event.lead_id not in self._ids:
                raise ValueError("event logged in a transaction that does not hold its lead")
        if not events:
            return
        await self._connection.execute(
            _INSERT_EVENTS,
            [
                {
                    "lead_id": e.lead_id,
                    "kind": e.kind,
                    "actor": e.actor,
                    "at": e.at,
                    "detail": e.detail,
                    "text": e.text,
                }
                for e in events
            ],
        )

    async def enqueue(self, notices: Sequence[Notice], at: dt.datetime) -> list[QueuedNotice]:
        """Add messages to the outbox, delivered after commit."""
        return await write_notices(self._connection, notices, at)


class SqlLeadSession(SqlLeadWork):
    """One transaction on one lead, whose lock `SqlLeads.lead` already holds."""

    def __init__(self, connection: Executor, lead_id: int) -> None:
        super().__init__(connection, (lead_id,))
        self._lead_id = lead_id

    async def lead(self) -> Lead:
        """The lead as stored (this transaction's changes included)."""
        row = (await self._connection.execute(_BY_ID, {"b_id": self._lead_id})).one()
        return lead(row)


class SqlLeadBatch(SqlLeadWork):
    """One transaction on several leads, whose locks `SqlLeads.batch` already holds."""

    async def leads(self) -> list[Lead]:
        """The leads that still exist, as stored (this transaction's changes included), by id."""
        rows = await self._connection.execute(_BY_IDS, {"b_ids": sorted(self._ids)})
        return [lead(row) for row in rows.all()]


class SqlLeads:
    """Leads over one database: locked transactions, lists read off the loop, cards."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    @asynccontextmanager
    async def lead(self, lead_id: int) -> AsyncIterator[LeadSession]:
        """Open a transaction locked on one lead (`UnknownLead` when there is none)."""
        with holding_chat("lead"):
            async with self._database.transaction() as connection:
                await self._lock_timeout(connection)
                if await connection.scalar(_LOCK, {"b_id": lead_id}) is None:
                    raise UnknownLead(f"no lead has id {lead_id}")
                yield SqlLeadSession(connection, lead_id)

    @asynccontextmanager
    async def batch(self, lead_ids: Sequence[int]) -> AsyncIterator[LeadBatch]:
        """Open a transaction locked on several leads, in id order (missing ones left out)."""
        with holding_chat("batch"):
            async with self._database.transaction() as connection:
                found: list[int] = []
                if lead_ids:
                    # In id order, so that two batches over common leads cannot deadlock.
                    await self._lock_timeout(connection)
                    rows = await connection.execute(_LOCK_MANY, {"b_ids": sorted(set(lead_ids))})
                    found = [row.id for row in rows.all()]
                yield SqlLeadBatch(connection, found)

    async def find(self, reference: str) -> Lead | None:
        """A lead by its reference."""
        return await self._one("find", _BY_REFERENCE, {"b_reference": reference})

    async def get(self, lead_id: int) -> Lead | None:
        """A lead by its id."""
        return await self._one("get", _BY_ID, {"b_id": lead_id})

    async def leads(
        self, statuses: Sequence[str] | None = None, counter_id: str | None = None
    ) -> list[Lead]:
        """Leads (of these statuses, assigned to this counter), newest first."""
        query = _LEADS.order_by(_NEWEST)
        if statuses is not None:
            query = query.where(PreApplicationRow.status.in_(list(statuses)))
        if counter_id is not None:
            query = query.where(PreApplicationRow.assigned_counter_id == counter_id)

        def read(connection: Connection) -> list[Lead]:
            return [lead(row) for row in connection.execute(query).all()]

        return await self._database.read(read)

    async def tally(self) -> dict[str, int]:
        """How many leads stand in each status (read off the event loop)."""
        query = select(PreApplicationRow.status, func.count()).group_by(PreApplicationRow.status)

        def read(connection: Connection) -> dict[str, int]:
            return {str(row[0]): int(row[1]) for row in connection.execute(query).all()}

        return await self._database.read(read)

    async def by_card(self, chat_id: int, message_id: int) -> Lead | None:
        """The lead whose card is this message."""
        return await self._one("by_card", _BY_CARD, {"b_chat": chat_id, "b_message": message_id})

    async def awaiting(self, person_id: int) -> Lead | None:
        """The lead waiting for a reason from this person, if any (the newest)."""
        return await self._one("awaiting", _AWAITING, {"b_person": person_id})

    async def relaying(self, chat_key: str) -> Lead | None:
        """The citizen's lead whose relay is open, if any (the newest)."""
        return await self._one("relaying", _RELAYING, {"b_chat_key": chat_key})

    async def events(self, lead_id: int) -> list[LeadEvent]:
        """A lead's timeline, oldest first."""
        query = (
            select(LeadEventRow)
            .where(LeadEventRow.lead_id == lead_id)
            .order_by(LeadEventRow.at, LeadEventRow.id)
        )

        def read(connection: Connection) -> list[LeadEvent]:
            return [
                LeadEvent(row.lead_id, row.kind, row.actor, row.at, row.detail, row.text)
                for row in connection.execute(query).all()
            ]

        return await self._database.read(read)

    async def cards(self, lead_id: int) -> list[Card]:
        """Where the lead's card is shown, by chat id."""
        refuse_nesting("cards")
        async with self._database.transaction() as connection:
            rows = (await connection.execute(_CARDS, {"b_id": lead_id})).all()
        return [Card(row.lead_id, row.chat_id, row.message_id, row.version) for row in rows]

    async def add_card(self, card: Card) -> None:
        """Remember where a card was sent (a second one for the same chat replaces it)."""
        refuse_nesting("add_card")
        values = {
            "lead_id": card.lead_id,
            "chat_id": card.chat_id,
            "message_id": card.message_id,
            "version": card.version,
        }
        try:
            async with self._database.transaction() as connection:
                await connection.execute(_ADD_CARD[self._database.dialect], values)
        except IntegrityError as error:  # the foreign key: no such lead
            raise UnknownLead(f"no lead has id {card.lead_id}") from error

    async def _lock_timeout(self, connection: Executor) -> None:
        if self._database.dialect == "postgresql":
            await connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))

    async def _one(self, operation: str, query: Any, parameters: dict[str, Any]) -> Lead | None:
        refuse_nesting(operation)
        async with self._database.transaction() as connection:
            row = (await connection.execute(query, parameters)).one_or_none()
        return None if row is None else lead(row)
