"""Health checks: the process is up (/healthz), and it can serve (/readyz)."""

from __future__ import annotations

from aiohttp import web

from bot.web.keys import COMPTOIR, SETTINGS, TELEGRAM


async def healthz(request: web.Request) -> web.Response:
    """The process is up."""
    return web.Response(text="ok")


async def readyz(request: web.Request) -> web.Response:
    """The process can serve: storage open and, with a token, the bot initialised."""
    app = request.app
    if COMPTOIR not in app:
        return web.Response(status=503, text="storage not ready")
    if app[SETTINGS].telegram_token is not None and TELEGRAM not in app:
        return web.Response(status=503, text="telegram not ready")
    return web.Response(text="ready")
