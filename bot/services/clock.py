"""The time as the services see it: an aware UTC instant, and the day in France."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from bot.core.conversation import Context

Clock = Callable[[], dt.datetime]
FRANCE = ZoneInfo("Europe/Paris")


def utc_now() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


def context_at(now: dt.datetime) -> Context:
    """What the engine is told of the time: the instant, and the calendar day in Paris."""
    return Context(now=now, today=now.astimezone(FRANCE).date())
