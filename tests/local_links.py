"""Local web sites for the link checker's tests (127.0.0.1 only), and a probe that sends every
address of the knowledge to one of them instead of the internet."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Handler

from bot.services.links import Answer, Fetcher, Method
from bot.web.probe import HttpProbe

SLOW_SECONDS = 2.0
Page = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Visit:
    """One request a site received."""

    method: str
    path: str
    agent: str
    started: float
    ended: float = 0.0


@dataclass
class Site:
    """A local site and what it saw: every request, how many at once."""

    server: TestServer | None = None
    visits: list[Visit] = field(default_factory=list)
    busy: int = 0
    most: int = 0  # the most requests under way at once

    def url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))


class Sites:
    """Every local site of a test, and the most requests under way at once over all of them."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay  # how long each page takes to answer
        self.sites: list[Site] = []
        self.busy = 0
        self.most = 0

    def app(self, here: Site) -> web.Application:
        """A site's routes: working pages, errors, redirects, a slow page, a HEAD refused."""

        @web.middleware
        async def watched(request: web.Request, handler: Handler) -> web.StreamResponse:
            agent = request.headers.get("User-Agent", "")
            visit = Visit(request.method, request.path, agent, time.monotonic())
            here.visits.append(visit)
            here.busy += 1
            self.busy += 1
            here.most, self.most = max(here.most, here.busy), max(self.most, self.busy)
            try:
                if self.delay:
                    await asyncio.sleep(self.delay)
                return await handler(request)
            finally:
                here.busy -= 1
                self.busy -= 1
                visit.ended = time.monotonic()

        app = web.Application(middlewares=[watched])
        app.router.add_get("/ok", _ok)  # GET routes answer HEAD too
        app.router.add_get("/page/{number}", _ok)
        app.router.add_get("/missing", _status(404))
        app.router.add_get("/gone", _status(410))
        app.router.add_get("/error", _status(500))
        app.router.add_get("/blocked", _status(403))
        app.router.add_get("/moved", _redirect("/ok"))
        app.router.add_get("/slash", _redirect("/slash/"))
        app.router.add_get("/slash/", _ok)
        app.router.add_get("/loop", _redirect("/loop"))
        app.router.add_get("/slow", _slow)
        app.router.add_route("HEAD", "/no-head", _status(405))
        app.router.add_route("GET", "/no-head", _ok)
        return app

    @asynccontextmanager
    async def running(self, count: int = 1) -> AsyncIterator[list[Site]]:
        """`count` sites, each on its own port of 127.0.0.1 (a host each, for the checker)."""
        started: list[Site] = []
        try:
            for _ in range(count):
                site = Site()
                site.server = TestServer(self.app(site), host="127.0.0.1")
                await site.server.start_server()
                started.append(site)
            self.sites = started
            yield started
        finally:
            for site in started:
                assert site.server is not None
                await site.server.close()


async def _ok(request: web.Request) -> web.Response:
    return web.Response(text="<p>Bonjour</p>", content_type="text/html")


def _status(status: int) -> Page:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, text="non")

    return answer


def _redirect(to: str) -> Page:
    async def answer(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(to)

    return answer


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(SLOW_SECONDS)
    return web.Response(text="enfin")


class LocalProbe:
    """The real HTTP client, with each address sent to a local one instead (`address`); with a
    `gate`, every request waits for the test to open it."""

    def __init__(self, address: Callable[[str], str], gate: asyncio.Event | None = None) -> None:
        self.address = address
        self.gate = gate
        self.asked: list[str] = []

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Fetcher]:
        async with HttpProbe().open() as fetcher:
            yield _Redirected(self, fetcher)


class _Redirected:
    def __init__(self, probe: LocalProbe, fetcher: Fetcher) -> None:
        self.probe = probe
        self.fetcher = fetcher

    async def fetch(self, method: Method, url: str) -> Answer:
        if self.probe.gate is not None:
            await self.probe.gate.wait()
        self.probe.asked.append(url)
        local = self.probe.address(url)
        assert local.startswith("http://127.0.0.1:"), local  # no request leaves the machine
        answer = await self.fetcher.fetch(method, local)
        if answer.final_url == local:  # not redirected: answered at the address asked
            return Answer(answer.status, url)
        return answer
