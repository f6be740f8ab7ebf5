"""The chats as Telegram keeps them: messages, files, presses, blocks, and their JSON."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from tests.fakes.telegram.records import JSON, CallbackQueryRecord, ChatMessage


class Chats:
    """Chats and their messages (the bot's and the citizens'), shared by the other parts."""

    # Set by FakeTelegram from its arguments.
    bot_id: int
    username: str
    first_name: str
    _clock: Callable[[], float]

    def __init__(self) -> None:
        super().__init__()
        self.messages: dict[int, dict[int, ChatMessage]] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.blocked: set[int] = set()
        self.migrated: dict[int, int] = {}  # a group that became a supergroup → its new id

        self._sent: dict[int, list[ChatMessage]] = {}
        self._chats: dict[int, JSON] = {}
        self._next_message_id: dict[int, int] = {}
        self._next_file = 0
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)

    def _bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def _chat_json(self, chat_id: int) -> JSON:
        if chat_id in self._chats:
            return dict(self._chats[chat_id])
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Camille"}
        return {"id": chat_id, "type": "group", "title": "Groupe test"}

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = message_id
        return message_id

    def _register_file(self, content: bytes, folder: str, suffix: str) -> tuple[str, str]:
        self._next_file += 1
        file_id = f"BQACAgQAAxkBAAI{self._next_file:08d}"
        self._files[file_id] = (f"{folder}/file_{self._next_file}{suffix}", content)
        return file_id, f"AgAD{self._next_file:06d}"

    def _message_json(self, message: ChatMessage) -> JSON:
        data: JSON = {
            "message_id": message.message_id,
            "from": message.sender,
            "chat": self._chat_json(message.chat_id),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.caption is not None:
            data["caption"] = message.caption
            if message.entities:
                data["caption_entities"] = message.entities
        if message.location is not None:
            data["location"] = message.location
        if message.venue is not None:
            data["venue"] = message.venue
        if message.document is not None:
            document = message.document
            data["document"] = {
                "file_id": document.file_id,
                "file_unique_id": f"AgAD{document.file_id[-6:]}",
                "file_size": len(document.content),
            }
            if document.filename:
                data["document"]["file_name"] = document.filename
            if document.mime_type:
                data["document"]["mime_type"] = document.mime_type
        data.update(message.media)
        replied = self.messages.get(message.chat_id, {}).get(message.reply_to or 0)
        if replied is not None:  # Telegram nests the answered message (not its own answer)
            data["reply_to_message"] = {
                k: v for k, v in self._message_json(replied).items() if k != "reply_to_message"
            }
        if message.reply_markup is not None and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    def _record_sent(self, chat_id: int, kind: str, params: dict[str, Any], **fields: Any) -> JSON:
        replying = params.get("reply_parameters")
        if isinstance(replying, dict) and isinstance(replying.get("message_id"), int):
            fields.setdefault("reply_to", replying["message_id"])
        message = ChatMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            kind=kind,
            from_bot=True,
            sender=self._bot_user(),
            date=int(self._clock()),
            params=params,
            **fields,
        )
        self.messages.setdefault(chat_id, {})[message.message_id] = message
        self._sent.setdefault(chat_id, []).append(message)
        return self._message_json(message)

    def _replace(self, message: ChatMessage, **changes: Any) -> JSON:
        edited = dataclasses.replace(
            message, edit_date=int(self._clock()), edits=message.edits + 1, **changes
        )
        self.messages[message.chat_id][message.message_id] = edited
        return self._message_json(edited)
