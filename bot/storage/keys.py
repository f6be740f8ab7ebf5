"""What every store shares: the clock, the event pseudonym of a chat, references, the lease."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

Clock = Callable[[], dt.datetime]

# How long a message handed out by `due` stays hidden from other workers before a retry.
DEFAULT_LEASE = dt.timedelta(minutes=2)


def utc_now() -> dt.datetime:
    """The current time, timezone-aware in UTC (the stores' default clock)."""
    return dt.datetime.now(dt.UTC)


def chat_hash(chat_key: str) -> str:
    """The SHA-256 hex digest under which a chat's events are logged (never the raw key)."""
    return hashlib.sha256(chat_key.encode("utf-8")).hexdigest()


def reference(year: int, number: int) -> str:
    """The public reference of a pre-application: CPT-2026-000123."""
    return f"CPT-{year:04d}-{number:06d}"


def reference_year(at: dt.datetime) -> int:
    """The year a reference is numbered in: the UTC year of filing."""
    return aware(at).astimezone(dt.UTC).year


def aware(value: dt.datetime) -> dt.datetime:
    """Refuse naive datetimes: every stored instant must say its timezone."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError("naive datetime: storage needs timezone-aware datetimes")
    return value


def json_copy(value: dict[str, Any]) -> dict[str, Any]:
    """A deep copy through JSON, so a fake store refuses what a JSON column would refuse."""
    copied: dict[str, Any] = json.loads(json.dumps(value, allow_nan=False))
    return copied
