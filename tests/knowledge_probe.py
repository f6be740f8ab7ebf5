"""What the tests of the shipped knowledge ask: a match on the audit's day, records, verdicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.core.catalog import Catalog
from bot.core.matching import MatchResult, Profile, SchemeMatch
from bot.core.models import Counter, Scheme

AUDIT = dt.date(2026, 12, 3)  # the day every fact was checked against its source


def match(catalog: Catalog, **fields: object) -> MatchResult:
    """The match of a profile given as fields, on the audit's day."""
    return catalog.matcher.match(Profile.model_validate(fields), AUDIT)


def scheme(catalog: Catalog, scheme_id: str) -> Scheme:
    """The shipped scheme with this id."""
    return next(s for s in catalog.knowledge.schemes if s.id == scheme_id)


def counter(catalog: Catalog, counter_id: str) -> Counter:
    """The shipped counter with this id."""
    return next(c for c in catalog.knowledge.counters if c.id == counter_id)


def found(result: MatchResult, scheme_id: str) -> SchemeMatch:
    """The scheme's match, eligible or near miss."""
    return next(m for m in (*result.schemes, *result.near_misses) if m.scheme.id == scheme_id)


def verdicts(judged: SchemeMatch) -> dict[str, str]:
    """Criterion → verdict."""
    return {a.criterion.value: a.verdict.value for a in judged.criteria}


def sentences(judged: SchemeMatch) -> dict[str, tuple[str, str]]:
    """Criterion → (verdict, sentence)."""
    return {a.criterion.value: (a.verdict.value, a.detail) for a in judged.criteria}


def criteria(result: MatchResult, scheme_id: str) -> dict[str, tuple[str, str]]:
    """Criterion → (verdict, sentence) of one scheme of the result."""
    return sentences(found(result, scheme_id))


def scheme_ids(matches: Iterable[SchemeMatch]) -> list[str]:
    """The ids of matched schemes, in their order."""
    return [m.scheme.id for m in matches]


def counter_ids(result: MatchResult) -> list[str]:
    """The ids of the counters shown, in their order."""
    return [c.counter.id for c in result.counters]
