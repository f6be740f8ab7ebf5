"""Too many messages too fast: a clear refusal, then the same socket answers at a kept pace."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import expect

from tests.browser.chat import Chat
from tests.browser.journeys import ASKS_IDEA
from tests.browser.server import WebServer, serving

BURST = 4
RATE = 0.5  # a message every 2 seconds once the burst is spent


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WebServer]:
    """A server with a small pace per connection."""
    async with serving(
        tmp_path_factory.mktemp("pace"),
        COMPTOIR_WEB_BURST_PER_CONNECTION=str(BURST),
        COMPTOIR_WEB_RATE_PER_CONNECTION=str(RATE),
    ) as running:
        yield running


async def test_a_burst_of_messages_gets_a_clear_refusal_and_the_socket_survives(
    chat: Chat,
) -> None:
    for _ in range(3 * BURST):
        await chat.input.fill("/aide")
        await chat.input.press("Enter")
    notice = chat.notices.last
    await notice.wait_for()
    said = await notice.inner_text()
    assert "très vite" in said and re.search(r"patientez \d+ seconde", said), said
    await expect(notice).to_be_in_viewport()
    refused = chat.page.locator("#log li.msg.citizen.refused")
    assert 1 <= await refused.count() < 3 * BURST
    assert "Non envoyé" in await refused.last.inner_text()

    wait = re.search(r"patientez (\d+) seconde", said)
    assert wait is not None
    await asyncio.sleep(int(wait.group(1)) + 1 / RATE)  # as the refusal says, and a token more
    await chat.send("oui", expect=ASKS_IDEA)  # the consent, on the same socket
