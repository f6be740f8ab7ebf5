"""Telegram's documented limits and the values it accepts."""

from __future__ import annotations

import re

# Telegram's documented limits (https://core.telegram.org/bots/api).
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_INLINE_ROW = 8
MAX_CALLBACK_ANSWER = 200
MAX_SECRET_TOKEN = 256
SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")
COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")

# fmt: off
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
# fmt: on
# Update types Telegram sends when allowed_updates is empty or was never given.
NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# fmt: off
INLINE_ACTIONS = frozenset({
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
})
# fmt: on
