"""The link checker: every link of the records, checked concurrently but politely, and its run.

Polite: a few requests at once overall, one at a time per host with a pause between two, each
with a timeout; HEAD first (no page downloaded), GET when a server refuses HEAD; each address
once, however many records carry it. The HTTP client is a `Probe` (aiohttp in `bot.web.probe`;
tests give it local addresses only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import urlsplit

from bot.core.links import LinkOutcome, LinkReport, LinkResult, LinkTarget
from bot.services.clock import Clock, utc_now
from bot.services.ports_upkeep import UpkeepData

log = logging.getLogger(__name__)
Method = Literal["HEAD", "GET"]
HEAD_REFUSED = frozenset({403, 405, 501})  # servers that refuse HEAD may answer GET
_REASONS = {
    400: "le site refuse la requête (400)",
    401: "page réservée à des comptes (401)",
    403: "accès refusé (403) : le site bloque peut-être les robots, ouvrez-le dans un navigateur",
    404: "page introuvable (404)",
    410: "page supprimée (410)",
    429: "le site limite les visites (429) : relancez la vérification plus tard",
    500: "erreur du serveur (500)",
    502: "serveur indisponible (502)",
    503: "serveur indisponible (503)",
    504: "le serveur n'a pas répondu à temps (504)",
}


@dataclass(frozen=True, slots=True)
class Answer:
    """A server's answer, after the redirects: its status and the address that gave it."""

    status: int
    final_url: str


class ProbeFailed(Exception):
    """No answer: no such host, connection refused, bad certificate… (`reason` in French)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Fetcher(Protocol):
    """An open HTTP client."""

    async def fetch(self, method: Method, url: str) -> Answer:
        """One request, redirects followed; raise `ProbeFailed` when there is no answer."""


class Probe(Protocol):
    """Opens an HTTP client for the length of a check."""

    def open(self) -> AbstractAsyncContextManager[Fetcher]:
        """The client, closed at the end of the block."""


@dataclass(frozen=True, slots=True)
class Politeness:
    """How hard the checker may knock: the limits every check honours."""

    concurrency: int = 8  # requests under way at once, every host together
    per_host: int = 1  # requests under way at once to one host
    pause: float = 1.0  # seconds between the starts of two requests to one host
    timeout: float = 15.0  # seconds one request may take


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one address gave."""

    outcome: LinkOutcome
    reason: str
    status: int | None = None
    final_url: str | None = None


@dataclass
class _Host:
    slots: asyncio.Semaphore
    spacing: asyncio.Lock = field(default_factory=asyncio.Lock)
    last: float | None = None


class LinkChecker:
    """Checks addresses under the politeness limits."""

    def __init__(
        self,
        probe: Probe,
        politeness: Politeness | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.probe = probe
        self.politeness = politeness or Politeness()
        self._monotonic = monotonic
        self._sleep = sleep

    async def check(self, targets: Sequence[LinkTarget]) -> list[LinkResult]:
        """The result of every target, in their order (each address requested once)."""
        urls = list(dict.fromkeys(t.url for t in targets))
        overall = asyncio.Semaphore(self.politeness.concurrency)
        hosts: dict[str, _Host] = {}
        async with self.probe.open() as fetcher:
            verdicts = await asyncio.gather(
                *(self._check(fetcher, url, overall, hosts) for url in urls)
            )
        found = dict(zip(urls, verdicts, strict=True))
        return [
            LinkResult(t, v.outcome, v.reason, v.status, v.final_url)
            for t in targets
            for v in (found[t.url],)
        ]

    async def _check(
        self, fetcher: Fetcher, url: str, overall: asyncio.Semaphore, hosts: dict[str, _Host]
    ) -> Verdict:
        host = hosts.setdefault(_host(url), _Host(asyncio.Semaphore(self.politeness.per_host)))
        try:
            answer = await self._request(fetcher, "HEAD", url, overall, host)
            if answer.status in HEAD_REFUSED:
                answer = await self._request(fetcher, "GET", url, overall, host)
        except ProbeFailed as failed:
            return Verdict(LinkOutcome.BROKEN, failed.reason)
        except TimeoutError:
            seconds = f"{self.politeness.timeout:g}".replace(".", ",")
            return Verdict(LinkOutcome.BROKEN, f"pas de réponse en {seconds} s")
        return verdict(url, answer)

    async def _request(
        self,
        fetcher: Fetcher,
        method: Method,
        url: str,
        overall: asyncio.Semaphore,
        host: _Host,
    ) -> Answer:
        # The host's slot first: a task waiting for its host holds no slot of the others.
        async with host.slots:
            async with host.spacing:
                if host.last is not None:
                    wait = host.last + self.politeness.pause - self._monotonic()
                    if wait > 0:
                        await self._sleep(wait)
                host.last = self._monotonic()
            async with overall, asyncio.timeout(self.politeness.timeout):
                return await fetcher.fetch(method, url)


def verdict(url: str, answer: Answer) -> Verdict:
    """What an answer says of a link: working, moved elsewhere, or broken (and why)."""
    status = answer.status
    if status >= 400:
        reason = _REASONS.get(status) or (
            f"erreur du serveur ({status})" if status >= 500 else f"erreur {status}"
        )
        return Verdict(LinkOutcome.BROKEN, reason, status, answer.final_url)
    if status >= 300:  # a redirect with nowhere to go
        return Verdict(LinkOutcome.BROKEN, f"redirection sans destination ({status})", status)
    if _same(url, answer.final_url):
        return Verdict(LinkOutcome.OK, "accessible", status)
    return Verdict(
        LinkOutcome.REDIRECTED, f"redirigé vers {answer.final_url}", status, answer.final_url
    )


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _same(url: str, other: str) -> bool:
    """The same page: only the case of the host, a final slash or the fragment differ."""

    def key(address: str) -> tuple[str, str, str, str]:
        parts = urlsplit(address)
        return (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query)

    return key(url) == key(other)


class LinkCheckRun:
    """Runs one link check at a time (here and, through the store, in every replica)."""

    def __init__(self, checker: LinkChecker, clock: Clock = utc_now) -> None:
        self.checker = checker
        self.clock = clock
        self._task: asyncio.Task[LinkReport | None] | None = None

    @property
    def running(self) -> bool:
        """Whether this process is running a check now."""
        return self._task is not None and not self._task.done()

    async def start(self, store: UpkeepData, targets: Sequence[LinkTarget], by: str) -> bool:
        """Start a check in the background; False when one is already running."""
        if self.running:
            return False
        check_id = await store.start_check(by, self.clock())
        if check_id is None:
            return False
        self._task = asyncio.create_task(self._run(store, check_id, targets), name="link check")
        self._task.add_done_callback(_retrieved)
        return True

    async def run(
        self, store: UpkeepData, targets: Sequence[LinkTarget], by: str
    ) -> LinkReport | None:
        """Check now and wait for the end (the command line); None when one already runs."""
        check_id = await store.start_check(by, self.clock())
        if check_id is None:
            return None
        return await self._run(store, check_id, targets)

    async def wait(self) -> None:
        """Until the background check, if any, has ended."""
        if self._task is not None:
            await asyncio.wait({self._task})

    async def stop(self) -> None:
        """Cancel the background check (shutdown): it is forgotten, another may start."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    async def _run(
        self, store: UpkeepData, check_id: int, targets: Sequence[LinkTarget]
    ) -> LinkReport | None:
        try:
            results = await self.checker.check(targets)
            await store.finish_check(check_id, results, self.clock())
        except BaseException as error:  # cancelled (shutdown) too: another check may start
            if not isinstance(error, asyncio.CancelledError):
                log.exception("link check %d failed", check_id)
            with contextlib.suppress(Exception):
                await asyncio.shield(store.abandon_check(check_id))
            raise
        broken = sum(1 for r in results if r.outcome == LinkOutcome.BROKEN)
        log.info("link check %d: %d links, %d broken", check_id, len(results), broken)
        return await store.last_check()


def _retrieved(task: asyncio.Task[LinkReport | None]) -> None:
    """A failed background check was logged by itself: mark its error as seen."""
    if not task.cancelled():
        task.exception()
