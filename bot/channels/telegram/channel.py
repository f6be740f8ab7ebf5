"""The Telegram channel: updates in (webhook, or our own polling), callbacks answered at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Sequence

from telegram import Bot, BotCommand, Update
from telegram.constants import ChatType
from telegram.error import InvalidToken, RetryAfter, TelegramError

from bot.channels.telegram.inbound import inbound
from bot.channels.telegram.outbound import TelegramOutbound
from bot.channels.telegram.sender import seconds
from bot.core.dialog.schema import Command
from bot.services.conversations import ConversationService

log = logging.getLogger(__name__)
POLL_TIMEOUT = 25  # seconds Telegram holds a getUpdates open when there is nothing
MAX_UPDATE_ID = 2**53  # larger ids are not Telegram's (they would not fit a JSON number)


class TelegramChannel:
    """Routes updates: private chats to the conversation service; groups are for advisors."""

    def __init__(self, service: ConversationService, outbound: TelegramOutbound, bot: Bot) -> None:
        self.service = service
        self.outbound = outbound
        self.bot = bot
        self._stopping = asyncio.Event()

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
        if query is not None:  # at once: the citizen's button stops spinning
            self.outbound.background(self._answer_callback(query.id))
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return  # an inline message, a group (groups are for advisors), a channel post
        await self.service.handle(inbound(update))

    async def poll(self) -> None:
        """Long-poll Telegram until stopped; an update is acknowledged once it is processed.

        PTB's updater acknowledges a batch as soon as it has fetched it: a crash then loses
        what was fetched and not yet handled. Here the next getUpdates (which acknowledges the
        previous batch) is only asked once every update of the batch has been committed.
        """
        offset: int | None = None
        pause = 1.0
        while not self._stopping.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES
                )
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
            if updates:
                await self._process_batch(updates)
                offset = max(u.update_id for u in updates) + 1

    async def _process_batch(self, updates: Sequence[Update]) -> None:
        """Updates of different chats in parallel, those of one chat in order."""
        by_chat: dict[int | None, list[Update]] = defaultdict(list)
        for update in updates:
            chat = update.effective_chat
            by_chat[chat.id if chat else None].append(update)

        async def in_order(batch: list[Update]) -> None:
            for update in batch:
                try:
                    await self.process(update)
                except Exception:  # one bad update must not stop the others
                    log.exception("an update could not be processed")

        await asyncio.gather(*(in_order(batch) for batch in by_chat.values()))

    def stop(self) -> None:
        """Stop polling (the update being processed finishes)."""
        self._stopping.set()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.outbound.sender.call(
                0, lambda: self.bot.answer_callback_query(query_id), paced=False
            )
        except TelegramError:
            log.warning("a callback query could not be answered")


def valid_update_id(value: object) -> bool:
    """Whether a webhook's update id can be Telegram's."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_UPDATE_ID
