"""The Telegram channel: updates in (webhook, or our own polling), callbacks answered at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from telegram import Bot, BotCommand, Update
from telegram.constants import ChatType
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.request import BaseRequest

from bot.channels.telegram.advisors import AdvisorDesk
from bot.channels.telegram.inbound import CHANNEL, inbound
from bot.channels.telegram.outbound import TelegramOutbound
from bot.channels.telegram.sender import Closed, seconds
from bot.channels.telegram.transport import api_call
from bot.core.dialog.schema import Command
from bot.services.conversations import ConversationService
from bot.services.ports import Inbox, JsonObject

log = logging.getLogger(__name__)
POLL_TIMEOUT = 25  # seconds Telegram holds a getUpdates open when there is nothing
MAX_UPDATE_ID = 2**53  # larger ids are not Telegram's (they would not fit a JSON number)
MAX_RUNNING = 4096  # updates in progress at once (each chat still in order)
ACK_WAIT = 0.02  # seconds a batch may take to commit before what is left goes to the inbox


class TelegramChannel:
    """Routes updates: private chats to the conversation service, advisors' to their desk."""

    def __init__(
        self,
        service: ConversationService,
        outbound: TelegramOutbound,
        bot: Bot,
        inbox: Inbox,
        poll_request: BaseRequest | None = None,
        advisors: AdvisorDesk | None = None,
    ) -> None:
        self.service = service
        self.advisors = advisors
        self.outbound = outbound
        self.bot = bot
        self.inbox = inbox
        self.poll_request = poll_request
        self._stopping = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._held: set[int] = set()  # updates written to the inbox and not done yet
        self._done: list[int] = []  # updates of the inbox done since its last write

    async def register_commands(self, commands: Sequence[Command]) -> None:
        """Publish the commands in French (default) and English."""
        french = [BotCommand(c.command, c.description.fr) for c in commands]
        english = [BotCommand(c.command, c.description.en) for c in commands]
        sender = self.outbound.sender
        await sender.call(0, lambda: self.bot.set_my_commands(french), paced=False)
        await sender.call(
            0, lambda: self.bot.set_my_commands(english, language_code="en"), paced=False
        )

    async def process(self, update: Update) -> None:
        """Handle one update; returns once its turn is committed (replies in the outbox)."""
        query = update.callback_query
        advisors = self.advisors
        if query is not None and advisors is not None and advisors.handles(query):
            await advisors.pressed(query)  # answered once acted on: a refusal is an alert
            return
        if query is not None:  # at once: the citizen's button stops spinning
            self.outbound.background(self._answer_callback(query.id))
        chat = update.effective_chat
        if chat is None or chat.type == ChatType.CHANNEL:
            return  # an inline message, a channel post
        if chat.type != ChatType.PRIVATE:  # a group: never a citizen's conversation
            if advisors is not None and query is None:
                await advisors.group(update)
            return
        if advisors is not None and query is None and await advisors.private(update):
            return
        await self.service.handle(inbound(update))

    async def poll(self) -> None:
        """Long-poll Telegram until stopped, without losing a fetched update in a crash.

        Telegram forgets an update once a later getUpdates asks past it, and it sends newer ones
        only then. So a batch is processed concurrently (each chat in order) and, before the next
        request, what is not committed yet after a moment (`ACK_WAIT`) is kept in the inbox; a
        crash leaves it there for the next start. Most batches commit within the moment: no write.
        """
        if self.poll_request is not None:
            await self.poll_request.initialize()
        for update_id, payload in await self.inbox.held(CHANNEL):  # left by a crash
            self._held.add(update_id)
            self._dispatch(update_id, payload)
        offset: int | None = None
        pause = 1.0
        while not self._stopping.is_set():
            try:
                batch = await api_call(
                    self.bot,
                    "getUpdates",
                    request=self.poll_request,
                    read_timeout=POLL_TIMEOUT + 10,
                    offset=offset,
                    timeout=POLL_TIMEOUT,
                    allowed_updates=list(Update.ALL_TYPES),
                )
                updates = [(int(u["update_id"]), u) for u in batch if isinstance(u, dict)]
            except InvalidToken:
                raise
            except RetryAfter as error:
                await self._pause(seconds(error.retry_after))
                continue
            except Exception as error:  # Telegram unreachable, another poller (Conflict)…
                log.warning("Telegram polling failed (%s); retrying", type(error).__name__)
                await self._pause(pause)
                pause = min(pause * 2, 30.0)
                continue
            pause = 1.0
            started = {
                update_id: self._dispatch(update_id, payload) for update_id, payload in updates
            }
            if updates:
                offset = max(started) + 1
                await asyncio.wait(started.values(), timeout=ACK_WAIT)
            try:
                await self._keep([(i, p) for i, p in updates if not started[i].done()])
            except Exception as error:  # not acknowledged: Telegram sends the batch again
                log.warning("the inbox could not be written (%s)", type(error).__name__)
                offset = min(started, default=offset)
                await self._pause(pause)
            while len(self._running) >= MAX_RUNNING:
                await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)

    async def _keep(self, unfinished: list[tuple[int, JsonObject]]) -> None:
        """Write what is still being processed to the inbox; forget what was and is done."""
        self._held.update(update_id for update_id, _ in unfinished)
        done, self._done = self._done, []
        if unfinished or done:
            await self.inbox.hold(CHANNEL, unfinished, done, self.service.clock())

    def _dispatch(self, update_id: int, payload: JsonObject) -> asyncio.Task[None]:
        """Process an update in the background; tasks start (and lock their chat) in order."""
        task = asyncio.create_task(self._run(update_id, payload))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def _run(self, update_id: int, payload: JsonObject) -> None:
        try:
            await self.process(Update.de_json(payload, self.bot))
        except Exception:  # one bad update must not stop the others; it is dropped
            log.exception("an update could not be processed")
        if update_id in self._held:  # in the inbox: to be released
            self._held.discard(update_id)
            self._done.append(update_id)

    def stop(self) -> None:
        """Stop polling (updates being processed finish: see `finish`)."""
        self._stopping.set()

    async def finish(self, timeout: float) -> None:
        """Let the updates in progress commit (a cancelled one stays in the inbox)."""
        if self._running:
            await asyncio.wait(self._running, timeout=timeout)
        for task in list(self._running):
            task.cancel()
        with contextlib.suppress(Exception):
            done, self._done = self._done, []
            await self.inbox.hold(CHANNEL, [], done, self.service.clock())
        if self.poll_request is not None:
            await self.poll_request.shutdown()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.outbound.sender.call(
                0, lambda: self.bot.answer_callback_query(query_id), paced=False
            )
        except (TelegramError, Closed):
            log.warning("a callback query could not be answered")


def valid_update_id(value: object) -> bool:
    """Whether a webhook's update id can be Telegram's."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_UPDATE_ID
