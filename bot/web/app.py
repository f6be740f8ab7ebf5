"""The server's composition root: `create_app()` wires storage, the service and Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot.channels.telegram import CHANNEL, Pace, TelegramChannel
from bot.channels.telegram_http import AiohttpRequest
from bot.config import Settings
from bot.core.catalog import Catalog
from bot.core.dialogs import load_dialog
from bot.core.engine import Engine
from bot.service import Service
from bot.storage.sql import SqlStore

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
OUTBOX_PERIOD = 1.0
CONCURRENT_UPDATES = 4096

SETTINGS = web.AppKey("settings", Settings)
SERVICE = web.AppKey("service", Service)
STORE = web.AppKey("store", SqlStore)
TELEGRAM = web.AppKey("telegram", Application)
CHANNEL_KEY = web.AppKey("channel", TelegramChannel)


def create_app(settings: Settings | None = None) -> web.Application:
    """The aiohttp application; everything starts and stops through its cleanup contexts."""
    app = web.Application()
    app[SETTINGS] = settings or Settings()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_post(WEBHOOK_PATH, telegram_webhook)
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(_telegram)
    return app


async def _service(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    catalog = Catalog.load(settings.knowledge_dir)
    dialog = load_dialog(settings.dialogs_dir / "qualification.yaml")
    store = await SqlStore.connect(settings.database_url)
    app[STORE] = store
    app[SERVICE] = Service(Engine(dialog, catalog), store)
    # The knowledge base and the geography are about a million long-lived objects: out of the
    # garbage collector's sight, a full collection no longer stalls every conversation for
    # 100 ms and more (measured by `make bench`).
    gc.collect()
    gc.freeze()
    yield
    await store.close()


async def _telegram(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.telegram_token is None:
        log.info("no Telegram token: serving without the bot")
        yield
        return
    webhook = bool(settings.webhook_url)
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_url.replace("/bot", "/file/bot"))
        # Our per-chat lock keeps each chat's order; a handler waiting for its chat's sending
        # pace must not keep other chats' updates waiting for a free slot.
        .concurrent_updates(CONCURRENT_UPDATES)
        .request(AiohttpRequest(connection_pool_size=256))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
    )
    if webhook:
        builder = builder.updater(None)
    application = builder.build()
    service = app[SERVICE]
    pace = Pace(
        per_chat_interval=settings.telegram_per_chat_interval,
        overall_per_second=settings.telegram_overall_per_second,
        per_chat_burst=settings.telegram_per_chat_burst,
    )
    channel = TelegramChannel(service, service.engine.dialog.commands, pace)
    channel.install(application)
    app[TELEGRAM] = application
    app[CHANNEL_KEY] = channel
    async with application:
        await channel.register_commands(application.bot)
        if webhook:
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            await application.bot.set_webhook(
                str(settings.webhook_url), secret_token=secret, allowed_updates=Update.ALL_TYPES
            )
        else:
            await application.bot.delete_webhook()
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await application.start()
        worker = asyncio.create_task(_deliver_outbox(service, channel, application))
        yield
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        await application.stop()


async def _deliver_outbox(
    service: Service,
    channel: TelegramChannel,
    application: Application,  # type: ignore[type-arg]
) -> None:
    """Deliver what a crash or an outage left in the outbox, every second."""
    while True:
        try:
            await service.deliver(CHANNEL, channel.durable(application.bot))
        except Exception:  # the worker must outlive any single failure
            log.exception("outbox delivery failed")
        await asyncio.sleep(OUTBOX_PERIOD)


async def healthz(request: web.Request) -> web.Response:
    """The process is up."""
    return web.Response(text="ok")


async def readyz(request: web.Request) -> web.Response:
    """The process can serve: storage open and, with a token, the bot initialised."""
    app = request.app
    if STORE not in app:
        return web.Response(status=503, text="storage not ready")
    if app[SETTINGS].telegram_token is not None and TELEGRAM not in app:
        return web.Response(status=503, text="telegram not ready")
    return web.Response(text="ready")


async def telegram_webhook(request: web.Request) -> web.Response:
    """Telegram's webhook: check the secret, queue the update, answer at once."""
    app = request.app
    settings = app[SETTINGS]
    if TELEGRAM not in app or not settings.webhook_url or settings.webhook_secret is None:
        return web.Response(status=404)
    expected = settings.webhook_secret.get_secret_value()
    if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), expected):
        return web.Response(status=403)
    try:
        data = await request.json()
        update_id = int(data["update_id"])
    except (ValueError, KeyError, TypeError):
        return web.Response(status=400)
    if not app[CHANNEL_KEY].seen(update_id):  # Telegram retries: the same update comes twice
        application = app[TELEGRAM]
        await application.update_queue.put(Update.de_json(data, application.bot))
    return web.Response(text="ok")
