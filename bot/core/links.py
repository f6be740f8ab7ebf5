"""The links the knowledge's records carry, and what checking one found (the check is a service)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from bot.core.knowledge import Knowledge
from bot.core.models import Counter, Scheme

RecordKind = Literal["scheme", "counter"]
FIELD_NAMES = {"url": "adresse principale", "source": "source", "verified.page": "page vérifiée"}
_URL = re.compile(r"https?://[^\s<>\"«»]+")
_URL_END = ".,;:!?)]}'"  # punctuation after a link in a sentence is not part of it


class LinkOutcome(StrEnum):
    """What checking a link found."""

    OK = "ok"
    REDIRECTED = "redirected"  # answers, at another address
    BROKEN = "broken"  # an error status, no such host, no answer in time…


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """A link written in a record: its address, the record, and the field it is in."""

    url: str
    kind: RecordKind
    record_id: str
    field: str  # "url", "source" or "verified.page"


@dataclass(frozen=True, slots=True)
class LinkResult:
    """What checking one link found; `reason` says it in French."""

    target: LinkTarget
    outcome: LinkOutcome
    reason: str
    status: int | None = None  # the HTTP status of the last answer, if any
    final_url: str | None = None  # where redirects led


@dataclass(frozen=True, slots=True)
class LinkReport:
    """A link check started by a staff member; `finished_at` None while it runs."""

    id: int
    started_at: dt.datetime
    started_by: str
    finished_at: dt.datetime | None = None
    results: tuple[LinkResult, ...] = ()

    def count(self, outcome: LinkOutcome) -> int:
        """How many links had this outcome."""
        return sum(1 for r in self.results if r.outcome == outcome)


def link_targets(knowledge: Knowledge) -> list[LinkTarget]:
    """Every link the records carry: their address, their sources, their verified page."""
    targets: list[LinkTarget] = []
    for kind, record in records(knowledge):
        targets.extend(_targets(kind, record))
    return targets


def records(knowledge: Knowledge) -> Iterator[tuple[RecordKind, Scheme | Counter]]:
    """Every scheme then every counter, with its kind."""
    for scheme in knowledge.schemes:
        yield "scheme", scheme
    for counter in knowledge.counters:
        yield "counter", counter


def _targets(kind: RecordKind, record: Scheme | Counter) -> Iterator[LinkTarget]:
    yield LinkTarget(record.url, kind, record.id, "url")
    seen = {record.url}
    for source in record.source:
        for found in _URL.findall(source):
            url = found.rstrip(_URL_END)
            if url not in seen:
                seen.add(url)
                yield LinkTarget(url, kind, record.id, "source")
    if record.verified is not None and record.verified.page not in seen:
        yield LinkTarget(record.verified.page, kind, record.id, "verified.page")
