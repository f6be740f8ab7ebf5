"""A web-only `comptoir serve` for the browser tests: no Telegram token, a fresh SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from tests.serve import Server

# The tests answer faster than people do: the servers of most tests get a wide pace (test_pace.py
# checks the refusal with a narrow one).
FAST_PACE = {
    "COMPTOIR_WEB_RATE_PER_CONNECTION": "100",
    "COMPTOIR_WEB_BURST_PER_CONNECTION": "100",
    "COMPTOIR_WEB_RATE_PER_ADDRESS": "100",
    "COMPTOIR_WEB_BURST_PER_ADDRESS": "200",
}


class WebServer:
    """A running server as the browser sees it: its origin, its socket, its log."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.url = server.url
        self.origin = server.url
        self.host = urlsplit(server.url).netloc
        self.ws_url = "ws://" + self.host + "/ws"

    def serves(self, url: str) -> bool:
        """Whether a request to `url` stays on this server (blob: and data: URLs are local)."""
        if url.startswith("data:"):
            return True
        if url.startswith("blob:"):
            url = url.removeprefix("blob:")
        parts = urlsplit(url)
        return parts.scheme in {"http", "ws"} and parts.netloc == self.host

    def output(self) -> str:
        """What the server printed and logged so far."""
        return self.server.output()


@asynccontextmanager
async def serving(folder: Path, **env: str) -> AsyncIterator[WebServer]:
    """A server on a free port with its own SQLite file in `folder`, `COMPTOIR_*` from `env`."""
    folder.mkdir(parents=True, exist_ok=True)
    server = await Server.start(
        None, folder, database=f"sqlite+aiosqlite:///{folder}/web.sqlite3", extra=env
    )
    try:
        yield WebServer(server)
    finally:
        if server.process.returncode is None:
            code, _ = await server.stop()
            assert code == 0, f"serve exited {code}:\n{server.output()}"
