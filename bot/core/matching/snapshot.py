"""The one JSON shape of a match result: kept by a conversation, filed, printed by the CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from bot.core.geo import Commune
from bot.core.matching.results import CounterMatch, MatchResult, SchemeMatch
from bot.core.models import Language, Level, Record


class CriterionView(Record):
    """One criterion of a scheme: its name, verdict and sentence."""

    name: str
    verdict: str
    detail: str


class SchemeView(Record):
    """A scheme as matched: why it fits, what is missing, what to check, when."""

    id: str
    name: str
    funder: str
    score: float
    level: str
    reason: str
    criteria: tuple[CriterionView, ...]
    remedy: str | None
    checks: tuple[str, ...]
    deadline: dt.date | None
    url: str
    # Added later: a filing stored before them still loads (with these defaults).
    summary: str | None = None
    expenses: tuple[str, ...] = ()
    amount_note: str | None = None
    calendar_note: str | None = None
    official: bool = True  # false: `url` is a source, no official page is known
    provenance: str | None = None  # verified on the official page, or compiled, and when


class Pin(Record):
    """Where to show a counter on a map."""

    lat: float
    lon: float


class CounterView(Record):
    """A counter that can receive the citizen, with where it sits and how to reach it."""

    id: str
    name: str
    distance_km: float | None
    level: str
    reasons: tuple[str, ...]
    url: str
    how: str | None
    where: str
    pin: Pin | None
    notes: tuple[str, ...] = ()  # said only in the counter's region (« En Bretagne… »)
    official: bool = True  # false: `url` is a page about it, its own site is not known


class CommuneView(Record):
    """The commune the match was run for."""

    insee: str
    name: str
    department: str


class MatchSnapshot(Record):
    """A match result as plain data: eligible schemes, near misses, counters, a notice."""

    commune: CommuneView
    notice: str | None
    schemes: tuple[SchemeView, ...]
    near_misses: tuple[SchemeView, ...]
    counters: tuple[CounterView, ...]

    def local_scheme(self) -> bool:
        """Whether a scheme below the national level was shown (else: a gap of the territory)."""
        return any(s.level != Level.NATIONAL.value for s in self.schemes)

    def local_counter(self) -> bool:
        """Whether a counter below the national level was shown."""
        return any(c.level != Level.NATIONAL.value for c in self.counters)


def snapshot(
    result: MatchResult,
    language: Language,
    communes: Mapping[str, Commune],
    limit: int | None = None,
) -> MatchSnapshot:
    """The snapshot of a result (its first `limit` schemes, near misses and counters)."""
    commune = result.commune
    return MatchSnapshot(
        commune=CommuneView(insee=commune.insee, name=commune.name, department=commune.department),
        notice=result.notice,
        schemes=tuple(scheme_view(m, language) for m in result.schemes[:limit]),
        near_misses=tuple(scheme_view(m, language) for m in result.near_misses[:limit]),
        counters=tuple(_counter(c, language, communes) for c in result.counters[:limit]),
    )


def commune_label(commune: Commune) -> str:
    """A commune as people read it: « Arras (62) »."""
    return f"{commune.name} ({commune.department})"


def scheme_view(match: SchemeMatch, language: Language) -> SchemeView:
    """One matched scheme as plain data, with what its card and its details show."""
    scheme = match.scheme
    amount, calendar = scheme.amount, scheme.calendar
    return SchemeView(
        id=match.scheme.id,
        name=match.scheme.name,
        funder=match.scheme.funder,
        score=match.score,
        level=match.level.value,
        reason=match.reason,
        criteria=tuple(
            CriterionView(name=a.criterion.value, verdict=a.verdict.value, detail=a.detail)
            for a in match.criteria
        ),
        remedy=match.remedy,
        checks=match.checks,
        deadline=match.deadline,
        url=match.scheme.url,
        summary=scheme.summary.get(language),
        expenses=tuple(e.get(language) for e in scheme.expenses),
        amount_note=amount.note.get(language) if amount and amount.note else None,
        calendar_note=calendar.note.get(language) if calendar.note else None,
        official=scheme.official,
        provenance=match.provenance,
    )


def _counter(
    match: CounterMatch, language: Language, communes: Mapping[str, Commune]
) -> CounterView:
    counter = match.counter
    seat = communes.get(counter.commune)
    return CounterView(
        id=counter.id,
        name=counter.name,
        distance_km=match.distance_km,
        level=match.level.value,
        reasons=match.reasons,
        url=counter.url,
        how=counter.how_to_reach.get(language) if counter.how_to_reach else None,
        where=commune_label(seat) if seat else counter.commune,
        pin=_pin(match, seat),
        notes=match.notes,
        official=counter.official,
    )


def _pin(match: CounterMatch, seat: Commune | None) -> Pin | None:
    """Its own position, else its seat commune's centre; none for an approximate seat.

    A wrong pin is worse than none.
    """
    counter = match.counter
    if counter.location_precision == "approximate":
        return None
    lat, lon = counter.latitude, counter.longitude
    if (lat is None or lon is None) and seat is not None:
        lat, lon = seat.lat, seat.lon
    return None if lat is None or lon is None else Pin(lat=lat, lon=lon)
