"""From what people type (a name, a postcode, a code, coordinates) to the communes they mean."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.geo import Commune, GeoTable, distance_km, name_key, name_tokens

_ARTICLE_WORDS = ("l", "le", "la", "les")
_ARRONDISSEMENT_WORDS = {"arrondissement", "arrondissements", "arr", "arrt", "arrdt", "ardt"}
_ORDINAL = re.compile(r"^(\d{1,2})(?:e|er|ere|eme|ieme|em|me)?$")
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


MAX_CANDIDATES = 10
MAX_FUZZY_NAMES = 3
DOMINANT = 20  # a look-alike this many times more populous is taken as the one meant
NEAREST_MAX_KM = 30.0
_GRID = 0.25  # degrees per cell of the nearest-commune grid (about 28 km north-south)

# Scores tell the bot how sure we are; the order between kinds of match is what matters.
SCORE_NAME = 1.0
SCORE_WITHOUT_ARTICLE = 0.99
SCORE_ALIAS = 0.97
SCORE_CODE = 1.0
SCORE_POSTCODE = 0.95


class Resolver:
    """Resolve what a citizen types (name, postcode, code, coordinates) to communes."""

    def __init__(self, table: GeoTable) -> None:
        self.table = table
        self._by_key: dict[str, dict[str, tuple[float, str]]] = defaultdict(dict)
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
            if department.code.isdigit() and len(department.code) == 2:
                self._departments[department.code.lstrip("0")] = department.code
        self._keys_by_length: dict[int, list[str]] = defaultdict(list)
        for key in self._by_key:
            self._keys_by_length[len(key)].append(key)

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
        self._add_key(name_key(commune.name), commune, SCORE_NAME, "name")
        if commune.article:
            bare = commune.name[len(commune.article) :].lstrip(" '’")
            self._add_key(name_key(bare), commune, SCORE_WITHOUT_ARTICLE, "name")
        for alias in commune.aliases:
            self._add_key(name_key(alias), commune, SCORE_ALIAS, f"ancien nom : {alias}")

    def _add_key(self, key: str, commune: Commune, score: float, matched: str) -> None:
        if not key:
            return
        known = self._by_key[key].get(commune.insee)
        if known is None or known[0] < score:
            self._by_key[key][commune.insee] = (score, matched)

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
            exact = self._lookup("".join([tokens[-1], *tokens[:-1]]))
            if exact:
                return _answer(query, exact)
        exact = self._lookup("".join(tokens))
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
            return _answer(query, [Candidate(c, SCORE_POSTCODE, "code postal") for c in communes])
        commune = self._by_code.get(token.upper())
        if commune is not None:
            return Resolution(query, "found", (Candidate(commune, SCORE_CODE, "code INSEE"),))
        if token.isdigit():
            return Resolution(query, "not_found", ())
        return None

    def _resolve_arrondissement(self, tokens: list[str]) -> Commune | None:
        if len(tokens) != 2 or tokens[0] not in _PLM:
            return None
        ordinal = _ORDINAL.match(tokens[1])
        if ordinal is None:
            return None
        return self._arrondissements.get((tokens[0], int(ordinal.group(1))))

    def _lookup(self, key: str) -> list[Candidate]:
        return [
            Candidate(self.table.communes[insee], score, matched)
            for insee, (score, matched) in self._by_key.get(key, {}).items()
        ]

    def _resolve_qualified(self, query: str, tokens: list[str]) -> Resolution:
        """Handle "name + postcode", "name + département", article forms and typos."""
        postcode: str | None = None
        department: str | None = None
        name = tokens
        for width in (1, 2, 3):
            if len(tokens) <= width:
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
        if len(name) > 1 and name[0] in ("commune", "ville", "village", "a", "au", "en"):
            name = name[1:]
        key = "".join(name)
        candidates = self._lookup(key) or self._fuzzy(key)
        if postcode or department:
            narrowed = [
                c
                for c in candidates
                if (postcode is None or postcode in c.commune.postcodes)
                and (department is None or c.commune.department == department)
            ]
            if postcode and not narrowed:  # « Lyon 69003 »: the postcode names an arrondissement
                cities = {c.commune.insee for c in candidates}
                narrowed = [
                    Candidate(c, SCORE_NAME, "arrondissement")
                    for c in self._by_postcode.get(postcode, ())
                    if c.parent in cities
                ]
            if narrowed:
                candidates = narrowed
            elif postcode and not candidates:
                return self._resolve_code(query, postcode) or Resolution(query, "not_found", ())
        return _answer(query, candidates)

    def _fuzzy(self, key: str) -> list[Candidate]:
        """Names within one edit (short names) or two edits (six letters or more)."""
        if len(key) < 4 or key.isdigit():
            return []
        limit = 1 if len(key) < 6 else 2
        pool = [
            k
            for length in range(len(key) - limit, len(key) + limit + 1)
            for k in self._keys_by_length.get(length, ())
        ]
        matches = process.extract(key, pool, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not matches:
            return []
        best = min(distance for _, distance, _ in matches)
        if sum(1 for _, distance, _ in matches if distance == best) > MAX_FUZZY_NAMES:
            return []  # too many look-alikes: the text is probably not a commune name at all
        found: dict[str, Candidate] = {}
        for match, distance, _ in matches:
            if distance != best:
                continue
            for candidate in self._lookup(match):
                score = round(candidate.score * (1 - distance / (len(key) + 2)), 3)
                known = found.get(candidate.commune.insee)
                if known is None or known.score < score:
                    found[candidate.commune.insee] = Candidate(
                        candidate.commune, score, f"orthographe proche : {match}"
                    )
        ranked = sorted(found.values(), key=lambda c: -c.commune.population)
        if (
            len(ranked) > 1
            and ranked[0].commune.population >= DOMINANT * ranked[1].commune.population
        ):
            return ranked[:1]  # « Monpellier » means Montpellier, not Le Montellier
        return ranked

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


def _answer(query: str, candidates: list[Candidate]) -> Resolution:
    """Rank candidates (best match, then largest first) and decide found or ambiguous."""
    if not candidates:
        return Resolution(query, "not_found", ())
    unique: dict[str, Candidate] = {}
    for candidate in candidates:
        known = unique.get(candidate.commune.insee)
        if known is None or known.score < candidate.score:
            unique[candidate.commune.insee] = candidate
    ranked = sorted(unique.values(), key=lambda c: (-c.score, -c.commune.population))
    status: Status = "found" if len(ranked) == 1 else "ambiguous"
    return Resolution(query, status, tuple(ranked[:MAX_CANDIDATES]))
