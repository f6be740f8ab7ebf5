"""What content editing keeps in storage: the audit log of changes and the published versions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

ChangeAction = Literal["created", "changed", "verified", "removed", "imported"]


@dataclass(frozen=True, slots=True)
class ContentChange:
    """One saved change to a knowledge record (`id` 0 until it is stored)."""

    at: dt.datetime
    person_id: int | None  # None: the command line
    author: str
    kind: str  # scheme | counter
    record_id: str
    action: ChangeAction
    path: str  # relative to the knowledge folder
    diff: str
    id: int = 0


@dataclass(frozen=True, slots=True)
class Publication:
    """A published content version: what every replica serves once it has seen it."""

    version: int
    published_at: dt.datetime
    author: str
    last_change: int | None  # the newest change it includes
    digest: str  # of the content files, as published


class ContentLog(Protocol):
    """Who changed which record when, and which content version is published."""

    async def record(self, change: ContentChange) -> int:
        """Append a change; its id."""

    async def history(self, record_id: str | None = None, limit: int = 100) -> list[ContentChange]:
        """The newest changes first (of one record, or of all)."""

    async def last_change(self) -> int | None:
        """The id of the newest change, if any."""

    async def changes_after(self, change_id: int) -> int:
        """How many changes were saved after this one (those a publication has not taken)."""

    async def publish(
        self, at: dt.datetime, author: str, last_change: int | None, digest: str
    ) -> Publication:
        """Record a new publication; it gets the next version number."""

    async def published(self) -> Publication | None:
        """The newest publication, if any (cheap: replicas poll it every few seconds)."""
