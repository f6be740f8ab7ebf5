"""Nothing lost: replies of committed turns survive SIGKILL, restarts, outages; quick shutdown."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.telegram import FakeTelegram
from tests.postgres import fresh_database
from tests.serve import TOKEN, Server
from tests.telegram_stack import TelegramCitizen, running

WELCOME = "Bonjour, je suis Comptoir"
POSTGRES = os.environ.get("COMPTOIR_TEST_POSTGRES_URL", "")


def _welcomes(fake: FakeTelegram, chat_id: int) -> int:
    return sum(WELCOME in (m.text or "") for m in fake.sent(chat_id))


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/serve.sqlite3"
        return
    if not POSTGRES:
        pytest.skip("COMPTOIR_TEST_POSTGRES_URL is not set")
    async with fresh_database(POSTGRES) as url:
        yield url


async def test_sixty_chats_killed_after_their_turns_all_get_their_reply(
    tmp_path: Path, database: str
) -> None:
    chats = range(7000, 7060)
    async with FakeTelegram(token=TOKEN) as fake:
        # Telegram's pace: 1 s a chat, 30/s overall.
        server = await Server.start(fake, tmp_path, database=database)
        for chat_id in chats:
            fake.user_message(chat_id, "/start")
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)
        server.kill()
        await server.wait()
        before = sum(1 for c in chats if _welcomes(fake, c))
        assert before < len(chats)  # the kill came while replies were still being paced out
        server = await Server.start(fake, tmp_path, database=database)
        await fake.wait_for(lambda: all(_welcomes(fake, c) for c in chats), timeout=30)
        await asyncio.sleep(1.0)
        await server.stop()
        # A send whose answer the kill cut off may go again: at most the one in flight.
        assert sum(_welcomes(fake, c) for c in chats) <= len(chats) + 1
        assert fake.violations == []


@pytest.mark.parametrize("delay", [0.001, 0.01, 0.02])
async def test_a_kill_right_after_confirming_still_delivers_the_reference_at_restart(
    tmp_path: Path, delay: float
) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        server = await Server.start(fake, tmp_path, per_chat_interval=0.02)
        citizen = TelegramCitizen(fake, 7100)
        await citizen.qualify_arras()
        await citizen.call_me_back("Sam", "sam@example.org", "Peu importe")
        message, data = citizen.last_with("Confirmer")
        fake.user_press(7100, message.message_id, data)
        await asyncio.sleep(delay)
        server.kill()
        await server.wait()
        started = time.monotonic()
        server = await Server.start(fake, tmp_path, per_chat_interval=0.02)
        await fake.wait_for(lambda: any("CPT-2026-" in t for t in fake.texts(7100)), timeout=20)
        assert time.monotonic() - started < 15  # at once after the restart, no lease to expire
        fake.user_press(7100, message.message_id, data, check=False)  # pressed again, to be sure
        await asyncio.sleep(1.0)
        texts = fake.texts(7100)
        assert sum("CPT-2026-" in t for t in texts) == 1
        assert not any("plus actif" in t for t in texts)
        await server.stop()


async def test_sigterm_with_a_backlog_exits_within_ten_seconds_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    chats = range(7200, 7240)
    async with FakeTelegram(token=TOKEN) as fake:
        server = await Server.start(fake, tmp_path, overall_per_second=5.0)
        for chat_id in chats:
            fake.user_message(chat_id, "/start")
        await fake.wait_for(lambda: any(_welcomes(fake, c) for c in chats), timeout=20)
        code, took = await server.stop()
        assert code == 0, server.output()
        assert took < 10, server.output()
        delivered = sum(1 for c in chats if _welcomes(fake, c))
        assert delivered < len(chats)  # 5 a second: most were still waiting
        assert "Traceback" not in server.output()
        server = await Server.start(fake, tmp_path)
        await fake.wait_for(lambda: all(_welcomes(fake, c) for c in chats), timeout=30)
        await server.stop()
        assert all(_welcomes(fake, c) == 1 for c in chats)


async def test_a_two_minute_outage_loses_nothing_and_advances_nothing(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        fake = stack.fake
        citizen = TelegramCitizen(fake, 7300)
        await citizen.say("/start")
        await citizen.press("Oui")
        fake.fault_rate(1.0, statuses=(500, 502))  # every send fails; updates still come in
        fake.user_message(7300, "On veut ouvrir une recyclerie pour réparer des objets")
        await asyncio.sleep(2.0)
        fake.user_message(7300, "hello")  # the themes question never arrived: not an answer
        await asyncio.sleep(118.0)
        export = await stack.storage.privacy.export("telegram:7300")
        assert export.conversation is not None
        assert export.conversation.state["node"] == "themes"  # the idea moved it; hello did not
        fake.fault_rate(0)
        await fake.wait_for(lambda: any("Quels thèmes" in t for t in fake.texts(7300)), timeout=60)
        said = await citizen.press("Valider")
        assert "Étape 3 sur 6" in said  # the citizen goes on from the question they now see
        assert fake.violations == []


async def test_a_citizen_who_blocked_the_bot_is_not_retried(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        fake = stack.fake
        fake.block(7400)
        fake.user_message(7400, "/start")
        await fake.wait_for(lambda: fake.calls_to("sendMessage"), timeout=10)
        await asyncio.sleep(3.0)
        attempts = [c for c in fake.calls_to("sendMessage") if c.params.get("chat_id") == 7400]
        assert len(attempts) == 1  # Forbidden: given up at once, not every few seconds
        assert (
            await stack.storage.outbox.queued(
                "telegram:7400", stack.comptoir.conversations.clock(), 10
            )
            == []
        )


async def test_callbacks_are_answered_at_once_even_when_sending_is_slow(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        fake = stack.fake
        citizen = TelegramCitizen(fake, 7500)
        await citizen.say("/start")
        message, data = citizen.last_with("Oui")
        fake.delay(3.0, method="sendMessage")
        pressed = time.monotonic()
        fake.user_press(7500, message.message_id, data)
        await fake.wait_for(lambda: fake.calls_to("answerCallbackQuery"), timeout=5)
        assert fake.calls_to("answerCallbackQuery")[0].at - pressed < 1.0
        fake.delay(0)
        fake.inline_press(7501, "inline-1", "anything")  # a button under an inline message
        await fake.wait_for(lambda: fake.unanswered_callbacks() == [], timeout=5)
