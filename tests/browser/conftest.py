"""Browser fixtures: one Chromium per session, a real server per module, a context per test.

Every test's browser context is watched: at the end of the test, no console error, no uncaught
script error, no dialog and no request to another host than the server may have happened
(requests elsewhere are also aborted, so that no test touches the internet).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, async_playwright
from pytest_asyncio import is_async_test

from tests.browser.chat import Chat, OpenChat
from tests.browser.desk import Desk, OpenDesk
from tests.browser.journeys import ASKS_CONSENT
from tests.browser.server import FAST_PACE, WebServer, serving
from tests.browser.watch import Watch

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
REFUSED_PAGE = re.compile(r"Failed to load resource: .* status of (400|401|403|404|410) ")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests run in the session's event loop, where the browser lives."""
    session_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if is_async_test(item) and HERE in Path(item.path).parents:
            item.add_marker(session_loop, append=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless (never a browser downloaded by Playwright)."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium package)",
            pytrace=False,
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WebServer]:
    """A web-only server for the module's tests (each test is its own conversation).

    The tests answer faster than people do: their server's pace is wide (test_pace.py tests the
    refusal with a narrow one).
    """
    async with serving(tmp_path_factory.mktemp("web"), **FAST_PACE) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def open_chat(browser: Browser, server: WebServer) -> AsyncIterator[OpenChat]:
    """Open chats for the test; at its end, every one is checked (see `Watch.check`)."""
    opened: list[tuple[BrowserContext, Watch]] = []

    async def open_one(
        *,
        width: int = 1280,
        height: int = 800,
        geolocation: dict[str, float] | None = None,
        load: bool = True,
    ) -> Chat:
        options: dict[str, Any] = {"viewport": {"width": width, "height": height}}
        if geolocation is not None:
            options.update(geolocation=geolocation, permissions=["geolocation"])
        context = await browser.new_context(locale="fr-FR", **options)
        watch = Watch(server)
        await watch.attach(context)
        opened.append((context, watch))
        page = await context.new_page()
        watch.attach_page(page)
        chat = Chat(page, server.url)
        if load:
            await chat.open(expect=ASKS_CONSENT)  # the welcome, up to its question
        return chat

    yield open_one
    for context, _ in opened:
        await context.close()
    for _, watch in opened:
        watch.check()


@pytest_asyncio.fixture(loop_scope="session")
async def chat(open_chat: OpenChat) -> Chat:
    """A new citizen in the chat at desktop size, the welcome shown."""
    return await open_chat()


@pytest_asyncio.fixture(loop_scope="session")
async def open_desk(browser: Browser, server: WebServer) -> AsyncIterator[OpenDesk]:
    """Open the dashboard in new browser contexts; each is checked at the end as chats are."""
    opened: list[tuple[BrowserContext, Watch]] = []

    async def open_one(*, width: int = 1280, height: int = 800) -> Desk:
        context = await browser.new_context(
            locale="fr-FR", viewport={"width": width, "height": height}
        )
        # A refused form (400, 401) or a gone link (404, 410) answers with its status: the
        # browser notes it in the console, the page itself has no script to fail.
        watch = Watch(server, chat=False, expected=[REFUSED_PAGE])
        await watch.attach(context)
        opened.append((context, watch))
        page = await context.new_page()
        watch.attach_page(page)
        return Desk(page, server.url)

    yield open_one
    for context, _ in opened:
        await context.close()
    for _, watch in opened:
        watch.check()
