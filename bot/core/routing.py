"""Which counter receives a lead: the first the citizen saw that has advisors to work it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.core.advisors import RoutingTexts
from bot.core.geo import Commune
from bot.core.matching import CounterMatch, Matcher, Profile, ProfileError
from bot.core.models import Text


@dataclass(frozen=True, slots=True)
class Assignment:
    """The counter a lead goes to (None: the staff queue) and why, in the advisors' words."""

    counter_id: str | None
    reason: str | None


def route(
    matcher: Matcher,
    profile: Profile,
    staffed: Collection[str],
    excluded: Collection[str],
    texts: RoutingTexts,
) -> Assignment:
    """The best counter covering the commune and taking the project, among those with advisors.

    Best as the citizen saw them: by coverage level (commune, radius, EPCI, département,
    région, national), then distance. Counters that said « pas pour nous » are left out.
    """
    commune = matcher.check(profile)
    for match in matcher.counters(profile):
        counter = match.counter
        if counter.id in staffed and counter.id not in excluded:
            return Assignment(counter.id, reason(match, profile, commune, texts, matcher))
    return Assignment(None, None)


def assign(
    matcher: Matcher,
    profile: Profile,
    staffed: Collection[str],
    excluded: Collection[str],
    texts: RoutingTexts,
) -> Assignment:
    """`route`, or the staff queue when the commune left the knowledge base since the filing.

    The one way a lead is routed: the filing turn names its counter to the citizen with it, and
    the lead goes where the citizen was told.
    """
    try:
        return route(matcher, profile, staffed, excluded, texts)
    except ProfileError:
        return Assignment(None, None)


def reason(
    match: CounterMatch,
    profile: Profile,
    commune: Commune,
    texts: RoutingTexts,
    matcher: Matcher,
) -> str:
    """« couvre Arras au niveau du département ; thème réemploi »."""
    parts = [texts.level.format(commune=commune.name, level=texts.levels[match.level])]
    labels: dict[str, Text] = {t.slug: t.label for t in matcher.knowledge.themes}
    shared = [labels[s].fr for s in match.counter.themes if s in profile.themes and s in labels]
    if shared:
        parts.append(texts.themes.format(themes=", ".join(shared)))
    return " ; ".join(parts)
