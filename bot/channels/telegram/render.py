"""How replies look on Telegram within its limits: escaped chunks, keyboards, joined lead-ins."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence
from typing import Any

from bot.core.conversation import Reply

MAX_TEXT = 4096
MAX_ROW = 8
MAX_BUTTONS = 100
MAX_CALLBACK_BYTES = 64
MAX_LABEL = 64
LEAD_IN = 300  # characters: a reply this short with nothing attached joins the next message


def escape(text: str) -> str:
    """Text for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """A text as escaped HTML chunks of at most `limit` characters each.

    The plain text is cut (on paragraph, then line, then word boundaries) before it is escaped,
    so an entity such as `&amp;` is never split across two messages.
    """
    chunks: list[str] = []
    rest = text.strip() or "…"
    while len(escape(rest)) > limit:
        cut = _fitting(rest, limit)
        for separator in ("\n\n", "\n", " "):
            found = rest.rfind(separator, 0, cut)
            if found > 0:
                cut = found
                break
        chunks.append(escape(rest[:cut].rstrip()))
        rest = rest[cut:].lstrip()
    chunks.append(escape(rest))
    return chunks


def _fitting(text: str, limit: int) -> int:
    """The longest prefix of `text` whose escaped form fits in `limit` characters."""
    size = 0
    for index, char in enumerate(text):
        size += len(escape(char))
        if size > limit:
            return max(index, 1)
    return len(text)


def merge_lead_ins(replies: Sequence[Reply], limit: int = LEAD_IN) -> list[Reply]:
    """Join each short plain reply (« Noté : Arras ») to the message that follows it.

    One message instead of two: one notification for the citizen, one call fewer under
    Telegram's per-chat pace. Only a short text with nothing attached is joined, and only
    when the joined text still fits in one message.
    """
    merged: list[Reply] = []
    pending: Reply | None = None
    for reply in replies:
        if pending is not None:
            text = f"{pending.text.rstrip()}\n\n{reply.text.lstrip()}"
            if reply.replaces_keyboard or len(escape(text)) > MAX_TEXT:
                merged.append(pending)
            else:
                reply = dataclasses.replace(reply, text=text)
            pending = None
        plain = not (
            reply.buttons
            or reply.place
            or reply.location_button
            or reply.replaces_keyboard
            or reply.document
        )
        if plain and len(reply.text) <= limit:
            pending = reply
        else:
            merged.append(reply)
    if pending is not None:
        merged.append(pending)
    return merged


def keyboard(reply: Reply) -> dict[str, Any] | None:
    """Inline keyboard of a reply (Bot API JSON): ≤ 8 buttons a row, ≤ 100 in all, data ≤ 64 B."""
    rows: list[list[dict[str, str]]] = []
    count = 0
    for row in reply.buttons:
        usable = [b for b in row if 0 < len(b.data.encode()) <= MAX_CALLBACK_BYTES]
        for start in range(0, len(usable), MAX_ROW):
            chunk = usable[start : start + MAX_ROW][: MAX_BUTTONS - count]
            if chunk:
                rows.append([{"text": b.label[:MAX_LABEL], "callback_data": b.data} for b in chunk])
                count += len(chunk)
    return {"inline_keyboard": rows} if rows else None


def location_keyboard(label: str) -> dict[str, Any]:
    """A one-time reply keyboard with a « share my position » button."""
    button = {"text": label[:MAX_LABEL], "request_location": True}
    return {"keyboard": [[button]], "one_time_keyboard": True, "resize_keyboard": True}
