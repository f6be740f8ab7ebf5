"""Publishing content: load and check it aside, swap it in one step, follow other replicas.

A publication loads the whole content (knowledge and dialogs) off the event loop; on any
error the running content stays as it was and the problems (`file:line: field: message`) are
given back. Once it is in, a new version is recorded in the database; every replica polls the
newest version every few seconds and loads the same folders when it sees a newer one, so none
serves old content for longer than its poll interval (and the time a load takes, ~2 s).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.core.content import Content
from bot.core.knowledge import ContentError
from bot.services.clock import Clock, utc_now
from bot.services.ports_content import ContentLog, Publication

log = logging.getLogger(__name__)

Loader = Callable[[], Content]  # loads and checks the content folders (ContentError)
Installer = Callable[[Content], None]  # serves new content from the next turn on


@dataclass(frozen=True, slots=True)
class Published:
    """The new content is served; `publication` is its version."""

    publication: Publication


@dataclass(frozen=True, slots=True)
class Refused:
    """The content was not published: the running one stays; why, one line per problem."""

    problems: tuple[str, ...]


Outcome = Published | Refused


def fingerprint(*folders: Path) -> str:
    """A digest of every file under the content folders (names and bytes, in order)."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Publisher:
    """One publication at a time per process; the version this process serves."""

    def __init__(
        self,
        load: Loader,
        install: Installer,
        versions: ContentLog,
        digest: Callable[[], str],
        clock: Clock = utc_now,
    ) -> None:
        self._load = load
        self._install = install
        self._versions = versions
        self._digest = digest
        self._clock = clock
        self._lock = asyncio.Lock()
        self.version = 0  # the publication served here (0: what the process started with)

    async def start(self) -> None:
        """Serve as of the newest publication: the content was just loaded from the folders."""
        newest = await self._versions.published()
        self.version = newest.version if newest else 0

    async def publish(self, author: str) -> Outcome:
        """Load and check the folders aside; if they hold, serve them and record a version."""
        async with self._lock:
            loaded = await self._load_aside()
            if isinstance(loaded, Refused):
                log.warning("publication refused: %d problem(s)", len(loaded.problems))
                return loaded
            content, digest = loaded
            last = await self._versions.last_change()
            publication = await self._versions.publish(self._clock(), author, last, digest)
            self._install(content)
            self.version = publication.version
            log.info("content version %d published", publication.version)
            return Published(publication)

    async def follow(self, interval: float) -> None:
        """Poll the newest version; load the folders again when another replica published."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.catch_up()
            except Exception:  # the database may be down for a moment: try again later
                log.warning("content version poll failed", exc_info=True)

    async def catch_up(self) -> bool:
        """Serve the newest publication if it is newer than ours; whether content changed."""
        newest = await self._versions.published()
        if newest is None or newest.version <= self.version:
            return False
        async with self._lock:
            if newest.version <= self.version:  # published here while we waited
                return False
            loaded = await self._load_aside()
            self.version = newest.version  # a refused load is not retried until the next one
            if isinstance(loaded, Refused):
                log.error(
                    "content version %d cannot be loaded here: %d problem(s); still serving "
                    "the previous content",
                    newest.version,
                    len(loaded.problems),
                )
                return False
            self._install(loaded[0])
            log.info("content version %d loaded", newest.version)
            return True

    async def _load_aside(self) -> tuple[Content, str] | Refused:
        """The content and its digest, loaded off the event loop; or why not."""

        def load() -> tuple[Content, str]:
            return self._load(), self._digest()

        try:
            return await asyncio.to_thread(load)
        except ContentError as error:
            return Refused(tuple(str(problem) for problem in error.problems))
        except OSError as error:
            return Refused((f"{error.filename or '-'}:1: -: {error.strerror or error}",))
