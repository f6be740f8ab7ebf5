"""A fake Telegram Bot API server on 127.0.0.1 that the real python-telegram-bot talks to.

It answers 400 where Telegram does (limits, HTML, edits, callback answers), 409 on polling
conflicts, records every call, injects faults, and plays the citizens (messages, presses).

    async with FakeTelegram(token="123:ABC") as fake:
        bot = Bot("123:ABC", base_url=fake.base_url, base_file_url=fake.base_file_url)

One module per concept: `server` (FakeTelegram, routes, reading the record), `methods` (the
Bot API methods), `updates` (getUpdates and the webhook), `citizens` (simulated users),
`faults` (injected errors and delays), `chats` (messages as Telegram keeps them), `records`,
`html` (Telegram HTML), `decoding` (PTB's form encoding), `limits` and `errors`.
"""

from tests.fakes.telegram.errors import ApiError
from tests.fakes.telegram.html import HtmlError, parse_html
from tests.fakes.telegram.records import (
    Call,
    CallbackQueryRecord,
    ChatMessage,
    SentFile,
    WebhookDelivery,
)
from tests.fakes.telegram.server import FAKE_TOKEN, FakeTelegram

__all__ = [
    "FAKE_TOKEN",
    "ApiError",
    "Call",
    "CallbackQueryRecord",
    "ChatMessage",
    "FakeTelegram",
    "HtmlError",
    "SentFile",
    "WebhookDelivery",
    "parse_html",
]
