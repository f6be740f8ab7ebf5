"""Telegram inside the server: the bot's lifecycle, the webhook route, our long polling."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Sequence

from aiohttp import web
from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError

from bot.channels.telegram import (
    POLL_TIMEOUT,
    AiohttpRequest,
    Pace,
    Sender,
    TelegramChannel,
    TelegramOutbound,
    valid_update_id,
)
from bot.channels.telegram.advisors import AdvisorDesk
from bot.channels.telegram.webhook import WebhookDrains
from bot.config import Settings
from bot.core.content import Content
from bot.core.dialog.schema import Command
from bot.web.keys import COMPTOIR, DRAINS, SETTINGS, SHUTDOWN, TELEGRAM

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
# Telegram's max_connections: the updates it may push at once, so the ids a drain waits for.
WEBHOOK_CONNECTIONS = 40
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


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
    )


async def telegram_context(app: web.Application) -> AsyncIterator[None]:
    """Start the bot (webhook or polling) after the services; stop it before them.

    A refused token stops the server with one clear line. An unreachable Telegram does not: the
    server serves, and the bot keeps trying to start in the background (`/readyz` says so).
    """
    settings = app[SETTINGS]
    if settings.telegram_token is None:
        log.info("no Telegram token: serving without the bot")
        yield
        return
    comptoir = app[COMPTOIR]
    bot = bot_for(settings)
    pace = Pace(
        per_chat_interval=settings.telegram_per_chat_interval,
        overall_per_second=settings.telegram_overall_per_second,
        per_chat_burst=settings.telegram_per_chat_burst,
        per_group_interval=settings.telegram_per_group_interval,
    )
    outbound = TelegramOutbound(bot, Sender(pace), comptoir.accounts.migrated)
    poll_request = AiohttpRequest(connection_pool_size=1, read_timeout=POLL_TIMEOUT + 10)
    advisors = AdvisorDesk(comptoir.leads, comptoir.relay, comptoir.accounts, outbound)
    channel = TelegramChannel(
        comptoir.conversations, outbound, bot, comptoir.storage.inbox, poll_request, advisors
    )
    tasks: list[asyncio.Task[None]] = []
    try:
        if await _initialize(bot):
            await _connect(app, channel, settings, tasks)
        else:
            tasks.append(asyncio.create_task(_keep_trying(app, channel, settings, tasks)))
        yield
    finally:
        channel.stop()
        drains = app.get(DRAINS)
        if drains is not None:
            drains.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        shutdown = app[SHUTDOWN]  # one deadline: the turns in flight, then the sends under way
        if drains is not None:
            await drains.finish(shutdown.for_turns())
        await channel.finish(shutdown.for_turns())
        await comptoir.courier.stop(shutdown.for_sends())
        with contextlib.suppress(Exception):
            await bot.shutdown()
        # A bot that never got through initialize() skips closing its transport: close it here.
        for request in (bot.request, poll_request):
            with contextlib.suppress(Exception):
                await request.shutdown()


async def _initialize(bot: Bot) -> bool:
    """Ask Telegram who the bot is; False when it cannot be reached now."""
    try:
        await bot.initialize()
    except InvalidToken:
        raise TelegramUnavailable(
            "Telegram a refusé le jeton du bot (COMPTOIR_TELEGRAM_TOKEN) : vérifiez-le, ou "
            "l'adresse COMPTOIR_TELEGRAM_BASE_URL. / Telegram refused the bot's token."
        ) from None
    except TelegramError as error:
        log.warning("Telegram unreachable (%s): the bot starts later", type(error).__name__)
        return False
    return True


async def _connect(
    app: web.Application,
    channel: TelegramChannel,
    settings: Settings,
    tasks: list[asyncio.Task[None]],
) -> None:
    """Publish the commands, set the webhook or start polling, then take deliveries."""
    comptoir = app[COMPTOIR]
    bot = channel.bot
    await channel.register_commands(comptoir.content.commands)
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        await bot.set_webhook(
            settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
            max_connections=WEBHOOK_CONNECTIONS,
        )
        drains = WebhookDrains(
            comptoir.storage.arrivals,
            lambda payload, parsed: channel.process(parsed or Update.de_json(payload, bot)),
            WEBHOOK_CONNECTIONS,
            comptoir.conversations.clock,
        )
        app[DRAINS] = drains
        tasks.append(asyncio.create_task(drains.sweep(), name="webhook sweep"))
    else:
        await bot.delete_webhook()
        tasks.append(asyncio.create_task(channel.poll(), name="telegram polling"))
    comptoir.courier.add(channel.outbound, shared=True)
    shown = [comptoir.content.commands]

    def follow(content: Content) -> None:
        """A publication that changes the commands changes the menu too."""
        if content.commands == shown[0]:
            return
        shown[0] = content.commands
        task = asyncio.create_task(_menu(channel, content.commands), name="telegram menu")
        tasks.append(task)

    comptoir.listeners.append(follow)
    app[TELEGRAM] = channel
    log.info("Telegram bot ready (%s)", "webhook" if settings.webhook_url else "polling")


async def _menu(channel: TelegramChannel, commands: Sequence[Command]) -> None:
    """Show the published commands in the app's menu (an outage: the next start does it)."""
    try:
        await channel.register_commands(commands)
    except Exception as error:
        log.warning("Telegram: the menu was not updated (%s)", type(error).__name__)
    else:
        log.info("Telegram: the menu shows the %d published command(s)", len(commands))


async def _keep_trying(
    app: web.Application,
    channel: TelegramChannel,
    settings: Settings,
    tasks: list[asyncio.Task[None]],
) -> None:
    """Start the bot once Telegram answers, waiting longer between attempts (at most 30 s)."""
    pause = 1.0
    while True:
        await asyncio.sleep(pause)
        try:
            if await _initialize(channel.bot):
                await _connect(app, channel, settings, tasks)
                return
        except TelegramUnavailable:
            log.error("Telegram refused the bot's token (COMPTOIR_TELEGRAM_TOKEN): giving up")
            return
        except TelegramError as error:
            log.warning("Telegram setup failed (%s); retrying", type(error).__name__)
        pause = min(pause * 2, 30.0)


async def telegram_webhook(request: web.Request) -> web.Response:
    """Telegram's webhook: check the secret and the update, keep it, process it, then answer.

    The update is kept in the database first, then processed in its chat's order, on this
    replica or another (`WebhookDrains`); the answer comes once its turn is committed, or
    after a few seconds when it waits for another: kept, it will be processed all the same.
    If the process dies before it is kept, Telegram sends it again; a repeated update id is
    dropped. A malformed update is refused (400) without being kept.
    """
    app = request.app
    settings = app[SETTINGS]
    if not settings.webhook_url or settings.webhook_secret is None:
        return web.Response(status=404)
    channel, drains = app.get(TELEGRAM), app.get(DRAINS)
    if channel is None or drains is None:  # the bot is starting: Telegram will send it again
        return web.Response(status=503)
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
        await drains.receive(update.update_id, _chat_of(update), data, update)
    except Exception:  # not kept (the database is away): Telegram sends it again
        log.exception("a webhook update could not be kept")
        return web.Response(status=500)
    return web.Response(text="ok")


def _chat_of(update: Update) -> str:
    """The conversation an update belongs to: its chat, or its sender (an inline query)."""
    if update.effective_chat is not None:
        return str(update.effective_chat.id)
    if update.effective_user is not None:
        return f"user {update.effective_user.id}"
    return "-"
