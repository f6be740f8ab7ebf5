"""SIGTERM: the turns in flight finish, what was not sent stays queued, exit 0 within 10 s."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from pathlib import Path

from bot.storage import open_storage
from bot.web.shutdown import (
    CLOSE_SECONDS,
    HARD_EXIT_SECONDS,
    SENDS_SECONDS,
    SHUTDOWN_SECONDS,
    Shutdown,
)
from tests.fakes.telegram import FakeTelegram
from tests.serve import TOKEN, Server
from tests.telegram_stack import TelegramCitizen

WELCOME = "Bonjour, je suis Comptoir"
IDEA = "On veut ouvrir une recyclerie pour réparer et revendre des objets"
LATER = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


async def test_sigterm_with_a_turn_in_flight_and_a_slow_telegram_exits_0_and_loses_nothing(
    tmp_path: Path,
) -> None:
    """A citizen's answer waits for the question still being sent, Telegram answers each send
    2 s late, twenty welcomes wait for the pace (2 a second): SIGTERM. The answer's turn
    commits, the sends under way finish, the rest stays queued and goes once after the
    restart."""
    database = f"sqlite+aiosqlite:///{tmp_path}/serve.sqlite3"
    others = range(7710, 7730)
    async with FakeTelegram(token=TOKEN) as fake:
        server = await Server.start(fake, tmp_path, database=database, overall_per_second=2.0)
        reference = TelegramCitizen(fake, 7701)
        await reference.say("/start")
        await reference.press("Oui")
        await fake.wait_for(lambda: len(fake.texts(7701)) == 2, timeout=20)
        await reference.say(IDEA)
        await fake.wait_for(lambda: len(fake.texts(7701)) == 3, timeout=20)
        expected = fake.texts(7701)
        assert len(expected) == 3 and "Étape 2 sur 6" in expected[-1]

        citizen = TelegramCitizen(fake, 7700)
        await citizen.say("/start")
        fake.delay(2.0, method="sendMessage")  # sent at once, answered 2 s later
        message, data = citizen.last_with("Oui")
        fake.user_press(7700, message.message_id, data)
        await fake.wait_for(lambda: len(fake.texts(7700)) == 2, timeout=20)  # under way
        fake.user_message(7700, IDEA)  # its turn waits for the question's send to finish
        for chat_id in others:
            fake.user_message(chat_id, "/start")
        await asyncio.sleep(0.5)
        code, took = await server.stop()
        output = server.output()
        assert code == 0, output
        assert took < 10, output
        assert "Traceback" not in output and "exiting now" not in output, output
        delivered = sum(WELCOME in " ".join(fake.texts(c)) for c in others)
        assert delivered < len(others), "the pace left welcomes waiting"

        storage = await open_storage(database, pseudonym_key=bytes.fromhex("5e" * 32))
        try:
            waiting = await storage.outbox.backlog(LATER)
            export = await storage.privacy.export("telegram:7700")
        finally:
            await storage.close()
        assert waiting > 0, "what was not sent stays queued"
        assert export.conversation is not None
        assert export.conversation.state["node"] == "themes", "the turn in flight committed"
        print(f"stopped in {took:.1f} s, {waiting} message(s) left queued")

        fake.delay(0)
        server = await Server.start(fake, tmp_path, database=database)
        await fake.wait_for(
            lambda: all(WELCOME in " ".join(fake.texts(c)) for c in others), timeout=30
        )
        await fake.wait_for(lambda: len(fake.texts(7700)) >= 3, timeout=30)
        await asyncio.sleep(1.5)  # anything sent twice would arrive by now
        code, _ = await server.stop()
        assert code == 0
    assert fake.texts(7700) == expected  # the answer's turn was committed, each reply once
    for chat_id in others:
        assert sum(WELCOME in text for text in fake.texts(chat_id)) == 1
    assert fake.violations == []


async def test_sigterm_while_telegram_never_answers_a_send_still_exits_0_within_ten_seconds(
    tmp_path: Path,
) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        server = await Server.start(fake, tmp_path)
        fake.delay(60.0, method="sendMessage")
        fake.user_message(7750, "/start")
        await fake.wait_for(lambda: len(fake.texts(7750)) == 1, timeout=20)  # never answered
        code, took = await server.stop()
        output = server.output()
        assert code == 0, output
        assert took < 10, output
        assert "Traceback" not in output, output


async def test_a_second_signal_exits_0_at_once_and_says_so(tmp_path: Path) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        server = await Server.start(fake, tmp_path)
        fake.delay(60.0, method="sendMessage")
        fake.user_message(7760, "/start")
        await fake.wait_for(lambda: len(fake.texts(7760)) == 1, timeout=20)  # never answered
        server.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        server.process.send_signal(signal.SIGINT)  # Ctrl+C again: no more waiting
        code = await asyncio.wait_for(server.wait(), 10)
        output = server.output()
        assert code == 0, output
        assert "a second signal: exiting now" in output, output


def test_the_steps_of_a_stop_share_one_deadline() -> None:
    now = [100.0]
    shutdown = Shutdown(clock=lambda: now[0])
    assert not shutdown.begun
    shutdown.begin()
    assert shutdown.for_turns() == SHUTDOWN_SECONDS - SENDS_SECONDS - CLOSE_SECONDS
    now[0] += 3.0  # the turns took 3 s: the sends get what is left, less the closing's share
    assert shutdown.for_sends() == SHUTDOWN_SECONDS - 3.0 - CLOSE_SECONDS
    shutdown.begin()  # a second signal does not move the deadline
    now[0] += SHUTDOWN_SECONDS
    assert shutdown.for_turns() == shutdown.for_sends() == shutdown.left() == 0.0
    assert SHUTDOWN_SECONDS < HARD_EXIT_SECONDS < 10.0
