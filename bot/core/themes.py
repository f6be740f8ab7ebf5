"""Detect the themes of an idea told in free French text, with the words that gave them away."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.geo import fold
from bot.core.models import Theme

# Words that carry no theme; removed from both the lexicon and the text so that
# « aide à domicile » matches « aide au domicile » and « aides domicile ».
_STOPWORDS_TEXT = (
    "a au aux avec ce ces cet cette chez d dans de des du en et la le les l leur leurs ma mes "
    "mon nos notre ou par pour qu que qui sa se ses son sur ta tes ton un une vos votre y j je "
    "il ils elle elles on nous vous me m t te s n ne pas plus tres bien faire fait est sont"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
KEYWORD_WEIGHT = 1.0
HINT_WEIGHT = 0.35
PHRASE_BONUS = 0.5  # per extra word: « jardin partagé » says more than « jardin »
TYPO_FACTOR = 0.8
THRESHOLD = 0.7  # one keyword, or two hints, before any theme is proposed
SECONDARY_THRESHOLD = 0.35  # one hint, for the themes that come after a clear one
MIN_FUZZY_LENGTH = 5  # shorter words (« foot », « bus », « DAE ») only match exactly


def stem(token: str) -> str:
    """A light French stem: plural and « -ée » feminine marks only, so that meanings stay apart."""
    if len(token) > 3 and token[-1] in "sx" and not token.endswith("ss"):  # « réseaux » too
        token = token[:-1]
    if len(token) > 4 and token.endswith("ee"):  # réfugiée, âgée → réfugié, âgé
        token = token[:-1]
    return token


def terms(text: str) -> list[str]:
    """Folded, stemmed, meaningful words of a text."""
    return [stem(token) for token in fold(text).split() if token not in STOPWORDS]


_SNOWBALL = snowballstemmer.stemmer("french")


@lru_cache(maxsize=50_000)
def root(term: str) -> str:
    """The Snowball root of a term, so that « isoler » meets « isolation ».

    Short words stay whole: « CAE » is not « ça », « bus » is not « bu ».
    """
    return term if len(term) < MIN_FUZZY_LENGTH else str(_SNOWBALL.stemWord(term))


@dataclass(frozen=True, slots=True)
class ThemeScore:
    """A detected theme with its score in (0, 1] and the words that matched."""

    slug: str
    score: float
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Entry:
    slug: str
    words: tuple[str, ...]
    weight: float
    original: str


class ThemeDetector:
    """Match texts against the theme lexicon, tolerant to accents, plurals and typos."""

    def __init__(self, themes: Iterable[Theme], known_words: Iterable[str] = ()) -> None:
        self._entries_by_first: dict[str, list[_Entry]] = defaultdict(list)
        self._root_of: dict[str, str] = {}  # lexicon word → its root
        for theme in themes:
            for words, weight in ((theme.keywords, KEYWORD_WEIGHT), (theme.hints, HINT_WEIGHT)):
                for original in words:
                    entry_terms = terms(original)
                    if not entry_terms:
                        continue
                    roots = tuple(root(t) for t in entry_terms)
                    bonus = PHRASE_BONUS * (len(roots) - 1)
                    entry = _Entry(theme.slug, roots, weight + bonus, original)
                    self._entries_by_first[roots[0]].append(entry)
                    self._root_of.update(zip(entry_terms, roots, strict=True))
        vocabulary = set(self._root_of)
        self._roots = frozenset(self._root_of.values())
        # A real French word is never taken for a typo of another (« traiteur » is not
        # « tracteur », « retrait » is not « retraité »): typos are forgiven only for non-words.
        self._known = frozenset(stem(fold(word)) for word in known_words) - vocabulary
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(vocabulary):
            if len(word) >= MIN_FUZZY_LENGTH:
                self._by_length[len(word)].append(word)
        self._canonical = lru_cache(maxsize=20_000)(self._canonical_uncached)

    def _canonical_uncached(self, word: str) -> tuple[str, bool]:
        """The lexicon root a text word stands for, and whether a typo was forgiven."""
        word_root = root(word)
        if (
            word_root in self._roots
            or word in self._known
            or len(word) < MIN_FUZZY_LENGTH
            or word.isdigit()
        ):
            return word_root, False
        limit = 1 if len(word) < 9 else 2
        pool = [
            w for n in range(len(word) - limit, len(word) + limit + 1) for w in self._by_length[n]
        ]
        best = process.extractOne(word, pool, scorer=OSA.distance, score_cutoff=limit)
        return (self._root_of[best[0]], True) if best is not None else (word_root, False)

    def detect(self, text: str, limit: int = 5) -> list[ThemeScore]:
        """Rank the themes of `text`, best first; empty when nothing points to a theme."""
        words = [self._canonical(word) for word in terms(text[:5000])]
        raw: dict[str, float] = defaultdict(float)
        evidence: dict[str, list[str]] = defaultdict(list)
        used: set[tuple[str, str]] = set()
        for start, (word, _) in enumerate(words):
            for entry in self._entries_by_first.get(word, ()):
                span = words[start : start + len(entry.words)]
                if tuple(w for w, _ in span) != entry.words:
                    continue
                if (entry.slug, entry.original) in used:
                    continue
                used.add((entry.slug, entry.original))
                typo = any(forgiven for _, forgiven in span)
                raw[entry.slug] += entry.weight * (TYPO_FACTOR if typo else 1.0)
                evidence[entry.slug].append(entry.original)
        ranked = sorted(raw, key=lambda slug: (-raw[slug], slug))
        if not ranked or raw[ranked[0]] < THRESHOLD:
            return []
        # Once one theme is clear, a weaker one (a single hint) may come second or third:
        # ideas often touch two fields, and the second is named in passing.
        ranked = [slug for slug in ranked if raw[slug] >= SECONDARY_THRESHOLD]
        return [
            ThemeScore(slug, round(1 - math.exp(-raw[slug]), 3), tuple(evidence[slug]))
            for slug in ranked[:limit]
        ]
