"""Telegram's way out: one reply sent (or its keyboard edited) at a time, errors as outcomes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from telegram import Bot
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.channels.telegram.inbound import CHANNEL, LASTING_ORIGIN
from bot.channels.telegram.render import keyboard, location_keyboard, merge_lead_ins, split_text
from bot.channels.telegram.sender import Closed, Sender
from bot.channels.telegram.transport import api_call
from bot.core.conversation import ChatRef, Reply
from bot.services.ports import Delivery, DeliveryFailed, DeliveryRefused, RecipientUnreachable

log = logging.getLogger(__name__)
T = TypeVar("T")
Migrated = Callable[[int, int], Awaitable[None]]  # (old chat id, new chat id)
EXPORT_FILENAME = "mes-donnees-comptoir.json"
_UNCHANGED = "message is not modified"
# A card deleted in its chat (or too old to edit): it is shown again, as a new message.
_GONE = ("message to edit not found", "message can't be edited")


class TelegramOutbound:
    """Delivers replies to private chats; remembers which message of a chat shows buttons.

    A keyboard already answered is removed before the next reply, so only the current question
    can be pressed; a lasting reply's keyboard (« Détails ») is never tracked, so it stays.
    If a send is repeated (its answer was lost, then retried), two copies of a question may
    show buttons: either copy answers it once, and the other then gets « ce bouton
    n'est plus actif »: buttons carry the question they answer.
    """

    channel = CHANNEL

    def __init__(
        self,
        bot: Bot,
        sender: Sender,
        migrated: Callable[[int, int], Awaitable[None]] | None = None,
    ) -> None:
        self.bot = bot
        self.sender = sender
        self.migrated = migrated  # a group became a supergroup: (old chat id, new chat id)
        self._keyboards: OrderedDict[str, int] = OrderedDict()  # chat → message with buttons
        self._partial: OrderedDict[tuple[int, Reply], tuple[int, Any]] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    def close(self) -> None:
        """Start nothing new: a send waiting for its turn gives up (it stays queued)."""
        self.sender.close()

    def compose(self, replies: Sequence[Reply]) -> list[Reply]:
        """Short lead-ins joined to the next message: one notification instead of two."""
        return merge_lead_ins(replies)

    def working(self, chat: ChatRef) -> None:
        """Show « typing… » while the bot works on a long answer (best effort)."""
        self.background(self._typing(int(chat.chat_id)))

    def background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a best-effort call (it handles its own errors) without waiting for it."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send one reply; Telegram's refusals become the outbox's outcomes."""
        try:
            if delivery.edit is not None:
                return await self._edit(delivery)
            return await self._deliver(delivery)
        except ChatMigrated as error:  # a group became a supergroup: its rows follow it
            if self.migrated is None:
                raise RecipientUnreachable() from error
            await self.migrated(int(delivery.chat.chat_id), int(error.new_chat_id))
            raise DeliveryFailed() from error  # tried again soon, at the new address
        except Forbidden as error:  # blocked by the citizen, or the chat is gone
            raise RecipientUnreachable() from error
        except BadRequest as error:
            raise DeliveryRefused() from error
        except (TelegramError, Closed) as error:
            raise DeliveryFailed() from error

    async def _deliver(self, delivery: Delivery) -> str | None:
        chat_id = int(delivery.chat.chat_id)
        reply = delivery.reply
        origin = int(delivery.origin) if delivery.origin and delivery.origin.isdigit() else None
        # A press on a lasting button (« Détails ») answers aside: every keyboard stays.
        if delivery.first and delivery.conversation and delivery.origin != LASTING_ORIGIN:
            if reply.replaces_keyboard and origin is not None:
                await self._set_keyboard(chat_id, origin, keyboard(reply))
                return str(origin)
            answered = origin if origin is not None else self._keyboards.get(str(chat_id))
            if answered is not None:
                await self._remove_keyboard(chat_id, answered)
        return await self._send(chat_id, reply, delivery.conversation)

    async def _edit(self, delivery: Delivery) -> str | None:
        """Change a bot message (a lead card): its text and buttons; sent anew if it is gone."""
        chat_id, message_id = int(delivery.chat.chat_id), int(delivery.edit or 0)
        text = split_text(delivery.reply.text)[0]
        markup = keyboard(delivery.reply)
        try:
            await self.sender.call(
                chat_id,
                lambda: api_call(
                    self.bot,
                    "editMessageText",
                    chat_id=chat_id,
                    message_id=message_id,
                    text=text,
                    parse_mode=ParseMode.HTML.value,
                    reply_markup=markup or {"inline_keyboard": []},
                ),
            )
        except BadRequest as error:
            refusal = str(error).lower()
            if any(gone in refusal for gone in _GONE):
                return await self._send(chat_id, delivery.reply, conversation=False)
            if _UNCHANGED not in refusal:
                raise
        return str(message_id)

    async def _send(self, chat_id: int, reply: Reply, conversation: bool = True) -> str | None:
        chunks = split_text(reply.text)
        markup = keyboard(reply)
        inline = markup is not None and conversation
        if reply.location_button:
            markup = location_keyboard(reply.location_button)
        elif reply.ask:
            markup = {"force_reply": True, "selective": True}
        # A send retried after it failed part-way (the venue after the text…) goes on from
        # where it stopped: what Telegram already shows is not sent twice.
        key = (chat_id, reply)
        done, message = self._partial.pop(key, (0, None))
        shown = self._keyboards.get(str(chat_id)) if conversation else None
        if markup is not None and shown is not None and done == 0:
            await self._remove_keyboard(chat_id, shown)
        quote = int(reply.quote) if reply.quote and reply.quote.isdigit() else None
        parts = [
            self._message(
                chat_id,
                chunk,
                markup if index == len(chunks) - 1 else None,
                quote if index == 0 else None,
            )
            for index, chunk in enumerate(chunks)
        ]
        if reply.place is not None:
            place = reply.place
            parts.append(
                lambda: self.bot.send_venue(
                    chat_id, place.latitude, place.longitude, place.name[:100], place.address[:100]
                )
            )
        if reply.document is not None:
            data = reply.document.encode("utf-8")
            parts.append(lambda: self.bot.send_document(chat_id, data, filename=EXPORT_FILENAME))
        for index in range(done, len(parts)):
            try:
                answer = await self.sender.call(chat_id, parts[index])
            except BaseException:
                if index > 0:
                    self._partial[key] = (index, message)
                    while len(self._partial) > 1000:
                        self._partial.popitem(last=False)
                raise
            if index < len(chunks):
                message = answer
        if message is not None and inline and not reply.lasting:  # never removed: not tracked
            self._keyboards[str(chat_id)] = int(message["message_id"])
            self._keyboards.move_to_end(str(chat_id))
            while len(self._keyboards) > 100_000:
                self._keyboards.popitem(last=False)
        return None if message is None else str(message["message_id"])

    def _message(
        self,
        chat_id: int,
        text: str,
        markup: dict[str, Any] | None,
        quote: int | None = None,
    ) -> Callable[[], Awaitable[Any]]:
        """A send request bound to its arguments, so that a retry sends the same message."""
        replying = (
            None if quote is None else {"message_id": quote, "allow_sending_without_reply": True}
        )
        return lambda: api_call(
            self.bot,
            "sendMessage",
            chat_id=chat_id,
            text=text,
            reply_parameters=replying,
            parse_mode=ParseMode.HTML.value,
            reply_markup=markup,
        )

    async def _remove_keyboard(self, chat_id: int, message_id: int) -> None:
        if self._keyboards.get(str(chat_id)) == message_id:
            del self._keyboards[str(chat_id)]
        await self._set_keyboard(chat_id, message_id, None)

    async def _set_keyboard(
        self, chat_id: int, message_id: int, markup: dict[str, Any] | None
    ) -> None:
        """Redraw (or, with None, remove) a message's inline keyboard."""
        try:
            await self.sender.call(
                chat_id,
                lambda: api_call(
                    self.bot,
                    "editMessageReplyMarkup",
                    chat_id=chat_id,
                    message_id=message_id,
                    reply_markup=markup,
                ),
            )
        except BadRequest as error:
            # « message is not modified » after a double tap, or already without buttons; an
            # old message may no longer be editable: the keyboard stays, its buttons are stale.
            if _UNCHANGED not in str(error).lower():
                log.info("a keyboard could not be changed (%s)", type(error).__name__)

    async def _typing(self, chat_id: int) -> None:
        with contextlib.suppress(TelegramError, Closed):  # a hint only
            await self.sender.call(
                chat_id,
                lambda: self.bot.send_chat_action(chat_id, ChatAction.TYPING),
                paced=False,
            )
