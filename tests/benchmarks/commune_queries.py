"""The held-out commune queries « as people name them »: hit rate and the misses, by kind."""

from __future__ import annotations

import csv
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.core.catalog import DEFAULT_KNOWLEDGE, Catalog
from bot.core.resolver import Resolution, Resolver

QUERIES = Path(__file__).resolve().parents[1] / "data" / "commune_queries.tsv"
ACCEPTED = 0.95  # the dialog accepts a found commune directly from this score


@dataclass(frozen=True)
class Query:
    """One held-out query and what a citizen should get back."""

    text: str
    kind: str
    first: tuple[str, ...]
    also: tuple[str, ...]
    what: str


def load_queries(path: Path = QUERIES) -> list[Query]:
    """The held-out set, without its comment lines."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return [
        Query(row["query"], row["kind"], tuple(row["first"].split()), tuple(row["also"].split()),
              row["what"])
        for row in csv.DictReader(lines, delimiter="\t")
    ]  # fmt: skip


def miss(query: Query, resolution: Resolution) -> str | None:
    """Why the resolution does not give what the query expects, or None when it does."""
    codes = [c.commune.insee for c in resolution.candidates]
    got = f"{resolution.status} {[(c.commune.name, c.score) for c in resolution.candidates[:4]]}"
    if query.kind == "not_found":
        return None if resolution.status == "not_found" else got
    if not codes or codes[0] not in query.first:
        return got
    score = resolution.candidates[0].score
    if query.kind == "found":
        return None if resolution.status == "found" and score >= ACCEPTED else got
    if query.kind == "confirm":
        return None if resolution.status == "found" and score < ACCEPTED else got
    if query.kind == "offer":
        return None
    if query.kind == "ambiguous":
        wanted = set(query.first if len(query.first) > 1 else ()) | set(query.also)
        return None if resolution.status == "ambiguous" and wanted <= set(codes) else got
    raise ValueError(f"unknown kind {query.kind!r}")


def report(resolver: Resolver, queries: list[Query]) -> list[tuple[Query, str]]:
    """Print the hit rate, overall and by kind, and return the misses."""
    misses = []
    for query in queries:
        why = miss(query, resolver.resolve(query.text))
        if why is not None:
            misses.append((query, why))
    kinds = Counter(q.kind for q in queries)
    missed = Counter(q.kind for q, _ in misses)
    hits = len(queries) - len(misses)
    print(f"commune queries: {hits}/{len(queries)} = {hits / len(queries):.1%}")
    for kind, total in sorted(kinds.items()):
        print(f"  {kind:10} {total - missed[kind]}/{total}")
    for query, why in misses:
        print(f"  MISS {query.text!r} ({query.kind} {' '.join(query.first)}): {why}")
    return misses


if __name__ == "__main__":
    report(Catalog.load(DEFAULT_KNOWLEDGE).resolver, load_queries())
    sys.exit(0)
