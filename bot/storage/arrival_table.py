"""The webhook's arrivals (beside `bot.storage.tables`, on the same metadata)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.tables import Base, Json


class ArrivalRow(Base):
    """An update pushed to the webhook: waiting, claimed by a replica, or done (see
    `ports_arrivals`); done rows stay a while, so that the ids just below a new one are known."""

    __tablename__ = "arrivals"
    __table_args__ = (Index(None, "channel", "chat", "update_id"), Index(None, "received_at"))

    channel: Mapped[str] = mapped_column(String, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat: Mapped[str]
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    received_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None]
    claimed_until: Mapped[dt.datetime | None]
    done_at: Mapped[dt.datetime | None]
