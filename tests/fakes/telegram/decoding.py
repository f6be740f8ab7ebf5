"""A Bot API request's parameters, decoded field by field as PTB encodes them."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aiohttp import web

from tests.fakes.telegram.records import SentFile

# PTB posts form fields: strings raw, everything else JSON-encoded, so a field is decoded by
# what Telegram expects in it (the text "42" must stay a string, offset "42" is a number).
# fmt: off
_JSON_FIELDS = frozenset({
    "reply_markup", "allowed_updates", "commands", "scope", "entities", "caption_entities",
    "link_preview_options", "reply_parameters", "media",
})
# fmt: on
# fmt: off
_INT_FIELDS = frozenset({
    "message_id", "offset", "limit", "timeout", "max_connections", "message_thread_id",
    "reply_to_message_id", "live_period", "heading", "proximity_alert_radius", "cache_time",
    "user_id", "from_chat_id",
})
# fmt: on
_FLOAT_FIELDS = frozenset({"latitude", "longitude", "horizontal_accuracy"})
# fmt: off
_BOOL_FIELDS = frozenset({
    "disable_notification", "protect_content", "drop_pending_updates", "show_alert",
    "disable_web_page_preview", "allow_sending_without_reply", "disable_content_type_detection",
    "allow_paid_broadcast",
})
# fmt: on


def _decode_field(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if name in _JSON_FIELDS:
            return json.loads(value)
        if name in _INT_FIELDS:
            return int(value)
        if name in _FLOAT_FIELDS:
            return float(value)
    except ValueError:
        return value
    if name in _BOOL_FIELDS:
        return value.strip().lower() in ("true", "1")
    if name == "chat_id":
        with contextlib.suppress(ValueError):
            return int(value)
    return value


async def read_params(request: web.Request) -> dict[str, Any]:
    """Query, JSON or form fields (uploads as SentFile, attach:// resolved), decoded."""
    raw: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                raw.update(body)
        else:
            files: dict[str, SentFile] = {}
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = SentFile(value.filename, value.file.read(), value.content_type)
                else:
                    raw[key] = value
            for key, value in list(raw.items()):
                if isinstance(value, str) and value.startswith("attach://"):
                    attached = files.pop(value.removeprefix("attach://"), None)
                    if attached is not None:
                        raw[key] = attached
            raw.update(files)
    return {key: _decode_field(key, value) for key, value in raw.items()}
