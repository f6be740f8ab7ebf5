"""What every store shares: references, aware instants, JSON copies, e-mails, code retention."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

# How long wrong link codes are kept (they only slow guessing down, per hour) and link codes
# once used or expired (to tell « already used » apart for a while), by `Privacy.purge`.
WRONG_CODES_KEPT = dt.timedelta(days=1)
SPENT_CODES_KEPT = dt.timedelta(days=30)
ROLES = ("advisor", "staff")
CODE_KINDS = ("person", "counter", "staff", "invite", "setup")


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


def check_same_chat(session_key: str, record_key: str) -> None:
    """Refuse a record of another chat than the session's."""
    if record_key != session_key:
        raise ValueError("record belongs to another chat than the session's")


def normal_email(email: str) -> str:
    """An e-mail address as stored and compared: trimmed, lower-case."""
    return email.strip().lower()


def check_choice(field: str, value: str, allowed: tuple[str, ...]) -> None:
    """Refuse a value outside its allowed list, naming the field and the values allowed."""
    if value not in allowed:
        raise ValueError(f"{field} {value!r} is not one of {', '.join(allowed)}")
