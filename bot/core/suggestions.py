"""Communes suggested as a citizen types: prefix matches on folded names and on postcodes."""

from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass

from bot.core.geo import Commune, GeoTable, name_key

MIN_QUERY = 2  # characters: a single letter names thousands of communes
MAX_LIMIT = 20
# A prefix shared by thousands of names (« saint ») is ranked over at most this many keys.
MAX_SCAN = 20_000
_Entry = tuple[str, str, bool]  # (folded key, INSEE code, whether an official name)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One commune offered: its code, name, label as the resolver reads it back, postcode."""

    code: str
    name: str
    label: str
    department: str
    postcode: str


class Suggestions:
    """Prefix search over the geo table, built once: sorted keys, found by bisection."""

    def __init__(self, table: GeoTable) -> None:
        self.table = table
        names: set[_Entry] = set()
        postcodes: set[_Entry] = set()
        for commune in table.communes.values():
            for name, official in _names(commune):
                key = name_key(name)
                if key:
                    names.add((key, commune.insee, official))
            for postcode in commune.postcodes:
                postcodes.add((postcode, commune.insee, True))
        self._names = sorted(names)
        self._name_keys = [entry[0] for entry in self._names]
        self._postcodes = sorted(postcodes)
        self._postcode_keys = [entry[0] for entry in self._postcodes]

    def suggest(self, query: str, limit: int = 8) -> list[Suggestion]:
        """The communes whose name or postcode starts with `query`, best first.

        An exact name comes first, then the most populous; accents, case, hyphens and « st »
        for « saint » do not matter. Fewer than two characters: nothing.
        """
        limit = max(1, min(limit, MAX_LIMIT))
        text = query.strip()[:100]
        if len(text) < MIN_QUERY:
            return []
        compact = text.replace(" ", "")
        if compact.isdigit():
            matches = _prefixed(self._postcode_keys, self._postcodes, compact)
            return self._ranked(matches, compact, limit, by_postcode=True)
        key = name_key(text)
        if len(key) < MIN_QUERY:
            return []
        return self._ranked(_prefixed(self._name_keys, self._names, key), key, limit)

    def _ranked(
        self, matches: list[_Entry], query: str, limit: int, by_postcode: bool = False
    ) -> list[Suggestion]:
        # An exact name first, then official names before former ones, then the most populous.
        best: dict[str, tuple[bool, bool, int, str]] = {}
        for key, insee, official in matches:
            commune = self.table.communes[insee]
            rank = (key == query, official, commune.population, key)
            known = best.get(insee)
            if known is None or rank[:3] > known[:3]:
                best[insee] = rank
        top = heapq.nlargest(limit, best.items(), key=lambda item: (item[1][:3], item[0]))
        return [
            self._suggestion(self.table.communes[insee], rank[3] if by_postcode else None)
            for insee, rank in top
        ]

    def _suggestion(self, commune: Commune, postcode: str | None) -> Suggestion:
        department = commune.department
        return Suggestion(
            code=commune.insee,
            name=commune.name,
            label=f"{commune.name} ({department})",
            department=department,
            postcode=postcode or (commune.postcodes[0] if commune.postcodes else ""),
        )


def _names(commune: Commune) -> list[tuple[str, bool]]:
    """The names a commune is typed by, official or not: its name, without its article, former."""
    names = [(commune.name, True), *((alias, False) for alias in commune.aliases)]
    if commune.article:
        names.append((commune.name[len(commune.article) :].lstrip(" '’"), True))
    return names


def _prefixed(keys: list[str], entries: list[_Entry], prefix: str) -> list[_Entry]:
    """The entries whose key starts with `prefix` (at most `MAX_SCAN` of them)."""
    start = bisect.bisect_left(keys, prefix)
    end = bisect.bisect_left(keys, prefix + "\uffff", lo=start)
    return entries[start : min(end, start + MAX_SCAN)]
