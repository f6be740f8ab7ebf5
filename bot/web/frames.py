"""The web chat's client frames, read and checked; the refusals sent back (PROTOCOL.md)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Literal

from bot.core.models import Language
from bot.core.money import format_number

MAX_FRAME = 64 * 1024  # characters of a client frame; aiohttp accepts far more (a refusal)
MAX_BUTTON = 64  # bytes of a button's value, as the engine makes them
MAX_ID = 64  # characters of the client's own id of a frame
MAX_TOKEN = 128

Reason = Literal["too_long", "too_fast", "malformed", "unknown_type", "unavailable"]
TYPES = ("hello", "text", "button", "location", "ack")


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of a client, checked: only the fields of its type are set."""

    type: str
    id: str | None = None
    text: str | None = None
    value: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    seq: int | None = None
    last: int = 0
    conversation: str | None = None
    language: Language | None = None


@dataclass(frozen=True, slots=True)
class Refusal(Exception):
    """A frame not processed, and why; the socket stays open."""

    reason: Reason
    id: str | None = None
    retry_after: float | None = None
    limit: int | None = None

    def frame(self) -> dict[str, Any]:
        """The `refused` frame, with a kind sentence saying what to do."""
        data: dict[str, Any] = {"type": "refused", "reason": self.reason, "text": self.sentence()}
        if self.id is not None:
            data["id"] = self.id
        if self.retry_after is not None:
            data["retry_after"] = math.ceil(self.retry_after * 10) / 10  # seconds, rounded up
        return data

    def sentence(self) -> str:
        """What the citizen reads (French, as the page)."""
        if self.reason == "too_long":
            most = f" (au plus {format_number(self.limit)} caractères)" if self.limit else ""
            return f"Votre message est trop long{most} : raccourcissez-le, puis renvoyez-le."
        if self.reason == "too_fast":
            seconds = max(1, math.ceil(self.retry_after or 1))
            unit = "seconde" if seconds == 1 else "secondes"
            return (
                f"Vous envoyez vos messages très vite : patientez {seconds} {unit}, "
                "puis renvoyez le vôtre."
            )
        if self.reason == "unavailable":
            return (
                "Un souci technique m'a empêché de lire votre message : il n'est pas perdu, "
                "renvoyez-le dans un instant."
            )
        if self.reason == "unknown_type":
            return "Ce type de message n'est pas connu ici : rechargez la page, puis réessayez."
        return "Ce message n'a pas pu être lu : rechargez la page, puis réessayez."


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def read_frame(data: str, max_text: int) -> Frame:
    """Check one client frame; raise `Refusal` saying why it cannot be processed."""
    if len(data) > MAX_FRAME:
        raise Refusal("too_long", limit=max_text)
    try:
        raw = json.loads(data)
    except ValueError:
        raise Refusal("malformed") from None
    if not isinstance(raw, dict):
        raise Refusal("malformed")
    given_id = raw.get("id")
    frame_id = given_id if isinstance(given_id, str) and len(given_id) <= MAX_ID else None
    if given_id is not None and frame_id is None:
        raise Refusal("malformed")
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise Refusal("malformed", frame_id)
    if kind not in TYPES:
        raise Refusal("unknown_type", frame_id)
    if kind == "text":
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            raise Refusal("malformed", frame_id)
        if len(text) > max_text:
            raise Refusal("too_long", frame_id, limit=max_text)
        return Frame("text", frame_id, text=text)
    if kind == "button":
        value = raw.get("value")
        if not isinstance(value, str) or not value or len(value.encode()) > MAX_BUTTON:
            raise Refusal("malformed", frame_id)
        return Frame("button", frame_id, value=value)
    if kind == "location":
        lat, lon = _number(raw.get("latitude")), _number(raw.get("longitude"))
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise Refusal("malformed", frame_id)
        return Frame("location", frame_id, latitude=lat, longitude=lon)
    if kind == "ack":
        seq = _int(raw.get("seq"))
        if seq is None or seq < 0:
            raise Refusal("malformed", frame_id)
        return Frame("ack", frame_id, seq=seq)
    return _hello(raw, frame_id)


def _hello(raw: dict[str, Any], frame_id: str | None) -> Frame:
    last = _int(raw.get("last", 0))
    conversation = raw.get("conversation")
    language = raw.get("language")
    if (
        last is None
        or last < 0
        or (conversation is not None and not valid_token(conversation))
        or (language is not None and language not in ("fr", "en"))
    ):
        raise Refusal("malformed", frame_id)
    return Frame("hello", frame_id, last=last, conversation=conversation, language=language)


def valid_token(token: object) -> bool:
    """Whether a conversation token looks like one we hand out (URL-safe, long enough)."""
    return (
        isinstance(token, str)
        and 32 <= len(token) <= MAX_TOKEN
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in token)
    )
