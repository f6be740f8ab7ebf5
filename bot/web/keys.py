"""The typed keys of what the aiohttp application holds."""

from __future__ import annotations

from aiohttp import web

from bot.bootstrap import Comptoir
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram.webhook import WebhookDrains
from bot.config import Settings
from bot.web.shutdown import Shutdown

SETTINGS = web.AppKey("settings", Settings)
COMPTOIR = web.AppKey("comptoir", Comptoir)
TELEGRAM = web.AppKey("telegram", TelegramChannel)
SHUTDOWN = web.AppKey("shutdown", Shutdown)
DRAINS = web.AppKey("webhook drains", WebhookDrains)
