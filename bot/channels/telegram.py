"""The Telegram channel: python-telegram-bot as transport, updates in, replies out within limits."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import html
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import Bot, BotCommand, Update
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.channels.telegram_http import api_call
from bot.core.conversation import ChatRef, Inbound, Language, Location, Reply
from bot.core.dialogs import Command
from bot.service import Service

log = logging.getLogger(__name__)
T = TypeVar("T")

CHANNEL = "telegram"
MAX_TEXT = 4096
MAX_ROW = 8
MAX_BUTTONS = 100
MAX_CALLBACK_BYTES = 64
LEAD_IN = 300  # characters: a reply this short with nothing attached joins the next message
EXPORT_FILENAME = "mes-donnees-comptoir.json"


@dataclass(frozen=True)
class Pace:
    """Telegram's sending limits: about one message a second per chat, thirty overall.

    Telegram tolerates short bursts in a chat (« we may allow short bursts that go over this
    limit », Bots FAQ): up to `per_chat_burst` messages may go at once, then one every
    `per_chat_interval` on average, so a turn's few messages are not spread over seconds.
    """

    per_chat_interval: float = 1.0
    overall_per_second: float = 30.0
    per_chat_burst: int = 3
    max_attempts: int = 8
    max_backoff: float = 30.0


class Sender:
    """Sends in order per chat, paced per chat and overall, retrying until Telegram accepts.

    Limits are respected by waiting, never by dropping: `RetryAfter` waits as told, timeouts
    and 5xx are retried with exponential backoff. A `BadRequest` is a bug of ours: logged
    (without content) and not retried.
    """

    def __init__(self, pace: Pace, clock: Callable[[], float] = time.monotonic) -> None:
        self.pace = pace
        self.clock = clock
        # Per chat, the « theoretical arrival time » of the generic cell rate algorithm: a send
        # may go `burst - 1` intervals ahead of it, and each send pushes it one interval on.
        self._due: dict[int, float] = {}
        self._overall = asyncio.Lock()
        self._next_overall = 0.0

    async def _wait_turn(self, chat_id: int) -> None:
        """Wait for this chat's slot (bursts of a few, then about 1 s apart), then a global one.

        The per-chat wait happens outside the shared lock: one busy chat never delays the
        others. Only the short global spacing (1/30 s) is taken under the lock.
        """
        interval = self.pace.per_chat_interval
        now = self.clock()
        due = max(self._due.get(chat_id, now), now)
        self._due[chat_id] = due + interval  # booked before sleeping: FIFO within the chat
        wait = due - (max(1, self.pace.per_chat_burst) - 1) * interval - now
        if wait > 0:
            await asyncio.sleep(wait)
        async with self._overall:
            wait = self._next_overall - self.clock()
            if wait > 0:
                await asyncio.sleep(wait)
            now = self.clock()
            self._next_overall = now + 1.0 / self.pace.overall_per_second
        if len(self._due) > 50_000:  # keep only chats that still constrain the pace
            self._due = {c: t for c, t in self._due.items() if t > now}

    async def call(
        self, chat_id: int, request: Callable[[], Awaitable[T]], paced: bool = True
    ) -> T:
        """Run one Bot API request for a chat, with pacing and retries."""
        attempt = 0
        while True:
            if paced:
                await self._wait_turn(chat_id)
            try:
                return await request()
            except RetryAfter as error:
                delay = _seconds(error.retry_after)
                log.info("Telegram asked to wait %.1f s", delay)
                await asyncio.sleep(delay)
            except BadRequest:
                raise
            except NetworkError:
                attempt += 1
                if attempt >= self.pace.max_attempts:
                    raise
                await asyncio.sleep(min(self.pace.max_backoff, 0.2 * 2**attempt))


def _seconds(value: float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a text under `limit` characters, on paragraph, then line, then word boundaries."""
    chunks: list[str] = []
    rest = text.strip() or "…"
    while len(rest) > limit:
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = rest.rfind(separator, 0, limit)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    chunks.append(rest)
    return chunks


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
            if reply.replaces_keyboard or len(html.escape(text, quote=False)) > MAX_TEXT:
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
                rows.append([{"text": b.label[:64], "callback_data": b.data} for b in chunk])
                count += len(chunk)
    return {"inline_keyboard": rows} if rows else None


class TelegramChannel:
    """Turns Telegram updates into Inbounds for the service and renders its replies."""

    def __init__(
        self, service: Service, commands: Sequence[Command] = (), pace: Pace | None = None
    ) -> None:
        self.service = service
        self.commands = commands
        self.sender = Sender(pace or Pace())
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._keyboards: OrderedDict[int, int] = OrderedDict()  # chat → message with buttons
        self._seen: OrderedDict[int, None] = OrderedDict()  # recent update ids (webhook retries)
        self._tasks: set[asyncio.Task[None]] = set()

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a best-effort call (it handles its own errors) without waiting for it."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- application ------------------------------------------------------------------------

    def install(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Route every update of the application to this channel."""
        application.add_handler(TypeHandler(Update, self.on_update))

    async def register_commands(self, bot: Bot) -> None:
        """Publish the commands in French (default) and English."""
        french = [BotCommand(c.command, c.description.fr) for c in self.commands]
        english = [BotCommand(c.command, c.description.en) for c in self.commands]
        await self.sender.call(0, lambda: bot.set_my_commands(french))
        await self.sender.call(0, lambda: bot.set_my_commands(english, language_code="en"))

    def seen(self, update_id: int) -> bool:
        """Remember an update id; True if it was already received (Telegram retried it)."""
        if update_id in self._seen:
            return True
        self._seen[update_id] = None
        while len(self._seen) > 10_000:
            self._seen.popitem(last=False)
        return False

    # -- inbound ----------------------------------------------------------------------------

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle one update: private chats only, every callback answered, order kept per chat."""
        chat = update.effective_chat
        if chat is None:
            return
        # The chat lock is the first thing awaited: updates of one chat keep their order.
        async with self._chat_lock(chat.id):
            query = update.callback_query
            bot = context.bot
            if query is not None:  # answered alongside the turn: the reply need not wait for it
                self._background(self._answer_callback(bot, chat.id, query.id))
            if chat.type != ChatType.PRIVATE:
                return  # groups are for advisors, not for the qualification conversation
            inbound = self.inbound(update)
            replies = await self.service.handle(
                inbound, working=lambda: self._background(self._typing(bot, chat.id))
            )
            edit_id = query.message.message_id if query is not None and query.message else None
            if edit_id is None and chat.id in self._keyboards:  # answered by typing
                await self._remove_keyboard(bot, chat.id, self._keyboards[chat.id])
            await self.render(bot, chat.id, replies, edit_id)
            if self.service.queued(CHANNEL):  # the worker catches anything left by a crash
                await self.service.deliver(CHANNEL, self.durable(bot))

    @contextlib.asynccontextmanager
    async def _chat_lock(self, chat_id: int) -> AsyncIterator[None]:
        """A FIFO lock per chat, forgotten when nobody waits for it."""
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        self._waiting[chat_id] = self._waiting.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[chat_id] -= 1
            if not self._waiting[chat_id]:
                del self._waiting[chat_id], self._chat_locks[chat_id]

    def inbound(self, update: Update) -> Inbound:
        """The channel-neutral form of an update."""
        chat = update.effective_chat
        assert chat is not None
        user = update.effective_user
        language: Language = "en" if user and (user.language_code or "").startswith("en") else "fr"
        ref = ChatRef(CHANNEL, str(chat.id))
        common: dict[str, Any] = {"update_id": update.update_id, "language": language}
        if update.callback_query is not None:
            return Inbound(ref, button=update.callback_query.data or "", **common)
        message = update.message
        if message is None:  # an edited message, a reaction…: answered kindly, then re-asked
            return Inbound(ref, **common)
        if message.location is not None:
            where = Location(message.location.latitude, message.location.longitude)
            return Inbound(ref, location=where, **common)
        if message.text is None:
            return Inbound(ref, **common)  # sticker, photo, voice, document
        text = message.text
        campaign = None
        if text.startswith("/start "):
            campaign = text.split(maxsplit=1)[1].strip()[:64] or None
        return Inbound(ref, text=text, campaign=campaign, **common)

    async def _answer_callback(self, bot: Bot, chat_id: int, query_id: str) -> None:
        try:
            await self.sender.call(
                chat_id, lambda: bot.answer_callback_query(query_id), paced=False
            )
        except TelegramError:
            log.warning("callback query could not be answered")

    async def _typing(self, bot: Bot, chat_id: int) -> None:
        with contextlib.suppress(TelegramError):  # a hint only
            await self.sender.call(
                chat_id, lambda: bot.send_chat_action(chat_id, ChatAction.TYPING), paced=False
            )

    # -- outbound ---------------------------------------------------------------------------

    def durable(self, bot: Bot) -> Callable[[str, list[Reply]], Awaitable[None]]:
        """A delivery function for the outbox's durable replies."""

        async def deliver(chat_id: str, replies: list[Reply]) -> None:
            await self.render(bot, int(chat_id), replies, None)

        return deliver

    async def render(
        self, bot: Bot, chat_id: int, replies: Sequence[Reply], edit_id: int | None
    ) -> None:
        """Send replies: edits in place, keyboards, location button, venues, documents."""
        if edit_id is not None and not any(r.replaces_keyboard for r in replies):
            await self._remove_keyboard(bot, chat_id, edit_id)
        for reply in merge_lead_ins(replies):
            if reply.replaces_keyboard and edit_id is not None:
                await self._edit_keyboard(bot, chat_id, edit_id, reply)
                continue
            await self._send(bot, chat_id, reply)

    async def _send(self, bot: Bot, chat_id: int, reply: Reply) -> None:
        chunks = split_text(html.escape(reply.text, quote=False))
        markup = keyboard(reply)
        inline = markup is not None
        if reply.location_button:
            location = {"text": reply.location_button[:64], "request_location": True}
            markup = {"keyboard": [[location]], "one_time_keyboard": True, "resize_keyboard": True}
        if markup is not None and self._keyboards.get(chat_id) is not None:
            await self._remove_keyboard(bot, chat_id, self._keyboards[chat_id])
        message: dict[str, Any] | None = None
        for index, chunk in enumerate(chunks):
            message = await self._deliver(
                chat_id,
                self._message(bot, chat_id, chunk, markup if index == len(chunks) - 1 else None),
            )
        if message is not None and inline:
            self._keyboards[chat_id] = int(message["message_id"])
            self._keyboards.move_to_end(chat_id)
            while len(self._keyboards) > 100_000:
                self._keyboards.popitem(last=False)
        if reply.place is not None:
            place = reply.place
            await self._deliver(
                chat_id,
                lambda: bot.send_venue(
                    chat_id, place.latitude, place.longitude, place.name[:100], place.address[:100]
                ),
            )
        if reply.document is not None:
            data = reply.document.encode("utf-8")
            await self._deliver(
                chat_id, lambda: bot.send_document(chat_id, data, filename=EXPORT_FILENAME)
            )

    @staticmethod
    def _message(
        bot: Bot, chat_id: int, text: str, markup: dict[str, Any] | None
    ) -> Callable[[], Awaitable[Any]]:
        """A send request bound to its arguments, so that a retry sends the same message."""
        return lambda: api_call(
            bot,
            "sendMessage",
            chat_id=chat_id,
            text=text,
            parse_mode=ParseMode.HTML.value,
            reply_markup=markup,
        )

    async def _deliver(self, chat_id: int, request: Callable[[], Awaitable[T]]) -> T | None:
        try:
            return await self.sender.call(chat_id, request)
        except BadRequest as error:
            log.error("Telegram refused a message: %s", error.__class__.__name__)
            return None

    async def _edit_keyboard(self, bot: Bot, chat_id: int, message_id: int, reply: Reply) -> None:
        await self._set_keyboard(bot, chat_id, message_id, keyboard(reply))

    async def _remove_keyboard(self, bot: Bot, chat_id: int, message_id: int) -> None:
        if self._keyboards.get(chat_id) == message_id:
            del self._keyboards[chat_id]
        await self._set_keyboard(bot, chat_id, message_id, None)

    async def _set_keyboard(
        self, bot: Bot, chat_id: int, message_id: int, markup: dict[str, Any] | None
    ) -> None:
        """Redraw (or, with None, remove) a message's inline keyboard."""
        # BadRequest: « message is not modified » after a double tap, or already without buttons.
        with contextlib.suppress(BadRequest):
            await self.sender.call(
                chat_id,
                lambda: api_call(
                    bot,
                    "editMessageReplyMarkup",
                    chat_id=chat_id,
                    message_id=message_id,
                    reply_markup=markup,
                ),
            )
