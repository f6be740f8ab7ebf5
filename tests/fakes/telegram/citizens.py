"""The citizens: users who write, share, press buttons, edit and block the bot."""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.fakes.telegram.chats import Chats
from tests.fakes.telegram.html import _utf16_len
from tests.fakes.telegram.records import JSON, CallbackQueryRecord, ChatMessage
from tests.fakes.telegram.updates import Updates


class Citizens(Chats, Updates):
    """Simulated users: each action stores their message and delivers its Update."""

    def __init__(self) -> None:
        super().__init__()
        self._next_callback = 0

    def user_message(
        self,
        chat_id: int,
        text: str,
        *,
        first_name: str = "Camille",
        language_code: str = "fr",
        reply_to: int | None = None,
    ) -> JSON:
        """A citizen writes `text` in their private chat (answering `reply_to`, if given)."""
        user = self._private_user(chat_id, first_name, language_code)
        message = self._store_citizen_message(chat_id, user, "text", text=text, reply_to=reply_to)
        return self._deliver("message", self._message_json(message))

    def user_location(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        *,
        first_name: str = "Camille",
        language_code: str = "fr",
    ) -> JSON:
        """A citizen shares a location."""
        user = self._private_user(chat_id, first_name, language_code)
        location = {"latitude": latitude, "longitude": longitude}
        message = self._store_citizen_message(chat_id, user, "location", location=location)
        return self._deliver("message", self._message_json(message))

    def user_sticker(
        self,
        chat_id: int,
        *,
        emoji: str = "👍",
        first_name: str = "Camille",
        language_code: str = "fr",
    ) -> JSON:
        """A citizen sends a sticker."""
        user = self._private_user(chat_id, first_name, language_code)
        file_id, unique_id = self._register_file(b"RIFF-sticker", "stickers", ".webp")
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        message = self._store_citizen_message(chat_id, user, "sticker", media={"sticker": sticker})
        return self._deliver("message", self._message_json(message))

    def user_photo(
        self,
        chat_id: int,
        *,
        caption: str | None = None,
        content: bytes = b"\x89PNG\r\n\x1a\n fake photo",
        first_name: str = "Camille",
        language_code: str = "fr",
    ) -> JSON:
        """A citizen sends a photo (two sizes, downloadable through getFile)."""
        user = self._private_user(chat_id, first_name, language_code)
        sizes = []
        for side in (90, 800):
            file_id, unique_id = self._register_file(content, "photos", ".jpg")
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique_id,
                    "width": side,
                    "height": side,
                    "file_size": len(content),
                }
            )
        message = self._store_citizen_message(
            chat_id, user, "photo", caption=caption, media={"photo": sizes}
        )
        return self._deliver("message", self._message_json(message))

    def user_edit(self, chat_id: int, message_id: int, text: str) -> JSON:
        """A citizen edits one of their text messages (an edited_message update)."""
        current = self.messages.get(chat_id, {}).get(message_id)
        if current is None or current.from_bot:
            raise ValueError(f"chat {chat_id} has no citizen message {message_id}")
        edited = dataclasses.replace(
            current,
            text=text,
            raw_text=text,
            entities=_command_entities(text),
            edit_date=int(self._clock()),
            edits=current.edits + 1,
        )
        self.messages[chat_id][message_id] = edited
        return self._deliver("edited_message", self._message_json(edited))

    def user_press(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        first_name: str = "Camille",
        language_code: str = "fr",
        check: bool = True,
    ) -> JSON:
        """A citizen presses the inline button carrying `data` under a bot message.

        With `check`, the button must be on the message now (a removed keyboard can't be
        pressed); check=False sends arbitrary data, as a modified client could.
        """
        current = self.messages.get(chat_id, {}).get(message_id)
        if current is None or not current.from_bot:
            raise ValueError(f"chat {chat_id} has no bot message {message_id}")
        datas = [b.get("callback_data") for row in current.buttons for b in row]
        if check and data not in datas:
            raise ValueError(
                f"message {message_id} has no button with callback_data {data!r}: {datas}"
            )
        user = self._private_user(chat_id, first_name, language_code)
        self._next_callback += 1
        query_id = str(4_000_000_000_000_000_000 + self._next_callback)
        self.callback_queries[query_id] = CallbackQueryRecord(query_id, chat_id, message_id, data)
        query = {
            "id": query_id,
            "from": user,
            "message": self._message_json(current),
            "chat_instance": str(-abs(chat_id) * 7919 - 1),
            "data": data,
        }
        return self._deliver("callback_query", query)

    def inline_press(
        self, user_id: int, inline_message_id: str, data: str, *, first_name: str = "Camille"
    ) -> JSON:
        """Someone presses a button under a message sent in inline mode: no chat, no message."""
        user = self._private_user(user_id, first_name, "fr")
        self._next_callback += 1
        query_id = str(4_000_000_000_000_000_000 + self._next_callback)
        self.callback_queries[query_id] = CallbackQueryRecord(query_id, user_id, 0, data)
        query = {
            "id": query_id,
            "from": user,
            "inline_message_id": inline_message_id,
            "chat_instance": str(-abs(user_id) * 7919 - 3),
            "data": data,
        }
        return self._deliver("callback_query", query)

    def group_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int = 424242,
        first_name: str = "Dominique",
        title: str = "Groupe test",
        reply_to: int | None = None,
    ) -> JSON:
        """Someone writes in a group the bot is in (negative chat id), answering `reply_to`."""
        user = self._group_member(chat_id, user_id, first_name, title)
        message = self._store_citizen_message(chat_id, user, "text", text=text, reply_to=reply_to)
        return self._deliver("message", self._message_json(message))

    def group_press(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int = 424242,
        first_name: str = "Dominique",
    ) -> JSON:
        """A member of a group presses a button under one of the bot's messages there."""
        current = self.messages.get(chat_id, {}).get(message_id)
        if current is None or not current.from_bot:
            raise ValueError(f"chat {chat_id} has no bot message {message_id}")
        datas = [b.get("callback_data") for row in current.buttons for b in row]
        if data not in datas:
            raise ValueError(f"message {message_id} has no button {data!r}: {datas}")
        user = self._group_member(chat_id, user_id, first_name, "Groupe test")
        self._next_callback += 1
        query_id = str(4_000_000_000_000_000_000 + self._next_callback)
        self.callback_queries[query_id] = CallbackQueryRecord(query_id, chat_id, message_id, data)
        query = {
            "id": query_id,
            "from": user,
            "message": self._message_json(current),
            "chat_instance": str(chat_id * 7919 - 5),
            "data": data,
        }
        return self._deliver("callback_query", query)

    def _group_member(self, chat_id: int, user_id: int, first_name: str, title: str) -> JSON:
        if chat_id >= 0:
            raise ValueError("group chats have negative ids")
        kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        self._chats.setdefault(chat_id, {"id": chat_id, "type": kind, "title": title})
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "fr"}

    def migrate_group(
        self, old: int, new: int, *, user_id: int = 424242, announce: bool = True
    ) -> None:
        """A group becomes a supergroup (new id, messages kept); both service messages arrive
        (unless not `announce`: the bot then learns it from a refused send)."""
        user = self._group_member(old, user_id, "Dominique", "Groupe test")
        title = self._chats[old].get("title", "Groupe test")
        self._chats[new] = {"id": new, "type": "supergroup", "title": title}
        self.migrated[old] = new
        kept = self.messages.pop(old, {})
        self.messages[new] = {k: dataclasses.replace(m, chat_id=new) for k, m in kept.items()}
        self._sent[new] = [dataclasses.replace(m, chat_id=new) for m in self._sent.pop(old, [])]
        self._next_message_id[new] = self._next_message_id.get(old, 0)
        notes = ((old, "migrate_to_chat_id", new), (new, "migrate_from_chat_id", old))
        for chat, key, value in notes if announce else ():
            service = {
                "message_id": self._new_message_id(chat),
                "date": int(self._clock()),
                "chat": self._chat_json(chat),
                "from": user,
                key: value,
            }
            self._deliver("message", service)

    def redeliver(self, update: JSON) -> JSON:
        """Deliver an update again, same update_id, as Telegram may after a lost answer."""
        if self._webhook is not None:
            self._outbox.append(update)
            self._outbox_ready.set()
        else:
            self._pending.append(update)
            self._wake_pollers("update")
        return update

    def _private_user(self, chat_id: int, first_name: str, language_code: str) -> JSON:
        if chat_id <= 0:
            raise ValueError("private chats have positive ids (the citizen's user id)")
        self._chats[chat_id] = {"id": chat_id, "type": "private", "first_name": first_name}
        return {
            "id": chat_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }

    def _store_citizen_message(
        self, chat_id: int, user: JSON, kind: str, **fields: Any
    ) -> ChatMessage:
        text = fields.get("text")
        message = ChatMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            kind=kind,
            from_bot=False,
            sender=user,
            date=int(self._clock()),
            raw_text=text,
            entities=_command_entities(text) if text else [],
            **fields,
        )
        self.messages.setdefault(chat_id, {})[message.message_id] = message
        return message

    def block(self, chat_id: int) -> None:
        """The citizen blocks the bot: sends to the chat answer 403 Forbidden."""
        self.blocked.add(int(chat_id))

    def unblock(self, chat_id: int) -> None:
        """The citizen unblocks the bot."""
        self.blocked.discard(int(chat_id))


def _command_entities(text: str | None) -> list[JSON]:
    """A leading /command gets its bot_command entity, as Telegram adds it (PTB relies on it)."""
    if not text or not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
