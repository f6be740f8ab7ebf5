"""A citizen on the web chat's WebSocket, for tests: frames in and out, acks, whole turns."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.config import Settings
from bot.web.app import COMPTOIR, create_app
from bot.web.chat import COOKIE, ROOM

Frame = dict[str, Any]
_ids = itertools.count(1)


def web_settings(tmp_path: Path, database: str | None = None, **overrides: Any) -> Settings:
    """Settings of a test server: its own SQLite file, a pace no test script reaches."""
    pace = {
        "web_rate_per_connection": 1000.0,
        "web_burst_per_connection": 1000,
        "web_rate_per_address": 1000.0,
        "web_burst_per_address": 1000,
    }
    return Settings(
        database_url=database or f"sqlite+aiosqlite:///{tmp_path}/web.sqlite3",
        **(pace | overrides),
    )


@dataclass
class Served:
    """A running app on a real loopback port."""

    app: web.Application
    server: TestServer

    def url(self, path: str = "/") -> str:
        return str(self.server.make_url(path))

    async def idle(self, timeout: float = 20.0) -> None:
        """Until no turn is waiting or running and nothing is being delivered."""
        room, courier = self.app[ROOM], self.app[COMPTOIR].courier
        async with asyncio.timeout(timeout):
            quiet = 0
            while quiet < 3:  # a few looks in a row: a turn just queued has its notify done
                await asyncio.sleep(0.01)
                quiet = 0 if room.turning or courier.busy else quiet + 1


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Served]:
    """Start `create_app(settings)` on 127.0.0.1; stop it at the end."""
    app = create_app(settings)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield Served(app, server)
    finally:
        await server.close()


@dataclass
class WebCitizen:
    """One socket of a citizen: every frame received is kept; messages acked unless told."""

    served: Served
    session: aiohttp.ClientSession
    ws: aiohttp.ClientWebSocketResponse
    acking: bool = True
    frames: list[Frame] = field(default_factory=list)
    conversation: str | None = None
    reader: asyncio.Task[None] | None = None

    @classmethod
    @asynccontextmanager
    async def connect(
        cls,
        served: Served,
        session: aiohttp.ClientSession,
        *,
        last: int = 0,
        hello: Frame | None = None,
        headers: dict[str, str] | None = None,
        acking: bool = True,
    ) -> AsyncIterator[WebCitizen]:
        """Open /ws, say hello, wait for ready (and the turn a hello may start)."""
        ws = await session.ws_connect(served.url("/ws"), headers=headers or {})
        citizen = cls(served, session, ws, acking)
        citizen.reader = asyncio.create_task(citizen._read())
        await ws.send_json(hello or {"type": "hello", "last": last})
        ready = await citizen.wait_for(lambda f: f["type"] == "ready")
        citizen.conversation = ready.get("conversation")
        await served.idle()
        try:
            yield citizen
        finally:
            await citizen.close()

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = message.json()
            self.frames.append(frame)
            if frame["type"] == "message" and self.acking:
                await self.ws.send_json({"type": "ack", "seq": frame["seq"]})

    async def close(self) -> None:
        """Close the socket as a closing tab does."""
        await self.ws.close()
        if self.reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader

    @property
    def messages(self) -> list[Frame]:
        return [f for f in self.frames if f["type"] == "message"]

    async def wait_for(self, test: Any, timeout: float = 20.0) -> Frame:
        """The first frame received (already or soon) that passes `test`."""
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.frames:
                    if test(frame):
                        return frame
                await asyncio.sleep(0.01)

    async def until(self, test: Any, timeout: float = 20.0) -> None:
        """Wait until `test()` holds."""
        async with asyncio.timeout(timeout):
            while not test():
                await asyncio.sleep(0.01)

    async def send(self, frame: Frame) -> list[Frame]:
        """Send a frame; the frames that came back once the server is idle again."""
        before = len(self.frames)
        await self.ws.send_json(frame)
        await self.until(lambda: len(self.frames) > before)  # a turn always answers something
        await self.served.idle()
        return self.frames[before:]

    async def say(self, text: str) -> str:
        """Type a text; what the bot answered."""
        return _texts(await self.send({"type": "text", "text": text, "id": f"c{next(_ids)}"}))

    def button(self, label_start: str) -> str:
        """The value of the newest button whose label starts with `label_start`."""
        for frame in reversed(self.messages):
            for row in frame["buttons"]:
                for button in row:
                    if button["label"].startswith(label_start):
                        return str(button["value"])
        raise AssertionError(f"no button « {label_start} » in {self.messages[-3:]}")

    async def press(self, label_start: str) -> str:
        """Press the newest button so labelled; what the bot answered."""
        value = self.button(label_start)
        return _texts(await self.send({"type": "button", "value": value}))

    async def qualify_arras(self) -> str:
        """From the consent to the results of the Arras recyclerie: the results' text."""
        await self.press("Oui")
        await self.say("On veut ouvrir une recyclerie pour réparer et revendre des objets")
        await self.press("Valider")
        await self.say("Arras")
        await self.press("Une association")
        await self.press("Ça prend forme")
        await self.press("Un financement")
        await self.press("Valider")
        await self.say("15 000 €")
        return await self.press("Non")


def _texts(frames: list[Frame]) -> str:
    return "\n".join(f["text"] for f in frames if f["type"] in ("message", "refused"))


def cookie_of(session: aiohttp.ClientSession) -> str | None:
    """The chat cookie the session holds, if any."""
    for cookie in session.cookie_jar:
        if cookie.key == COOKIE:
            return cookie.value
    return None
