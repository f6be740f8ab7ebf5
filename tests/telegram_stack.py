"""Comptoir's real server and python-telegram-bot against the fake Bot API, for tests and bench."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from pydantic import SecretStr

from bot.bootstrap import Comptoir
from bot.config import Settings
from bot.services.ports import Storage
from bot.web.app import COMPTOIR, WEBHOOK_PATH, create_app
from tests.fakes.telegram import ChatMessage, FakeTelegram

TOKEN = "123456:TEST-token"
SECRET = "s3cret-webhook_token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    """The fake Telegram and our running app."""

    fake: FakeTelegram
    app: web.Application
    url: str

    @property
    def comptoir(self) -> Comptoir:
        return self.app[COMPTOIR]

    @property
    def storage(self) -> Storage:
        return self.app[COMPTOIR].storage


@asynccontextmanager
async def running(
    tmp_path: Path,
    *,
    webhook: bool = False,
    per_chat_interval: float = 0.02,
    database: str | None = None,
) -> AsyncIterator[Stack]:
    """Start the fake Bot API, then `comptoir serve`'s app on a free loopback port."""
    async with FakeTelegram(token=TOKEN) as fake:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        settings = Settings(
            telegram_token=SecretStr(TOKEN),
            telegram_base_url=fake.base_url,
            database_url=database or f"sqlite+aiosqlite:///{tmp_path}/telegram.sqlite3",
            webhook_url=f"{url}{WEBHOOK_PATH}" if webhook else None,
            webhook_secret=SecretStr(SECRET) if webhook else None,
            telegram_per_chat_interval=per_chat_interval,
            telegram_per_group_interval=per_chat_interval,
            telegram_overall_per_second=1000,
            pseudonym_key=SecretStr("5e" * 32),
        )
        app = create_app(settings)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        try:
            yield Stack(fake, app, url)
        finally:
            await runner.cleanup()


class TelegramCitizen:
    """A citizen in a private Telegram chat with the bot."""

    def __init__(self, fake: FakeTelegram, chat_id: int, language: str = "fr") -> None:
        self.fake = fake
        self.chat_id = chat_id
        self.language = language

    async def settle(self, before: int, quiet: float = 0.25, timeout: float = 20.0) -> list[str]:
        """Wait for the bot's answer: at least one new message, then a quiet moment."""
        await self.fake.wait_for(
            lambda: len(self.fake.sent(self.chat_id)) > before, timeout=timeout
        )
        count = -1
        while count != len(self.fake.sent(self.chat_id)):
            count = len(self.fake.sent(self.chat_id))
            await asyncio.sleep(quiet)
        return [m.text or "" for m in self.fake.sent(self.chat_id)[before:]]

    async def say(self, text: str) -> str:
        before = len(self.fake.sent(self.chat_id))
        self.fake.user_message(self.chat_id, text, language_code=self.language)
        return "\n".join(await self.settle(before))

    def last_with(self, label_start: str) -> tuple[ChatMessage, str]:
        found = self.find(label_start)
        if found is None:
            raise AssertionError(f"no button « {label_start} »")
        return found

    def find(self, label_start: str) -> tuple[ChatMessage, str] | None:
        """The newest message carrying a button whose label starts with `label_start`."""
        for message in reversed(self.fake.sent(self.chat_id)):
            current = self.fake.messages[self.chat_id][message.message_id]
            for row in current.buttons:
                for button in row:
                    if str(button.get("text", "")).lstrip("✅ ").startswith(label_start):
                        return current, str(button["callback_data"])
        return None

    async def press(self, label_start: str) -> str:
        # Under injected faults a reply may still be on its way: wait for the button.
        message, data = await self.fake.wait_for(lambda: self.find(label_start), timeout=30)
        before = len(self.fake.sent(self.chat_id))
        edits = message.edits
        self.fake.user_press(self.chat_id, message.message_id, data, language_code=self.language)
        await self.fake.wait_for(
            lambda: (
                len(self.fake.sent(self.chat_id)) > before
                or self.fake.messages[self.chat_id][message.message_id].edits > edits
            ),
            timeout=20,
        )
        await asyncio.sleep(0.25)
        return "\n".join(m.text or "" for m in self.fake.sent(self.chat_id)[before:])

    async def call_me_back(self, name: str, contact: str, when: str) -> str:
        """From the call-back offer to the recap."""
        await self.press("Oui")
        await self.say(name)
        await self.say(contact)
        return await self.press(when)

    async def qualify_arras(
        self, idea: str = "On veut ouvrir une recyclerie pour réparer et revendre des objets"
    ) -> str:
        """From /start to the results (no self-assessment)."""
        await self.up_to_assessment(idea)
        return await self.press("Non")

    async def up_to_assessment(
        self, idea: str = "On veut ouvrir une recyclerie pour réparer et revendre des objets"
    ) -> None:
        """From /start to the self-assessment offer, for a recyclerie in Arras."""
        await self.say("/start")
        await self.press("Oui")
        await self.say(idea)
        await self.press("Valider")
        await self.say("Arras")
        await self.press("Une association")
        await self.press("Ça prend forme")
        await self.press("Un financement")
        await self.press("Valider")
        await self.say("15 000 €")
