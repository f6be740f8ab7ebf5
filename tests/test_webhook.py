"""The webhook under hostile input: refused cleanly, never marked seen; a valid update once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.web.app import WEBHOOK_PATH
from tests.telegram_stack import SECRET, Stack, TelegramCitizen, running

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}


async def _post(stack: Stack, body: bytes, headers: dict[str, str] | None = None) -> int:
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            stack.url + WEBHOOK_PATH, data=body, headers=headers or HEADERS
        )
        return response.status


def _message(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1764600000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Lou"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Lou"},
            "text": text,
        },
    }


async def test_a_secret_header_that_is_not_ascii_is_refused_not_a_crash(tmp_path: Path) -> None:
    async with running(tmp_path, webhook=True) as stack:
        body = json.dumps(_message(11, 3001, "/start")).encode()
        status = await _post(stack, body, {**HEADERS, "X-Telegram-Bot-Api-Secret-Token": "é" * 8})
        assert status == 403
        assert await _post(stack, body, {"Content-Type": "application/json"}) == 403


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"update_id": "12"}',
        json.dumps({"update_id": 10**40, "message": {}}).encode(),
        json.dumps({"update_id": -3}).encode(),
        json.dumps({"update_id": True}).encode(),
        json.dumps({"update_id": 21, "message": "x"}).encode(),
        json.dumps({"update_id": 22, "message": {"message_id": 1, "chat": {"id": 5}}}).encode(),
        json.dumps(
            {"update_id": 23, "message": {"message_id": 1, "date": 1, "chat": {"id": 5}}}
        ).encode(),
        '{"update_id": 24, "message": "\udcff"}'.encode("utf-8", "surrogatepass"),
    ],
)
async def test_a_malformed_update_is_refused_with_400_and_not_marked_seen(
    tmp_path: Path, body: bytes
) -> None:
    async with running(tmp_path, webhook=True) as stack:
        assert await _post(stack, body) == 400
        # The same id, well formed, is then processed: the bad copy was not recorded.
        try:
            update_id = json.loads(body).get("update_id")
        except (ValueError, AttributeError):
            update_id = None
        if isinstance(update_id, int) and not isinstance(update_id, bool) and 0 < update_id < 2**53:
            good = json.dumps(_message(update_id, 3002, "/start")).encode()
            assert await _post(stack, good) == 200
            await stack.fake.wait_for(lambda: stack.fake.sent(3002), timeout=10)


async def test_a_valid_update_is_processed_before_the_answer_and_only_once(tmp_path: Path) -> None:
    async with running(tmp_path, webhook=True) as stack:
        body = json.dumps(_message(31, 3003, "/start")).encode()
        assert await _post(stack, body) == 200
        # Answered once committed: the conversation exists as soon as Telegram hears « ok ».
        export = await stack.storage.privacy.export("telegram:3003")
        assert export.conversation is not None
        await stack.fake.wait_for(lambda: stack.fake.sent(3003), timeout=10)
        count = len(stack.fake.sent(3003))
        assert await _post(stack, body) == 200  # Telegram's retry
        citizen = TelegramCitizen(stack.fake, 3003)
        await citizen.press("Oui")
        assert len([m for m in stack.fake.sent(3003) if "Bonjour" in (m.text or "")]) == 1
        assert count >= 1


async def test_a_nul_byte_and_invisible_characters_are_cleaned_on_every_store(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, webhook=True) as stack:
        citizen = TelegramCitizen(stack.fake, 3004)
        await citizen.say("/start")
        await citizen.press("Oui")
        said = await citizen.say("\u200b\u200b\u200d")
        assert "Votre réponse est vide" in said
        said = await citizen.say("Une épicerie\x00 solidaire \u202eà l'envers\u202c")
        assert "thèmes" in said.lower() or "Étape 2" in said
        export = await stack.storage.privacy.export("telegram:3004")
        assert export.conversation is not None
        idea = export.conversation.state["answers"]["idea"]
        assert idea == "Une épicerie solidaire à l'envers"
