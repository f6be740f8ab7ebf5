"""The Bot API methods about messages, buttons, commands and files, checked like Telegram."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tests.fakes.telegram.chats import Chats
from tests.fakes.telegram.errors import (
    ACTION_INVALID,
    ANSWER_TOO_LONG,
    BLOCKED,
    BUTTON_DATA_INVALID,
    CANT_EDIT,
    CAPTION_TOO_LONG,
    CHAT_NOT_FOUND,
    COMMAND_DESCRIPTION_INVALID,
    COMMAND_INVALID,
    DELETE_NOT_FOUND,
    EDIT_NOT_FOUND,
    FILE_ID_INVALID,
    MARKUP_TOO_LONG,
    MARKUP_UNPARSABLE,
    MIGRATED,
    NOT_MODIFIED,
    PARSE_MODE_INVALID,
    QUERY_INVALID,
    ROW_TOO_WIDE,
    TEXT_BUTTON_INLINE,
    TEXT_EMPTY,
    TEXT_TOO_LONG,
    ApiError,
    _bad,
)
from tests.fakes.telegram.html import HtmlError, parse_html
from tests.fakes.telegram.limits import (
    CHAT_ACTIONS,
    COMMAND_RE,
    INLINE_ACTIONS,
    MAX_CALLBACK_ANSWER,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION,
    MAX_INLINE_BUTTONS,
    MAX_INLINE_ROW,
    MAX_TEXT,
)
from tests.fakes.telegram.records import JSON, ChatMessage, SentFile


class BotApi(Chats):
    """Handlers of the Bot API methods about messages, buttons, commands and files."""

    strict_html: bool  # set by FakeTelegram from its arguments

    def __init__(self) -> None:
        super().__init__()
        self.commands: dict[str, list[JSON]] = {}

    async def _get_me(self, params: dict[str, Any]) -> JSON:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _send_message(self, params: dict[str, Any]) -> JSON:
        chat_id = self._target_chat(params)
        text, entities = self._formatted(params, "text", MAX_TEXT, required=True)
        markup = params.get("reply_markup")
        _inline_keyboard(markup)
        return self._record_sent(
            chat_id,
            "text",
            params,
            text=text,
            raw_text=params.get("text"),
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=markup,
        )

    async def _edit_message_text(self, params: dict[str, Any]) -> JSON:
        message = self._message_to_edit(params)
        text, entities = self._formatted(params, "text", MAX_TEXT, required=True)
        # Without reply_markup, Telegram removes the inline keyboard.
        markup = _inline_keyboard(params.get("reply_markup"))
        if (text, entities, markup) == (message.text, message.entities, _inline(message)):
            raise _bad(NOT_MODIFIED)
        return self._replace(
            message,
            text=text,
            raw_text=params.get("text"),
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=markup,
        )

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> JSON:
        message = self._message_to_edit(params)
        markup = _inline_keyboard(params.get("reply_markup"))
        if markup == _inline(message):
            raise _bad(NOT_MODIFIED)
        return self._replace(message, reply_markup=markup)

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._target_chat(params)
        message_id = params.get("message_id")
        chat = self.messages.get(chat_id, {})
        if not isinstance(message_id, int) or chat.pop(message_id, None) is None:
            raise _bad(DELETE_NOT_FOUND)
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query = self.callback_queries.get(str(params.get("callback_query_id")))
        if query is None or query.answered:
            raise _bad(QUERY_INVALID)
        text = params.get("text")
        if isinstance(text, str) and len(text) > MAX_CALLBACK_ANSWER:
            raise _bad(ANSWER_TOO_LONG)
        query.answered = True
        query.answer_text = text if isinstance(text, str) else None
        query.show_alert = bool(params.get("show_alert"))
        return True

    async def _send_location(self, params: dict[str, Any]) -> JSON:
        chat_id = self._target_chat(params)
        location = self._location(params)
        _inline_keyboard(params.get("reply_markup"))
        return self._record_sent(
            chat_id, "location", params, location=location, reply_markup=params.get("reply_markup")
        )

    async def _send_venue(self, params: dict[str, Any]) -> JSON:
        chat_id = self._target_chat(params)
        location = self._location(params)
        venue: JSON = {"location": location}
        for key in ("title", "address"):
            value = params.get(key)
            if not isinstance(value, str) or not value:
                raise _bad(f"Bad Request: {key} is empty")
            venue[key] = value
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if params.get(key):
                venue[key] = params[key]
        _inline_keyboard(params.get("reply_markup"))
        return self._record_sent(
            chat_id,
            "venue",
            params,
            location=location,
            venue=venue,
            reply_markup=params.get("reply_markup"),
        )

    @staticmethod
    def _location(params: Mapping[str, Any]) -> JSON:
        latitude, longitude = params.get("latitude"), params.get("longitude")
        if not isinstance(latitude, float | int) or not -90 <= latitude <= 90:
            raise _bad("Bad Request: wrong latitude")  # ours
        if not isinstance(longitude, float | int) or not -180 <= longitude <= 180:
            raise _bad("Bad Request: wrong longitude")  # ours
        return {"latitude": float(latitude), "longitude": float(longitude)}

    async def _send_document(self, params: dict[str, Any]) -> JSON:
        chat_id = self._target_chat(params)
        document = params.get("document")
        if isinstance(document, SentFile):
            file_id, _ = self._register_file(document.content, "documents", "")
            document = dataclasses.replace(document, file_id=file_id)
        elif isinstance(document, str) and document in self._files:
            document = SentFile(None, self._files[document][1], None, document)
        else:
            raise _bad(FILE_ID_INVALID)
        caption, entities = self._formatted(params, "caption", MAX_CAPTION, required=False)
        _inline_keyboard(params.get("reply_markup"))
        return self._record_sent(
            chat_id,
            "document",
            params,
            document=document,
            caption=caption,
            entities=entities,
            reply_markup=params.get("reply_markup"),
        )

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._target_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise _bad(ACTION_INVALID)
        return True

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad(COMMAND_INVALID)
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad(COMMAND_DESCRIPTION_INVALID)
        self.commands[str(params.get("language_code") or "")] = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[JSON]:
        return self.commands.get(str(params.get("language_code") or ""), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(str(params.get("language_code") or ""), None)
        return True

    async def _get_file(self, params: dict[str, Any]) -> JSON:
        file_id = str(params.get("file_id") or "")
        if file_id not in self._files:
            raise _bad(FILE_ID_INVALID)
        path, content = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id[-6:]}",
            "file_size": len(content),
            "file_path": path,
        }

    def _target_chat(self, params: Mapping[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise _bad(CHAT_NOT_FOUND)
        if chat_id in self.blocked:
            raise ApiError(403, BLOCKED)
        if chat_id in self.migrated:
            raise ApiError(400, MIGRATED, migrate_to=self.migrated[chat_id])
        return chat_id

    def _formatted(
        self, params: Mapping[str, Any], key: str, limit: int, *, required: bool
    ) -> tuple[str | None, list[JSON]]:
        raw = params.get(key)
        entities_key = "entities" if key == "text" else "caption_entities"
        if raw is None or raw == "":
            if required:
                raise _bad(TEXT_EMPTY)
            return None, []
        raw = str(raw)
        mode = str(params.get("parse_mode") or "").lower()
        if mode not in ("", "html", "markdown", "markdownv2"):
            raise _bad(PARSE_MODE_INVALID)
        if mode == "html":
            try:
                text, entities = parse_html(raw, strict_ampersand=self.strict_html)
            except HtmlError as error:
                raise _bad(f"Bad Request: can't parse entities: {error}") from None
        else:
            text = raw
            given = params.get(entities_key)
            entities = given if isinstance(given, list) else []
        if not text.strip():
            if required:
                raise _bad(TEXT_EMPTY)
            return None, []
        if len(text) > limit:
            raise _bad(TEXT_TOO_LONG if key == "text" else CAPTION_TOO_LONG)
        return text, entities

    def _message_to_edit(self, params: Mapping[str, Any]) -> ChatMessage:
        chat_id = self._target_chat(params)
        message_id = params.get("message_id")
        message = (
            self.messages.get(chat_id, {}).get(message_id) if isinstance(message_id, int) else None
        )
        if message is None:
            raise _bad(EDIT_NOT_FOUND)
        if not message.from_bot:
            raise _bad(CANT_EDIT)
        return message


def _inline_keyboard(markup: Any) -> JSON | None:
    """Validate reply_markup; return it when it is an inline keyboard (Telegram echoes those)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad(MARKUP_UNPARSABLE)
    if "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad(MARKUP_UNPARSABLE)
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise _bad(MARKUP_TOO_LONG)
    if any(len(row) > MAX_INLINE_ROW for row in rows):
        raise _bad(ROW_TOO_WIDE)
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not INLINE_ACTIONS & button.keys():
                raise _bad(TEXT_BUTTON_INLINE)
            if "callback_data" in button:
                data = button["callback_data"]
                size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad(BUTTON_DATA_INVALID)
    return markup


def _inline(message: ChatMessage) -> JSON | None:
    markup = message.reply_markup
    return markup if markup is not None and "inline_keyboard" in markup else None
