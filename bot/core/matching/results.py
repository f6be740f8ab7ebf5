"""What matching produces: a profile in, verdicts per criterion and ranked results out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from pydantic import Field

from bot.core.geo import Commune
from bot.core.models import Carrier, Counter, Level, Need, Record, Scheme, Slug, Stage


class Profile(Record):
    """What we know of a project: where, who carries it, its stage, themes, needs and amount."""

    commune: str = Field(min_length=1)
    carrier: Carrier
    stage: Stage
    themes: tuple[Slug, ...] = ()
    needs: tuple[Need, ...] = ()
    amount: int | None = Field(default=None, ge=0, le=100_000_000)


class ProfileError(ValueError):
    """A profile refers to something the knowledge base does not know."""


class Verdict(StrEnum):
    """Outcome of one criterion."""

    MET = "met"
    PARTIAL = "partial"  # soft: kept, with a note (an amount above the cap…)
    UNKNOWN = "unknown"
    NOT_MET = "not_met"  # a near miss when it is the only one


class Criterion(StrEnum):
    """The criteria every scheme is judged on, in the order they are shown."""

    TERRITORY = "territory"
    CARRIER = "carrier"
    STAGE = "stage"
    THEME = "theme"
    NEED = "need"
    AMOUNT = "amount"
    CALENDAR = "calendar"


@dataclass(frozen=True, slots=True)
class Assessment:
    """One criterion's verdict and its explanation."""

    criterion: Criterion
    verdict: Verdict
    detail: str


@dataclass(frozen=True, slots=True)
class SchemeMatch:
    """A scheme judged against a profile."""

    scheme: Scheme
    score: float
    criteria: tuple[Assessment, ...]
    reason: str
    remedy: str | None
    checks: tuple[str, ...]
    deadline: dt.date | None
    level: Level
    provenance: str  # « Fiche vérifiée le … » or « Fiche établie le … »


@dataclass(frozen=True, slots=True)
class CounterMatch:
    """A counter whose coverage includes the profile's commune."""

    counter: Counter
    level: Level
    distance_km: float | None
    reasons: tuple[str, ...]
    notes: tuple[str, ...] = ()  # regional notes, said only in their region


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Eligible schemes, near misses and counters, plus a notice when nothing local fits."""

    commune: Commune
    schemes: tuple[SchemeMatch, ...]
    near_misses: tuple[SchemeMatch, ...]
    counters: tuple[CounterMatch, ...]
    notice: str | None
