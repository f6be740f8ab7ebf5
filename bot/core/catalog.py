"""The loaded knowledge base with its indexes: what every channel asks questions of."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.core.geo import GeoTable
from bot.core.knowledge import Knowledge, load_knowledge
from bot.core.matching import Matcher
from bot.core.resolver import Resolver
from bot.core.suggestions import Suggestions
from bot.core.themes import ThemeDetector

DEFAULT_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


@dataclass(frozen=True)
class Catalog:
    """Knowledge plus the resolver, theme detector and matcher built from it."""

    knowledge: Knowledge
    resolver: Resolver
    themes: ThemeDetector
    matcher: Matcher
    suggestions: Suggestions  # communes as a citizen types (the web chat)

    @classmethod
    def load(cls, root: Path = DEFAULT_KNOWLEDGE, today: dt.date | None = None) -> Catalog:
        """Load and check the knowledge under `root`; raises ContentError on bad content."""
        geo = GeoTable.load(root / "geo")
        knowledge = load_knowledge(root, geo, today)
        return cls(
            knowledge=knowledge,
            resolver=Resolver(geo),
            themes=ThemeDetector(knowledge.themes, french_words()),
            matcher=Matcher(knowledge),
            suggestions=Suggestions(geo),
        )


def french_words() -> frozenset[str]:
    """Common French words (pyspellchecker's frequency list), to tell typos from real words."""
    data = resources.files("spellchecker").joinpath("resources/fr.json.gz").read_bytes()
    words: dict[str, int] = json.loads(gzip.decompress(data))
    return frozenset(words)
