"""The observatory's daily roll-ups (beside `bot.storage.tables`, on the same metadata).

A closed day's counts are written once (`observed_days` says which days are), so that the
observatory reads a few rows a day instead of every event; see `bot.core.observatory.days` for
what a cell counts, and `observatory_days` for how they are filled.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.tables import Base


class ObservedDayRow(Base):
    """A day in France whose counts are rolled up (written in the transaction of its rows)."""

    __tablename__ = "observed_days"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    rolled_at: Mapped[dt.datetime]


class IdeaDayRow(Base):
    """A day's qualified ideas in a département for a theme (`*`: all of them, once each)."""

    __tablename__ = "idea_days"
    __table_args__ = (Index(None, "theme", "day"),)

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String, primary_key=True)
    theme: Mapped[str] = mapped_column(String, primary_key=True)
    month: Mapped[str]
    conversations: Mapped[int]
    without_scheme: Mapped[int]
    without_counter: Mapped[int]


class StepDayRow(Base):
    """A day's events of one kind at one node, everywhere (`*`) or in a département."""

    __tablename__ = "step_days"
    __table_args__ = (Index(None, "department", "day"),)

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String, primary_key=True)
    node: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str] = mapped_column(String, primary_key=True)
    events: Mapped[int]
    conversations: Mapped[int]


class UnheardDayRow(Base):
    """A day's answers not understood, by node and text, everywhere (`*`) or in a département
    (deleted with the events, at their retention limit: the text is a citizen's)."""

    __tablename__ = "unheard_days"
    __table_args__ = (Index(None, "department", "day"),)

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String, primary_key=True)
    node: Mapped[str] = mapped_column(String, primary_key=True)
    text: Mapped[str] = mapped_column(String, primary_key=True)
    times: Mapped[int]
    conversations: Mapped[int]
