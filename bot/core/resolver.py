"""From what people type (a name, a postcode, a code, coordinates) to the communes they mean."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.geo import Commune, GeoTable, distance_km, name_key, name_tokens
from bot.core.placenames import (
    DOMINANT,
    MAX_CANDIDATES,
    Hit,
    Tier,
    rank_names,
    rank_near,
    short_names,
)

_ARTICLE_WORDS = ("l", "le", "la", "les")
_ARRONDISSEMENT_WORDS = {"arrondissement", "arrondissements", "arr", "arrt", "arrdt", "ardt"}
_ORDINAL = re.compile(r"^(\d{1,2})(?:e|er|ere|eme|ieme|em|me)?$")
_ROMAN_ORDINAL = re.compile(r"^([ivx]{1,5})(?:e|er|ere|eme|ieme|em|me)$")
_ROMAN = {"i": 1, "v": 5, "x": 10}
_LEADING_WORDS = ("commune", "ville", "village", "a", "au", "en")
_COORDINATES = re.compile(r"^\s*\(?\s*(-?\d{1,2}\.\d+)\s*[,;\s]\s*(-?\d{1,3}\.\d+)\s*\)?\s*$")
_CEDEX = re.compile(r"\bcedex\b(\s*\d+)?")
_PLM = {"paris": "75056", "lyon": "69123", "marseille": "13055"}

Status = Literal["found", "ambiguous", "not_found"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A commune the query may mean, with a score in [0, 1] and what matched."""

    commune: Commune
    score: float
    matched: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """The answer to a query: found (one candidate), ambiguous (ask which) or not found."""

    query: str
    status: Status
    candidates: tuple[Candidate, ...]

    @property
    def best(self) -> Commune | None:
        """The resolved commune when found."""
        return self.candidates[0].commune if self.status == "found" else None


MAX_FUZZY_NAMES = 3
TYPO_PENALTY = 30  # a typo's commune must be this many times more populous per edit
MIN_PREFIX = 3  # letters of a name followed by extra words (« Pau centre »)
MIN_TOWN = 2000  # inhabitants of a commune named with a neighbourhood (« pas envie » is no Le Pas)
NEAREST_MAX_KM = 30.0
_GRID = 0.25  # degrees per cell of the nearest-commune grid (about 28 km north-south)

# Scores tell the bot how sure we are; the order between kinds of match is what matters.
SCORE_NAME = 1.0
SCORE_WITHOUT_ARTICLE = 0.99
SCORE_ALIAS = 0.97
SCORE_SHORT = 0.96
SCORE_VARIANT = 0.9
SCORE_EXTRA_WORDS = 0.9  # a name followed by a neighbourhood: found, to confirm
SCORE_CODE = 1.0
SCORE_POSTCODE = 0.95


class Resolver:
    """Resolve what a citizen types (name, postcode, code, coordinates) to communes."""

    def __init__(self, table: GeoTable) -> None:
        self.table = table
        self._by_key: dict[str, dict[str, tuple[float, str, Tier]]] = defaultdict(dict)
        self._by_postcode: dict[str, list[Commune]] = defaultdict(list)
        self._by_code: dict[str, Commune] = {}
        self._departments: dict[str, str] = {}
        self._grid: dict[tuple[int, int], list[Commune]] = defaultdict(list)
        self._arrondissements: dict[tuple[str, int], Commune] = {}
        for commune in table.communes.values():
            self._index(commune)
        for department in table.departments.values():
            self._departments[department.code.lower()] = department.code
            self._departments[name_key(department.name)] = department.code
            words = name_tokens(department.name)
            if len(words) > 1 and words[0] in _ARTICLE_WORDS:  # « Réunion » for « La Réunion »
                self._departments.setdefault("".join(words[1:]), department.code)
            if department.code.isdigit() and len(department.code) == 2:
                self._departments[department.code.lstrip("0")] = department.code
        self._keys_by_length: dict[int, list[str]] = defaultdict(list)
        for key in self._by_key:
            self._keys_by_length[len(key)].append(key)
        self._pools: dict[tuple[int, int], list[str]] = {}

    def _index(self, commune: Commune) -> None:
        self._by_code[commune.insee] = commune
        for code in commune.former_codes:
            self._by_code.setdefault(code, commune)
        for postcode in commune.postcodes:
            self._by_postcode[postcode].append(commune)
        if (
            commune.lat is not None
            and commune.lon is not None
            and commune.insee not in _PLM.values()
        ):
            self._grid[self._cell(commune.lat, commune.lon)].append(commune)
        if commune.parent:
            number = int(re.findall(r"\d+", commune.name)[0])
            city = next(name for name, code in _PLM.items() if code == commune.parent)
            self._arrondissements[(city, number)] = commune
            return
        self._add_key(name_key(commune.name), commune, SCORE_NAME, "name", Tier.OFFICIAL)
        if commune.article:
            bare = commune.name[len(commune.article) :].lstrip(" '’")
            self._add_key(name_key(bare), commune, SCORE_WITHOUT_ARTICLE, "name", Tier.OFFICIAL)
        for short in short_names(commune.name, commune.article):
            self._add_key(name_key(short), commune, SCORE_SHORT, f"nom usuel : {short}", Tier.SHORT)
        for alias in commune.aliases:
            matched = f"ancien nom : {alias}"
            self._add_key(name_key(alias), commune, SCORE_ALIAS, matched, Tier.FORMER)

    def _add_key(self, key: str, commune: Commune, score: float, matched: str, tier: Tier) -> None:
        if not key:
            return
        known = self._by_key[key].get(commune.insee)
        if known is None or known[2] > tier or (known[2] == tier and known[0] < score):
            self._by_key[key][commune.insee] = (score, matched, tier)

    @staticmethod
    def _cell(lat: float, lon: float) -> tuple[int, int]:
        return (math.floor(lat / _GRID), math.floor(lon / _GRID))

    def resolve(self, query: str) -> Resolution:
        """Resolve a free-text query; never raises."""
        text = _CEDEX.sub(" ", query.strip().lower())[:200]
        coordinates = _COORDINATES.match(text)
        if coordinates:
            return self._resolve_coordinates(query, coordinates.group(1), coordinates.group(2))
        tokens = name_tokens(text)
        while tokens and tokens[-1] in _ARRONDISSEMENT_WORDS:
            tokens.pop()
        if not tokens:
            return Resolution(query, "not_found", ())
        if len(tokens) == 1 and len(tokens[0]) == 5 and tokens[0][:2].isalnum():
            by_code = self._resolve_code(query, tokens[0])
            if by_code is not None:
                return by_code
        arrondissement = self._resolve_arrondissement(tokens)
        if arrondissement is not None:
            return _answer(query, [Candidate(arrondissement, SCORE_NAME, "arrondissement")])
        if len(tokens) > 1 and tokens[-1] in _ARTICLE_WORDS:  # « Mans (Le) », « Havre, le »
            exact = rank_names(self._hits("".join([tokens[-1], *tokens[:-1]])))
            if exact:
                return _answer(query, exact)
        exact = rank_names(self._hits("".join(tokens)))
        if exact:
            return _answer(query, exact)
        return self._resolve_qualified(query, tokens)

    def _resolve_coordinates(self, query: str, lat_text: str, lon_text: str) -> Resolution:
        lat, lon = float(lat_text), float(lon_text)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return Resolution(query, "not_found", ())
        nearest = self.nearest(lat, lon)
        if nearest is None:
            return Resolution(query, "not_found", ())
        commune, km = nearest
        return Resolution(query, "found", (Candidate(commune, 1.0, f"position à {km:.1f} km"),))

    def _resolve_code(self, query: str, token: str) -> Resolution | None:
        communes = self._by_postcode.get(token)
        if communes:
            largest = sorted(communes, key=lambda c: -c.population)
            return _answer(query, [Candidate(c, SCORE_POSTCODE, "code postal") for c in largest])
        commune = self._by_code.get(token.upper())
        if commune is not None:
            return Resolution(query, "found", (Candidate(commune, SCORE_CODE, "code INSEE"),))
        if token.isdigit():
            return Resolution(query, "not_found", ())
        return None

    def _resolve_arrondissement(self, tokens: list[str]) -> Commune | None:
        if len(tokens) != 2 or tokens[0] not in _PLM:
            return None
        number = _ordinal(tokens[1])
        return None if number is None else self._arrondissements.get((tokens[0], number))

    def _hits(self, key: str) -> list[Hit]:
        """The communes a key names exactly, and those it names but for a final « s »."""
        hits = [
            Hit(Candidate(self.table.communes[insee], score, matched), tier)
            for insee, (score, matched, tier) in self._by_key.get(key, {}).items()
        ]
        variant = key[:-1] if key.endswith("s") else key + "s"
        if not hits or len(variant) < 4 or variant not in self._by_key:
            return hits  # a variant alone is a typo, weighed with the others
        for insee, (_, _, tier) in self._by_key[variant].items():
            if tier != Tier.FORMER:  # « Chalons »: Chalon-sur-Saône as well as Châlons
                matched = f"orthographe proche : {variant}"
                candidate = Candidate(self.table.communes[insee], SCORE_VARIANT, matched)
                hits.append(Hit(candidate, Tier.NEAR, edits=1))
        return hits

    def _resolve_qualified(self, query: str, tokens: list[str]) -> Resolution:
        """Handle "name + postcode" either way round, "name + département", extra words, typos."""
        postcode: str | None = None
        department: str | None = None
        name = tokens
        if len(tokens) > 1 and len(tokens[0]) == 5 and tokens[0].isdigit():  # « 62000 Arras »
            postcode, name = tokens[0], tokens[1:]
        for width in (1, 2, 3):
            if postcode or len(tokens) <= width:
                break
            tail = "".join(tokens[-width:])
            if width == 1 and len(tail) == 5 and tail.isdigit():
                postcode, name = tail, tokens[:-1]
                break
            if tail in self._departments:
                department, name = self._departments[tail], tokens[:-width]
                break
        if name and name[-1] in _ARTICLE_WORDS and len(name) > 1:
            name = [name[-1], *name[:-1]]
        if len(name) > 1 and name[0] in _LEADING_WORDS:
            name = name[1:]
        hits, rank = self._name_hits(name)
        if postcode or department:
            narrowed = [
                h
                for h in hits
                if (postcode is None or postcode in h.candidate.commune.postcodes)
                and (department is None or h.candidate.commune.department == department)
            ]
            if postcode and not narrowed:  # « Lyon 69003 »: the postcode names an arrondissement
                cities = {h.candidate.commune.insee for h in hits}
                narrowed = [
                    Hit(Candidate(c, SCORE_NAME, "arrondissement"), Tier.OFFICIAL)
                    for c in self._by_postcode.get(postcode, ())
                    if c.parent in cities
                ]
            if narrowed:
                hits = narrowed
            elif postcode and not hits:
                return self._resolve_code(query, postcode) or Resolution(query, "not_found", ())
        return _answer(query, rank(hits))

    def _name_hits(
        self, name: list[str]
    ) -> tuple[list[Hit], Callable[[list[Hit]], list[Candidate]]]:
        """The name itself, else a typo of it, else the name followed by extra words."""
        hits = self._hits("".join(name))
        if hits:
            return hits, rank_names
        hits = self._fuzzy("".join(name))
        if hits:
            return hits, rank_near
        arrondissement = self._resolve_arrondissement(name[:2]) if len(name) > 2 else None
        if arrondissement is not None:  # « Paris 15e Vaugirard »
            found = Candidate(arrondissement, SCORE_EXTRA_WORDS, "arrondissement")
            return [Hit(found, Tier.OFFICIAL)], rank_names
        for width in range(len(name) - 1, 0, -1):  # « Toulouse Empalot », « Arras centre »
            key = "".join(name[:width])
            hits = self._hits(key) if len(key) >= MIN_PREFIX else []
            hits = [h for h in hits if h.population >= MIN_TOWN]
            if hits:
                return [_followed(h, name[width:]) for h in hits], rank_names
        return [], rank_names

    def _fuzzy(self, key: str) -> list[Hit]:
        """Names within one edit (short names) or two edits (six letters or more), weighted.

        Each edit divides a commune's plausibility by TYPO_PENALTY: « Nancie » is Nancy
        (two edits, 100,000 inhabitants) before Lancié (one edit, 900 inhabitants). Two edits
        away, only communes of TYPO_PENALTY² inhabitants or more are believed.
        """
        if len(key) < 4 or key.isdigit():
            return []
        limit = 1 if len(key) < 6 else 2
        pool = self._pools.get((len(key), limit))
        if pool is None:  # the keys of nearby lengths, gathered once per length
            lengths = range(len(key) - limit, len(key) + limit + 1)
            pool = [k for length in lengths for k in self._keys_by_length.get(length, ())]
            self._pools[(len(key), limit)] = pool
        matches = process.extract(key, pool, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not matches:
            return []
        hits = [hit for match, edits, _ in matches for hit in self._typos(match, edits, len(key))]
        heaviest = max((h.weight for h in hits), default=0.0)
        plausible = [h for h in hits if h.weight * DOMINANT >= heaviest]
        nearest = min((h.edits for h in plausible), default=0)
        if len({h.candidate.matched for h in plausible if h.edits == nearest}) > MAX_FUZZY_NAMES:
            return []  # too many look-alikes: the text is probably not a commune name at all
        return hits

    def _typos(self, match: str, edits: int, length: int) -> list[Hit]:
        """The communes of a key `edits` away from what was typed, weighed by population."""
        entries = self._by_key[match]
        communes = self.table.communes
        official = max(
            (communes[i].population for i, e in entries.items() if e[2] == Tier.OFFICIAL),
            default=-1,
        )
        hits = []
        for insee, (score, _, tier) in entries.items():
            commune = communes[insee]
            if tier == Tier.SHORT and commune.population <= official:
                continue  # as for exact names: « Montauban », not Montauban-de-Bretagne
            weight = max(commune.population, 1) / TYPO_PENALTY**edits
            if weight < 1 and edits > 1:
                continue
            if tier == Tier.FORMER:  # a former name never outranks a living one
                weight /= TYPO_PENALTY
            score = round(score * (1 - edits / (length + 2)), 3)
            found = Candidate(commune, score, f"orthographe proche : {match}")
            hits.append(Hit(found, Tier.NEAR, weight, edits))
        return hits

    def nearest(self, lat: float, lon: float) -> tuple[Commune, float] | None:
        """The commune whose centre is nearest to a position, within 30 km, with the distance."""
        row, col = self._cell(lat, lon)
        best: tuple[Commune, float] | None = None
        for ring in range(0, 3):
            for r in range(row - ring, row + ring + 1):
                for c in range(col - ring, col + ring + 1):
                    if max(abs(r - row), abs(c - col)) != ring:
                        continue
                    for commune in self._grid.get((r, c), ()):
                        assert commune.lat is not None and commune.lon is not None
                        km = distance_km(lat, lon, commune.lat, commune.lon)
                        if best is None or km < best[1]:
                            best = (commune, km)
            # Anything in a further ring is at least `ring` cells (~ring * 18 km) away.
            if best is not None and best[1] < ring * _GRID * 111 * 0.6:
                break
        if best is None or best[1] > NEAREST_MAX_KM:
            return None
        return best


def _followed(hit: Hit, words: list[str]) -> Hit:
    """A hit on the first words of the text: the rest is a neighbourhood, to confirm."""
    score = round(hit.candidate.score * SCORE_EXTRA_WORDS, 3)
    matched = f"nom suivi d'autres mots : {' '.join(words)}"
    return replace(hit, candidate=replace(hit.candidate, score=score, matched=matched))


def _ordinal(token: str) -> int | None:
    """The number of « 13e », « 1er », « XVIIIe »: an arrondissement's ordinal."""
    arabic = _ORDINAL.match(token)
    if arabic:
        return int(arabic.group(1))
    roman = _ROMAN_ORDINAL.match(token)
    if roman is None:
        return None
    values = [_ROMAN[letter] for letter in roman.group(1)]
    return sum(-v if v < w else v for v, w in zip(values, [*values[1:], 0], strict=True))


def _answer(query: str, candidates: list[Candidate]) -> Resolution:
    """Keep the first candidate of each commune, in the order given; one is found, more ask."""
    if not candidates:
        return Resolution(query, "not_found", ())
    unique: dict[str, Candidate] = {}
    for candidate in candidates:
        unique.setdefault(candidate.commune.insee, candidate)
    ranked = list(unique.values())
    status: Status = "found" if len(ranked) == 1 else "ambiguous"
    return Resolution(query, status, tuple(ranked[:MAX_CANDIDATES]))
