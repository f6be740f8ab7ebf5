"""The upkeep list's tables (beside `bot.storage.tables`, on the same metadata): what citizens
were shown, and the link checks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.tables import Base, BigId


class MatchedRecordRow(Base):
    """A scheme or counter shown to citizens, gathered from the `match_run` events (kept past
    their retention: the upkeep list's « never proposed » reads it)."""

    __tablename__ = "matched_records"

    kind: Mapped[str] = mapped_column(String, primary_key=True)  # scheme | counter
    record_id: Mapped[str] = mapped_column(String, primary_key=True)
    first_at: Mapped[dt.datetime]
    last_at: Mapped[dt.datetime]


class MatchScanRow(Base):
    """How far the gathering of `matched_records` has read the events (one row)."""

    __tablename__ = "match_scans"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    settled_at: Mapped[dt.datetime | None]  # every event logged up to it is gathered
    since: Mapped[dt.datetime | None]  # the first match logged with its ids


class LinkCheckRow(Base):
    """A link check started by a staff member; `running` is 1 until it ends (unique: one check
    at a time, whichever replica runs it)."""

    __tablename__ = "link_checks"
    # An id is never reused (SQLite would reuse a given-up check's): a late end names its own.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    started_at: Mapped[dt.datetime]
    started_by: Mapped[str]
    finished_at: Mapped[dt.datetime | None]
    running: Mapped[int | None] = mapped_column(unique=True)


class LinkResultRow(Base):
    """What checking one link of a record found, in a check."""

    __tablename__ = "link_results"
    __table_args__ = (Index(None, "check_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    check_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("link_checks.id"))
    url: Mapped[str] = mapped_column(Text)
    record_kind: Mapped[str]  # scheme | counter
    record_id: Mapped[str]
    field: Mapped[str]  # url | source | verified.page
    outcome: Mapped[str]  # ok | redirected | broken
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None]
    final_url: Mapped[str | None] = mapped_column(Text)
