"""The server restarts under an open page: it says so, reconnects, loses and doubles nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from playwright.async_api import Browser

from tests.browser.chat import Chat
from tests.browser.journeys import ASKS_CARRIER, ASKS_CONSENT, ASKS_STAGE, to_the_commune
from tests.browser.server import FAST_PACE, WebServer
from tests.browser.watch import Watch
from tests.serve import Server
from tests.telegram_stack import free_port

LOST = "Connexion perdue"
# What Chromium itself logs for each reconnection attempt while the server is down.
REFUSED = re.compile(
    r"^WebSocket connection to 'ws://127\.0\.0\.1:\d+/ws' failed: "
    r"Error in connection establishment: net::ERR_CONNECTION_REFUSED$"
)


class Restartable:
    """A web-only server that can be stopped and started again on its port and database."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.database = f"sqlite+aiosqlite:///{folder}/web.sqlite3"
        self.server: Server | None = None

    async def start(self) -> WebServer:
        self.server = await Server.start(
            None, self.folder, database=self.database, port=self.port, extra=FAST_PACE
        )
        return WebServer(self.server)

    async def stop(self) -> None:
        assert self.server is not None
        code, _ = await self.server.stop()
        assert code == 0, self.server.output()


@pytest_asyncio.fixture(loop_scope="session")
async def restartable(tmp_path: Path) -> AsyncIterator[Restartable]:
    served = Restartable(tmp_path)
    yield served
    if served.server is not None and served.server.process.returncode is None:
        await served.stop()


async def test_a_restart_of_the_server_is_said_then_the_chat_goes_on(
    browser: Browser, restartable: Restartable
) -> None:
    server = await restartable.start()
    context = await browser.new_context(viewport={"width": 375, "height": 740})
    watch = Watch(server, expected=[REFUSED])
    await watch.attach(context)
    try:
        page = await context.new_page()
        watch.attach_page(page)
        chat = Chat(page, server.url)
        await chat.open(expect=ASKS_CONSENT)
        await to_the_commune(chat)
        await chat.send("Arras", expect=ASKS_CARRIER)
        before = await chat.seqs()

        await restartable.stop()
        status = page.locator("#status")
        await status.filter(has_text=LOST).wait_for()
        # An answer given while the connection is away waits in the page, then goes.
        await chat.button("Une association").click()
        await restartable.start()
        await page.wait_for_function("() => document.getElementById('status').textContent === ''")
        await chat.wait_reply(before[-1], ASKS_STAGE)
        seqs = await chat.seqs()
        assert len(seqs) == len(set(seqs)), f"a message shown twice: {seqs}"
        assert seqs[: len(before)] == before
        citizens = await page.locator("#log li.msg.citizen").all_inner_texts()
        assert [c.strip() for c in citizens].count("Une association") == 1
    finally:
        await context.close()
    watch.check()
