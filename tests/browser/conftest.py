"""Browser fixtures: one Chromium per session, a real server per module, a context per test.

Every test's browser context is watched: at the end of the test, no console error, no uncaught
script error, no dialog and no request to another host than the server may have happened
(requests elsewhere are also aborted, so that no test touches the internet).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Error,
    Page,
    Request,
    Route,
    WebSocket,
    async_playwright,
)
from pytest_asyncio import is_async_test

from tests.browser.chat import Chat
from tests.browser.server import WebServer, serving

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
FAST_PACE = {
    "COMPTOIR_WEB_RATE_PER_CONNECTION": "100",
    "COMPTOIR_WEB_BURST_PER_CONNECTION": "100",
    "COMPTOIR_WEB_RATE_PER_ADDRESS": "100",
    "COMPTOIR_WEB_BURST_PER_ADDRESS": "200",
}


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


@dataclass
class Watch:
    """What a browser context did that a test must not see: errors, dialogs, foreign hosts."""

    server: WebServer
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)
    # Console errors the browser itself writes in a test that causes them on purpose.
    expected: list[re.Pattern[str]] = field(default_factory=list)

    async def attach(self, context: BrowserContext) -> None:
        """Listen to the context and abort every request to another host."""
        context.on("console", self._console)
        context.on("weberror", lambda error: self.page_errors.append(str(error.error)))
        context.on("request", self._request)
        await context.route(lambda url: not self.server.serves(url), self._abort)

    def attach_page(self, page: Page) -> None:
        """Listen to a page for what the context does not report: sockets and dialogs."""
        page.on("websocket", self._socket)
        page.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in self.expected):
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _socket(self, socket: WebSocket) -> None:
        self.sockets.append(socket.url)

    async def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        await dialog.dismiss()

    async def _abort(self, route: Route) -> None:
        with contextlib.suppress(Error):  # the page went away meanwhile
            await route.abort("blockedbyclient")

    def foreign(self) -> list[str]:
        """The requests and sockets that went to another host than the server."""
        return [url for url in self.requests + self.sockets if not self.server.serves(url)]

    def check(self) -> None:
        """The end-of-test check: a clean console, no dialog, nothing sent elsewhere."""
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.page_errors, f"uncaught script errors: {self.page_errors}"
        assert not self.dialogs, f"dialogs opened: {self.dialogs}"
        assert not self.foreign(), f"requests to another host: {self.foreign()}"
        assert any(url.endswith("/ws") for url in self.sockets), "the page opened no /ws socket"


class OpenChat(Protocol):
    """Opens the chat in a new browser context (a new citizen: its own cookie and storage)."""

    def __call__(
        self,
        *,
        width: int = ...,
        height: int = ...,
        geolocation: dict[str, float] | None = ...,
        load: bool = ...,
    ) -> Awaitable[Chat]: ...


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
            await chat.open()
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
