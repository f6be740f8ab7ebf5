"""The server's application: `create_app()` wires the bot's parts into aiohttp's lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.bootstrap import Comptoir
from bot.config import Settings
from bot.web.chat import add_chat
from bot.web.dashboard import add_dashboard
from bot.web.health import healthz, readyz
from bot.web.keys import COMPTOIR, SETTINGS, SHUTDOWN
from bot.web.metrics import METRICS, Metrics, metrics
from bot.web.publication import RELOAD_PATH, reload_route
from bot.web.shutdown import Shutdown
from bot.web.telegram import WEBHOOK_PATH, telegram_context, telegram_webhook

log = logging.getLogger(__name__)

__all__ = ["COMPTOIR", "SETTINGS", "WEBHOOK_PATH", "create_app"]


def create_app(settings: Settings | None = None) -> web.Application:
    """The aiohttp application; everything starts and stops through its cleanup contexts."""
    app = web.Application()
    app[SETTINGS] = settings or Settings()
    app[METRICS] = Metrics()
    app[SHUTDOWN] = Shutdown()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_post(WEBHOOK_PATH, telegram_webhook)
    app.router.add_post(RELOAD_PATH, reload_route)
    app.cleanup_ctx.append(comptoir_context)
    app.cleanup_ctx.append(telegram_context)
    add_chat(app)  # after the services: its channel joins their courier
    add_dashboard(app)
    return app


async def comptoir_context(app: web.Application) -> AsyncIterator[None]:
    """The services and their background work: the outbox, the purge, reminders, publications."""
    comptoir = await Comptoir.start(app[SETTINGS], meter=app[METRICS])
    app[COMPTOIR] = comptoir
    # The knowledge base and the geography are about a million long-lived objects: out of the
    # garbage collector's sight, a full collection no longer stalls every conversation for
    # 100 ms and more (measured by `make bench`).
    gc.collect()
    gc.freeze()
    await comptoir.storage.signals.start()
    tasks = [
        asyncio.create_task(comptoir.leadership.run(), name="courier lease"),
        asyncio.create_task(comptoir.courier.run(), name="outbox courier"),
        asyncio.create_task(comptoir.retention.run(), name="retention"),
        asyncio.create_task(comptoir.reminders.run(), name="lead reminders"),
        asyncio.create_task(
            comptoir.publisher.follow(app[SETTINGS].content_poll_seconds), name="content versions"
        ),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await comptoir.close(app[SHUTDOWN].for_sends())
