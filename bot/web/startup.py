"""The lines `comptoir serve` prints once it listens: where the chat, health and metrics are."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.engine import make_url

from bot.services.signin import SETUP_PATH
from bot.web.keys import COMPTOIR, SETTINGS, TELEGRAM


def local_base(address: Any) -> str:
    """The server's address as a browser on this machine reaches it."""
    host, port = str(address[0]), int(address[1])
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"


def banner(app: web.Application, address: Any) -> str:
    """The few lines an operator reads at start (no secret: the database without credentials)."""
    settings = app[SETTINGS]
    host = str(address[0])
    base = local_base(address)
    everywhere = " (listening on every interface)" if host in ("0.0.0.0", "::") else ""
    lines = [
        f"Comptoir is serving on {base}/{everywhere}",
        f"  Chat:      {base}/",
        f"  Dashboard: {base}/conseillers/",
    ]
    if settings.public_url:
        lines.append(f"  Public:    {settings.public_url.rstrip('/')}/")
    lines += [
        f"  Health:    {base}/healthz  {base}/readyz",
        f"  Metrics:   {base}/metrics",
        f"  Telegram:  {_telegram(app)}",
        f"  Database:  {_database(settings.database_url)}",
        "Stop with Ctrl+C (or SIGTERM).",
    ]
    return "\n".join(lines)


async def first_start(app: web.Application, address: Any) -> str | None:
    """With no staff account yet, the one-time link (24 hours) that creates the first one.

    A secret, printed once for the operator: it dies when used, or when a staff account exists.
    """
    token = await app[COMPTOIR].signin.first_start()
    if token is None:
        return None
    public = app[SETTINGS].public_url
    base = public.rstrip("/") if public else local_base(address)
    return (
        "  First start: no staff account yet. Create the first one (this link works once, "
        f"within 24 hours):\n    {base}{SETUP_PATH}{token}"
    )


def _telegram(app: web.Application) -> str:
    settings = app[SETTINGS]
    if settings.telegram_token is None:
        return "off (set COMPTOIR_TELEGRAM_TOKEN to serve the Telegram bot)"
    how = f"webhook at {settings.webhook_url}" if settings.webhook_url else "polling"
    if TELEGRAM in app:
        return f"on, {how}"
    return f"starting, {how} (Telegram does not answer yet: retrying in the background)"


def _database(url: str) -> str:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"SQLite, {parsed.database}"
    where = f"{parsed.host or 'localhost'}{f':{parsed.port}' if parsed.port else ''}"
    return f"{backend}, {where}/{parsed.database or ''}"
