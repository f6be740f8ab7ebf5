"""The database schema as SQLAlchemy 2 declarative tables, portable to SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bot.storage.keys import aware

# Deterministic constraint names, so migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit ids on PostgreSQL; SQLite auto-increments only an INTEGER primary key (its rowid).
BigId = BigInteger().with_variant(Integer(), "sqlite")

# JSONB on PostgreSQL: stored parsed and comparable; plain JSON (text) on SQLite.
Json = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware instant: UTC in the database, aware UTC datetimes back in Python."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        """Convert to UTC; SQLite has no time zones, so it gets naive UTC."""
        if value is None:
            return None
        utc = aware(value).astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Give back an aware UTC datetime whatever the backend returned."""
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of the Comptoir tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UtcDateTime()}


class ConversationRow(Base):
    """One conversation; its row is also the lock taken by `chat()` (version 0: not yet saved)."""

    __tablename__ = "conversations"
    __table_args__ = (Index(None, "updated_at"),)

    chat_key: Mapped[str] = mapped_column(String, primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(Json)
    tree_version: Mapped[str]
    node: Mapped[str]
    version: Mapped[int]
    language: Mapped[str]
    campaign: Mapped[str | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    # Kept only while the conversation lasts: its citizen refused consent (see the purge).
    ephemeral: Mapped[bool] = mapped_column(default=False, server_default=false())


class ProcessedUpdateRow(Base):
    """An update id already handled for a chat (channels may deliver an update twice)."""

    __tablename__ = "processed_updates"
    __table_args__ = (Index(None, "at"),)

    chat_key: Mapped[str] = mapped_column(String, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime]


class InboxRow(Base):
    """An update fetched from a channel and not yet processed (long polling acknowledges it)."""

    __tablename__ = "inbox"
    __table_args__ = (Index(None, "received_at"),)

    channel: Mapped[str] = mapped_column(String, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    received_at: Mapped[dt.datetime]


class ReferenceCounterRow(Base):
    """The last pre-application number given in a year (references restart each year)."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int]


class PreApplicationRow(Base):
    """A filed pre-application; once anonymised: no chat key, contact, idea or assessment."""

    __tablename__ = "pre_applications"
    __table_args__ = (
        UniqueConstraint("chat_key", "idempotency_key"),
        Index(None, "chat_key"),
        Index(None, "assigned_counter_id", "status"),
        Index(None, "status"),
        Index(None, "awaiting_person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String, unique=True)
    chat_key: Mapped[str | None]
    idempotency_key: Mapped[str]
    profile: Mapped[dict[str, Any]] = mapped_column(Json)
    idea: Mapped[str | None] = mapped_column(Text)
    assessment: Mapped[list[Any] | None] = mapped_column(Json)
    match_snapshot: Mapped[dict[str, Any]] = mapped_column(Json)
    contact: Mapped[dict[str, Any]] = mapped_column(Json)
    consent_at: Mapped[dt.datetime]
    consent_version: Mapped[str]
    counter_id: Mapped[str | None]
    campaign: Mapped[str | None]
    status: Mapped[str] = mapped_column(default="nouveau", server_default="nouveau")
    created_at: Mapped[dt.datetime]
    anonymised_at: Mapped[dt.datetime | None]
    # The lead as the advisors work it (see `bot.services.ports_advisors.Lead`); `counter_id`
    # above stays the filing's suggestion, `assigned_counter_id` is where the lead is.
    status_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    assigned_counter_id: Mapped[str | None]
    assignment_reason: Mapped[str | None]
    assigned_at: Mapped[dt.datetime | None]
    taken_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("people.id"))
    relay_open: Mapped[bool] = mapped_column(default=False, server_default=false())
    citizen_told: Mapped[bool] = mapped_column(default=False, server_default=false())
    reminded_on: Mapped[dt.date | None] = mapped_column(Date)
    escalated_at: Mapped[dt.datetime | None]
    excluded: Mapped[list[str]] = mapped_column(Json, default=list, server_default=text("'[]'"))
    awaiting_person_id: Mapped[int | None] = mapped_column(BigInteger)
    awaiting_action: Mapped[str | None]


class LeadLineRow(Base):
    """A lead as the dashboard lists, filters and searches it: a narrow copy of what the list
    shows, written with the lead (filed, saved, anonymised), so that a list or an export never
    reads the wide rows of `pre_applications` (their match snapshot runs to kilobytes)."""

    __tablename__ = "lead_lines"
    __table_args__ = (Index(None, "counter_id"), Index(None, "department"))

    lead_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("pre_applications.id"), primary_key=True, autoincrement=False
    )
    reference: Mapped[str]
    created_at: Mapped[dt.datetime]
    status: Mapped[str]
    status_at: Mapped[dt.datetime]
    counter_id: Mapped[str | None]
    taken_by: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int]
    commune_name: Mapped[str]
    department: Mapped[str | None]
    carrier: Mapped[str]
    stage: Mapped[str]
    themes_key: Mapped[str]  # « |alimentation|numerique| »
    needs_key: Mapped[str]
    amount: Mapped[int | None] = mapped_column(BigInteger)
    idea: Mapped[str | None] = mapped_column(Text)  # None once anonymised
    first_name: Mapped[str | None]
    search_public: Mapped[str] = mapped_column(Text)  # reference and commune, folded
    search: Mapped[str] = mapped_column(Text)  # and the idea and first name (until anonymised)
    # The match showed no scheme, no counter below the national level (the observatory's gaps).
    no_local_scheme: Mapped[bool] = mapped_column(default=False, server_default=false())
    no_local_counter: Mapped[bool] = mapped_column(default=False, server_default=false())


class EventRow(Base):
    """An append-only event, keyed by the chat's pseudonym (a keyed hash, never the key)."""

    __tablename__ = "events"
    __table_args__ = (Index(None, "chat_hash"), Index(None, "at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str]
    node: Mapped[str]
    detail: Mapped[dict[str, Any]] = mapped_column(Json)
    at: Mapped[dt.datetime]


class OutboxRow(Base):
    """A message waiting for delivery, with its retry schedule; `dead_at` once given up."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(None, "delivered_at", "next_attempt_at"),
        Index(None, "recipient", "id"),
        # An id is never reused (SQLite would reuse a deleted reply's): it is a web `seq`.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str]
    recipient: Mapped[str]
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]
    dead_at: Mapped[dt.datetime | None]
    error: Mapped[str | None]


class PersonRow(Base):
    """An advisor or a staff member; the e-mail is stored lower-case (unique)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String, unique=True)
    name: Mapped[str]
    role: Mapped[str]
    created_at: Mapped[dt.datetime]
    disabled_at: Mapped[dt.datetime | None]
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # The dashboard: an Argon2id hash (never the password); a session cookie names the
    # generation it was issued in, and moving it on ends older sessions.
    password_hash: Mapped[str | None]
    password_set_at: Mapped[dt.datetime | None]
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")


class PersonCounterRow(Base):
    """A counter a person advises for."""

    __tablename__ = "person_counters"

    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("people.id"), primary_key=True)
    counter_id: Mapped[str] = mapped_column(String, primary_key=True)


class GroupRow(Base):
    """A Telegram group linked to a counter, or the staff group (`counter_id` NULL, one only)."""

    __tablename__ = "groups"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    counter_id: Mapped[str | None]
    digest: Mapped[bool] = mapped_column(default=False, server_default=false())
    linked_at: Mapped[dt.datetime]


class LinkCodeRow(Base):
    """A one-time link code, by the hash of its text; `used_at` once redeemed."""

    __tablename__ = "link_codes"

    code_hash: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str]
    target: Mapped[str]
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class WrongCodeRow(Base):
    """A wrong link code tried in a chat (counted per hour to slow guessing down)."""

    __tablename__ = "wrong_codes"
    __table_args__ = (Index(None, "chat_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime]


class SignInFailureRow(Base):
    """A wrong password, by a keyed hash of the e-mail or of the client's address."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index(None, "key_hash", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime]


class LeadEventRow(Base):
    """Something that happened to a lead; no personal data (kinds, statuses, person ids)."""

    __tablename__ = "lead_events"
    __table_args__ = (Index(None, "lead_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("pre_applications.id"))
    kind: Mapped[str]
    actor: Mapped[str]
    at: Mapped[dt.datetime]
    detail: Mapped[dict[str, Any]] = mapped_column(Json)
    text: Mapped[str | None] = mapped_column(Text)  # a note's, a relayed message's


class LeadCardRow(Base):
    """The message showing a lead's card in a chat (one per chat: a new one replaces it), and the
    lead's version it shows."""

    __tablename__ = "lead_cards"
    __table_args__ = (Index(None, "chat_id", "message_id"),)

    lead_id: Mapped[int] = mapped_column(ForeignKey("pre_applications.id"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(default=0, server_default="0")


class ContentChangeRow(Base):
    """One saved change to a knowledge record: who, when, which record, the file's diff."""

    __tablename__ = "content_changes"
    __table_args__ = (Index(None, "record_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime]
    person_id: Mapped[int | None] = mapped_column(BigInteger)  # None: the command line
    author: Mapped[str]  # the name shown in the history (kept when the account goes)
    kind: Mapped[str]  # scheme | counter
    record_id: Mapped[str]
    action: Mapped[str]  # created | changed | verified | removed | imported
    path: Mapped[str]  # the file, relative to the knowledge folder
    diff: Mapped[str] = mapped_column(Text)


class ContentVersionRow(Base):
    """A publication of the content: every replica serves the newest one within seconds."""

    __tablename__ = "content_versions"

    version: Mapped[int] = mapped_column(BigId, primary_key=True)
    published_at: Mapped[dt.datetime]
    author: Mapped[str]
    last_change: Mapped[int | None] = mapped_column(BigInteger)  # content_changes.id published
    digest: Mapped[str] = mapped_column(String(64))  # of the files published
