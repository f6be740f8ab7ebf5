"""Health checks: the process is up (/healthz), and it can serve (/readyz), as JSON."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.web.keys import COMPTOIR, SETTINGS, TELEGRAM

PROBE_SECONDS = 2.0  # the database must answer the readiness probe within this


async def healthz(request: web.Request) -> web.Response:
    """The process is up."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Whether the process can serve: 503 when the database does not answer, the outbox's
    backlog is over `ready_max_backlog`, or a configured Telegram bot has not started yet.

    `/readyz?traffic` is the load balancer's question, whether to send this replica requests:
    the backlog does not count there (it is the cluster's queue, Telegram's pace during a
    campaign: taking every replica out for it would make it an outage), only the rest does.
    """
    app = request.app
    settings = app[SETTINGS]
    comptoir = app.get(COMPTOIR)
    backlog: int | None = None
    if comptoir is not None:
        try:
            async with asyncio.timeout(PROBE_SECONDS):
                backlog = await comptoir.storage.outbox.backlog(comptoir.courier.clock())
        except Exception:  # closed, unreachable, too slow: the same answer
            backlog = None
    if settings.telegram_token is None:
        telegram = "disabled"
    else:
        telegram = "ok" if TELEGRAM in app else "starting"
    queued = "traffic" in request.query or (
        backlog is not None and backlog <= settings.ready_max_backlog
    )
    ready = backlog is not None and queued and telegram != "starting"
    body = {
        "status": "ready" if ready else "not ready",
        "database": "ok" if backlog is not None else "unreachable",
        "content": "ok" if comptoir is not None else "not loaded",
        "outbox_backlog": backlog,
        "telegram": telegram,
    }
    return web.json_response(body, status=200 if ready else 503)
