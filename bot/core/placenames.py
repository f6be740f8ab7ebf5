"""Communes as people name them: everyday short names, and how name matches are ranked."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import TYPE_CHECKING

from bot.core.geo import fold

if TYPE_CHECKING:
    from bot.core.resolver import Candidate

# The small words that join the parts of a compound name: « Châlons-en-Champagne »,
# « Bourg-lès-Valence », « Les Sables-d'Olonne ». What comes before the first one is the
# name people use in everyday speech.
_CONNECTOR_WORDS = "sur sous en de des du la le les lez aux au a et pres par lo"
_CONNECTORS = frozenset(_CONNECTOR_WORDS.split())
_ELIDED = re.compile(r"^[dl]['’]", re.IGNORECASE)
# A leading part that cannot stand alone: « Saint-Étienne » is not « Saint », nor is
# « Fort-de-France » « Fort » or « Basse-Terre » « Basse ».
_NOT_A_NAME_WORDS = """
    saint sainte saints saintes notre dame mont val pont port fort baie pointe anse cap morne
    grand grande grands grandes petit petite petits petites haut haute hauts hautes bas basse
    vieux vieille vieil neuf neuve nouveau nouvelle beau bel belle bon bonne gros grosse
    ile iles villa"""
_NOT_A_NAME = frozenset(_NOT_A_NAME_WORDS.split())
MIN_SHORT_NAME = 3


def short_names(name: str, article: str = "") -> tuple[str, ...]:
    """The everyday names of a compound commune name, with and without its article.

    « Châlons-en-Champagne » → (« Châlons »,); « Boulogne-Billancourt » → (« Boulogne »,);
    « Le Puy-en-Velay » → (« Le Puy », « Puy »); « Saint-Étienne » → ().
    """
    bare = name[len(article) :].lstrip(" '’") if article else name
    parts = bare.split("-")
    if len(parts) < 2:
        return ()
    kept: list[str] = []
    for part in parts:
        if fold(part) in _CONNECTORS or _ELIDED.match(part):
            break
        kept.append(part)
    if len(kept) == len(parts):  # no connector: « Charleville-Mézières », two names joined
        kept = kept[:1]
    if not kept or len(kept) == len(parts):
        return ()
    short = "-".join(kept)
    folded = fold(short)
    if len(folded.replace(" ", "")) < MIN_SHORT_NAME or folded in _NOT_A_NAME:
        return ()
    if not article:
        return (short,)
    joined = f"{article}{short}" if article.endswith(("'", "’")) else f"{article} {short}"
    return (joined, short)


class Tier(IntEnum):
    """What kind of name a query matched: the official name beats the others."""

    OFFICIAL = 0  # the COG name, with or without its article
    SHORT = 1  # the everyday short name of a compound name
    FORMER = 2  # a former name (commune déléguée or associée)
    NEAR = 3  # a spelling variant or a typo


@dataclass(frozen=True, slots=True)
class Hit:
    """A candidate with the kind of name it matched and its population-weighted plausibility."""

    candidate: Candidate
    tier: Tier
    weight: float = 0.0
    edits: int = 0

    @property
    def population(self) -> int:
        """The population of the commune hit."""
        return self.candidate.commune.population


MAX_CANDIDATES = 10  # a question lists at most this many communes
DOMINANT = 20  # a commune this many times more plausible is taken as the one meant
VARIANT_SHARE = 10  # a spelling variant (« Chalons ») is offered down to a tenth of the best
SCORE_DOMINANT = 0.9  # one dominant everyday name: confirm it rather than take it


def rank_names(hits: list[Hit]) -> list[Candidate]:
    """Rank the names a key matched exactly: official, everyday, variants, then former names.

    Every official homonym is kept. An everyday short name is kept only when its commune is
    more populous than every official homonym (« Charleville » offers Charleville-Mézières,
    « Saint-Étienne » does not offer Saint-Étienne-du-Rouvray); a spelling variant too, and
    only when its commune is comparably large (« Chalon » offers Châlons-en-Champagne,
    « Provins » does not offer Provin). Living communes come largest first; former names follow.
    """
    official = [h for h in hits if h.tier == Tier.OFFICIAL]
    biggest = max((h.population for h in official), default=-1)
    living = official + [h for h in hits if h.tier == Tier.SHORT and h.population > biggest]
    top = max((h.population for h in living), default=0)
    living += [
        h
        for h in hits
        if h.tier == Tier.NEAR and h.population > biggest and h.population * VARIANT_SHARE >= top
    ]
    living.sort(key=lambda h: -h.population)
    former = sorted((h for h in hits if h.tier == Tier.FORMER), key=lambda h: -h.population)
    ranked = [h.candidate for h in _listed(_unique(living + former))]
    if not official and len(ranked) > 1:
        first, second = ranked[0].commune.population, ranked[1].commune.population
        if first >= DOMINANT * max(second, 1):
            return [replace(ranked[0], score=min(ranked[0].score, SCORE_DOMINANT))]
    return ranked


def rank_near(hits: list[Hit]) -> list[Candidate]:
    """Rank typo matches by weight: those within DOMINANT of the heaviest, and no farther.

    « Mulouse » is Mulhouse alone (one edit), not Toulouse (two edits, however large);
    « Nancie » is Nancy (two edits) first, then the villages one edit away.
    """
    ordered = _unique(sorted(hits, key=lambda h: -h.weight))
    if not ordered:
        return []
    heaviest = ordered[0]
    kept = [
        h for h in ordered if h.weight * DOMINANT >= heaviest.weight and h.edits <= heaviest.edits
    ]
    return [h.candidate for h in kept]


def _listed(hits: list[Hit]) -> list[Hit]:
    """The first MAX_CANDIDATES hits, in order, but never without an official homonym."""
    if len(hits) <= MAX_CANDIDATES:
        return hits
    official = [h for h in hits if h.tier == Tier.OFFICIAL][:MAX_CANDIDATES]
    others = [h for h in hits if h.tier != Tier.OFFICIAL][: MAX_CANDIDATES - len(official)]
    chosen = {id(h) for h in official + others}
    return [h for h in hits if id(h) in chosen]


def _unique(hits: list[Hit]) -> list[Hit]:
    """The first hit of each commune, in order."""
    seen: set[str] = set()
    unique = []
    for hit in hits:
        if hit.candidate.commune.insee not in seen:
            seen.add(hit.candidate.commune.insee)
            unique.append(hit)
    return unique
