"""Secrets stay secret: no token or webhook secret in any log line, whatever goes wrong."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from bot.redaction import MASK, Redactor
from tests.fakes.telegram import FakeTelegram
from tests.serve import TOKEN, WEBHOOK_SECRET, Server
from tests.telegram_stack import TelegramCitizen, free_port

SECRET_PARTS = (TOKEN, TOKEN.split(":", 1)[1], WEBHOOK_SECRET)


def _clean(output: str) -> bool:
    return not any(part in output for part in SECRET_PARTS)


async def test_a_refused_token_stops_the_server_with_one_line_and_no_token(tmp_path: Path) -> None:
    async with FakeTelegram(token="999999:another-bot-token-which-is-not-ours") as fake:
        server = await Server.start(fake, tmp_path, ready=False)
        code = await asyncio.wait_for(server.wait(), 60)
        output = server.output()
        assert code == 1, output
        assert "refusé le jeton" in output
        assert "Traceback" not in output
        assert _clean(output), output


async def test_an_unreachable_telegram_is_retried_without_ever_logging_the_token(
    tmp_path: Path,
) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        nowhere = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens there
        server = await Server.start(fake, tmp_path, base_url=nowhere, ready=False)
        for _ in range(600):  # the first attempt and a retry, however slow the machine
            if server.output().count("Telegram unreachable") >= 2:
                break
            await asyncio.sleep(0.1)
        code, _ = await server.stop()
        output = server.output()
        assert code == 0, output
        assert "Telegram unreachable" in output
        assert "Unclosed" not in output, output  # the transport of a bot never started is closed
        assert _clean(output), output


async def test_no_secret_in_any_log_line_under_faults_in_webhook_mode(tmp_path: Path) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        port = free_port()
        webhook = {
            "COMPTOIR_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
            "COMPTOIR_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        server = await Server.start(
            fake, tmp_path, port=port, per_chat_interval=0.02, extra=webhook
        )
        fake.fault_rate(0.3, statuses=(429, 500, 502, 400), seed=3, retry_after=0)
        citizen = TelegramCitizen(fake, 7600)
        await citizen.say("/start")
        await citizen.press("Oui")
        await citizen.say("Une épicerie solidaire dans le quartier")
        fake.fault_rate(0)
        await server.stop()
        output = server.output()
        assert any(call.injected for call in fake.calls)  # the faults happened…
        # …the webhook's URL was said (there is no access log: it would hold addresses)…
        assert f"Telegram:  on, webhook at {webhook['COMPTOIR_WEBHOOK_URL']}" in output
        assert _clean(output), output  # …and no line holds a secret


def test_the_redactor_scrubs_messages_arguments_and_tracebacks() -> None:
    redactor = Redactor([TOKEN, WEBHOOK_SECRET])
    try:
        raise RuntimeError(f"https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        info = sys.exc_info()
    record = logging.LogRecord(
        "t", logging.ERROR, __file__, 1, "calling %s with %s", (TOKEN, WEBHOOK_SECRET), info
    )
    assert redactor.filter(record)
    text = record.getMessage() + (record.exc_text or "")
    assert _clean(text)
    assert MASK in record.getMessage()
    # A token of another bot, shaped like one, is masked too.
    assert (
        redactor.redact("token 123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll0") == f"token {MASK}"
    )
