"""Our aiohttp transport and raw JSON calls, against the fake Bot API, as PTB's own would be."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import BadRequest, RetryAfter
from telegram.request import BaseRequest, HTTPXRequest

from bot.channels.telegram.transport import AiohttpRequest, api_call
from tests.fakes.telegram import FAKE_TOKEN as TOKEN
from tests.fakes.telegram import FakeTelegram

CHAT = 4242
KEYBOARD = {"inline_keyboard": [[{"text": "Oui", "callback_data": "q|oui"}]]}


@pytest.fixture(params=["aiohttp", "httpx"])
async def bot(request: pytest.FixtureRequest, fake: FakeTelegram) -> AsyncIterator[Bot]:
    transport: BaseRequest = AiohttpRequest() if request.param == "aiohttp" else HTTPXRequest()
    async with Bot(TOKEN, base_url=fake.base_url, request=transport) as bot:
        yield bot


async def test_a_raw_send_reaches_telegram_with_its_html_and_keyboard(
    fake: FakeTelegram, bot: Bot
) -> None:
    result = await api_call(
        bot,
        "sendMessage",
        chat_id=CHAT,
        text="<b>Bonjour</b> &amp; bienvenue",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
    )
    assert isinstance(result["message_id"], int)
    [sent] = fake.sent(CHAT)
    assert sent.text == "Bonjour & bienvenue"
    assert fake.messages[CHAT][result["message_id"]].buttons == KEYBOARD["inline_keyboard"]
    await api_call(bot, "editMessageReplyMarkup", chat_id=CHAT, message_id=result["message_id"])
    assert fake.messages[CHAT][result["message_id"]].buttons == []


async def test_raw_calls_raise_ptb_errors_so_pacing_and_retries_apply(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as told:
        await api_call(bot, "sendMessage", chat_id=CHAT, text="Bonjour")
    assert told.value.retry_after in (3, dt.timedelta(seconds=3))
    with pytest.raises(BadRequest):
        await api_call(bot, "sendMessage", chat_id=CHAT, text="")  # Telegram refuses it
    assert fake.sent(CHAT) == []


async def test_the_aiohttp_transport_uploads_documents(fake: FakeTelegram) -> None:
    async with Bot(TOKEN, base_url=fake.base_url, request=AiohttpRequest()) as bot:
        await bot.send_document(CHAT, b'{"a": 1}', filename="mes-donnees.json")
    [call] = fake.calls_to("sendDocument")
    assert call.params["document"].content == b'{"a": 1}'
    assert call.params["document"].filename == "mes-donnees.json"
