"""The periodic jobs' leases (beside `bot.storage.tables`, on the same metadata)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.tables import Base


class LeaseRow(Base):
    """A periodic job taken by one replica until an instant (see `ports_leases`)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    holder: Mapped[str]
    expires_at: Mapped[dt.datetime]
