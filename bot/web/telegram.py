"""Telegram inside the server: the bot's lifecycle, the webhook route, our long polling."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from telegram import Bot, Update
from telegram.error import InvalidToken

from bot.channels.telegram import (
    AiohttpRequest,
    Pace,
    Sender,
    TelegramChannel,
    TelegramOutbound,
    valid_update_id,
)
from bot.config import Settings
from bot.web.keys import COMPTOIR, SETTINGS, TELEGRAM

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DRAIN_SECONDS = 5.0  # at shutdown, sends in progress get this long to finish


class TelegramUnavailable(RuntimeError):
    """The bot cannot start (its token was refused): the message names the setting, not it."""


def bot_for(settings: Settings) -> Bot:
    """The python-telegram-bot `Bot` on our aiohttp transport."""
    assert settings.telegram_token is not None
    return Bot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_url.replace("/bot", "/file/bot"),
        request=AiohttpRequest(connection_pool_size=256),
        get_updates_request=AiohttpRequest(connection_pool_size=1, read_timeout=40.0),
    )


async def telegram_context(app: web.Application) -> AsyncIterator[None]:
    """Start the bot (webhook or polling) after the services; stop it before them."""
    settings = app[SETTINGS]
    if settings.telegram_token is None:
        log.info("no Telegram token: serving without the bot")
        yield
        return
    comptoir = app[COMPTOIR]
    bot = bot_for(settings)
    try:
        await bot.initialize()
    except InvalidToken:
        raise TelegramUnavailable(
            "Telegram a refusé le jeton du bot (COMPTOIR_TELEGRAM_TOKEN) : vérifiez-le, ou "
            "l'adresse COMPTOIR_TELEGRAM_BASE_URL. / Telegram refused the bot's token."
        ) from None
    pace = Pace(
        per_chat_interval=settings.telegram_per_chat_interval,
        overall_per_second=settings.telegram_overall_per_second,
        per_chat_burst=settings.telegram_per_chat_burst,
    )
    outbound = TelegramOutbound(bot, Sender(pace))
    comptoir.courier.add(outbound)
    channel = TelegramChannel(comptoir.conversations, outbound, bot)
    poller: asyncio.Task[None] | None = None
    try:
        await channel.register_commands(comptoir.content.commands)
        if settings.webhook_url:
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            await bot.set_webhook(
                settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
            )
        else:
            await bot.delete_webhook()
            poller = asyncio.create_task(channel.poll(), name="telegram polling")
        app[TELEGRAM] = channel
        yield
    finally:
        channel.stop()
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        await comptoir.courier.stop(DRAIN_SECONDS)
        await bot.shutdown()


async def telegram_webhook(request: web.Request) -> web.Response:
    """Telegram's webhook: check the secret and the update, process it, then answer.

    The answer comes once the turn is committed (its replies are in the outbox): if the process
    dies before, Telegram sends the update again, and a repeated update id is dropped.
    A malformed update is refused (400) without being marked as seen.
    """
    app = request.app
    settings = app[SETTINGS]
    channel = app.get(TELEGRAM)
    if channel is None or not settings.webhook_url or settings.webhook_secret is None:
        return web.Response(status=404)
    given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
    expected = settings.webhook_secret.get_secret_value().encode("utf-8")
    if not hmac.compare_digest(given, expected):
        return web.Response(status=403)
    try:
        data = json.loads(await request.read())
        if not isinstance(data, dict) or not valid_update_id(data.get("update_id")):
            raise ValueError("not an update")
        update = Update.de_json(data, channel.bot)
        update.effective_chat  # noqa: B018 - reading it checks the shape of the chat
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError):
        return web.Response(status=400)
    try:
        await channel.process(update)
    except Exception:
        log.exception("a webhook update could not be processed")
        return web.Response(status=500)
    return web.Response(text="ok")
