"""What a browser context did that a test must not see: errors, dialogs, other hosts."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

from playwright.async_api import (
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Error,
    Page,
    Request,
    Route,
    WebSocket,
)

from tests.browser.server import WebServer


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
    chat: bool = True  # a chat page opens its /ws socket (the dashboard has no script)

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
        if self.chat:
            assert any(url.endswith("/ws") for url in self.sockets), "the page opened no /ws socket"
        else:
            assert not self.sockets, f"the dashboard opened sockets: {self.sockets}"
