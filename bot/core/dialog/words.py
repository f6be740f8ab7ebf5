"""Which offered answer a typed text names: its number, label or synonym, in the citizen's words.

Typed answers are compared folded (case, accents and punctuation ignored), in this order: the
number of the answer; the whole text equal to one of an answer's names; a name said within a
longer sentence (« le matin svp », « ça prend forme, on a rencontré la mairie »), the longest one
winning; the text said within a longer name (« bien vieillir »); then typos, word group by word
group. Two different answers named equally well is no answer: the question is asked again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.core.geo import fold

MIN_NAME = 3  # letters of the shortest name looked for within a sentence (« moi »)
MIN_INSIDE = 4  # letters of the shortest text looked for within a longer name
TYPO_SCORE = 86.0  # rapidfuzz ratio above which a text is taken as a typo of a name
MIN_TYPO = 5  # letters of the shortest name a typo is looked for in
_PARENTHESES = re.compile(r"\(([^)]*)\)")
_PARTS = re.compile(r"[,;:/…]|\.\.\.")


@dataclass(frozen=True, slots=True)
class Choice:
    """An offered answer and every name a citizen may type for it (labels, synonyms)."""

    value: str
    names: tuple[str, ...]


def names_of(*labels: str) -> tuple[str, ...]:
    """A label's names: itself, without its parentheses, and each of its parts (« Scop »)."""
    found: list[str] = []
    for label in labels:
        found.append(label)
        inside = _PARENTHESES.findall(label)
        outside = _PARENTHESES.sub(" ", label)
        found.append(outside)
        for piece in (outside, *inside):
            found.extend(_PARTS.split(piece))
    return tuple(found)


class Chooser:
    """Reads a typed answer against the answers offered; build one per question shown."""

    def __init__(self, choices: Iterable[Choice]) -> None:
        self.choices = tuple(choices)
        self._names: list[tuple[str, str]] = []  # (folded name, value), each pair once
        seen: set[tuple[str, str]] = set()
        for choice in self.choices:
            for name in choice.names:
                folded = fold(name)
                if folded and (folded, choice.value) not in seen:
                    seen.add((folded, choice.value))
                    self._names.append((folded, choice.value))

    def pick(self, text: str) -> str | None:
        """The value of the one answer the text names, or None (nothing, or two answers)."""
        folded = fold(text)
        if not folded:
            return None
        if folded.isdigit():
            number = int(folded)
            return self.choices[number - 1].value if 1 <= number <= len(self.choices) else None
        exact = {value for name, value in self._names if name == folded}
        if exact:
            return _one(exact)
        return self._within(folded) or self._inside(folded) or self._typo(folded)

    def _within(self, folded: str) -> str | None:
        """A name said within the sentence, as whole words; the longest name wins."""
        padded = f" {folded} "
        best: dict[str, int] = {}
        for name, value in self._names:
            if len(name.replace(" ", "")) >= MIN_NAME and f" {name} " in padded:
                best[value] = max(best.get(value, 0), len(name))
        return _longest(best)

    def _inside(self, folded: str) -> str | None:
        """The sentence said within a longer name, as whole words (« bien vieillir »)."""
        if len(folded.replace(" ", "")) < MIN_INSIDE:
            return None
        padded = f" {folded} "
        return _one({value for name, value in self._names if padded in f" {name} "})

    def _typo(self, folded: str) -> str | None:
        """A name typed with a slip, compared with word groups of the same length."""
        if len(folded) < MIN_TYPO:
            return None
        words = folded.split()
        scores: dict[str, float] = {}
        for name, value in self._names:
            if len(name) < MIN_TYPO:
                continue
            size = len(name.split())
            windows = [" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))]
            score = max(fuzz.ratio(window, name) for window in windows)
            if score >= TYPO_SCORE:
                scores[value] = max(scores.get(value, 0.0), score)
        if not scores:
            return None
        top = max(scores.values())
        return _one({value for value, score in scores.items() if score >= top - 2})


def _one(values: set[str]) -> str | None:
    return next(iter(values)) if len(values) == 1 else None


def _longest(lengths: dict[str, int]) -> str | None:
    if not lengths:
        return None
    top = max(lengths.values())
    return _one({value for value, length in lengths.items() if length == top})


def said(text: str, words: Sequence[str]) -> bool:
    """Whether the text is one of these words or expressions (folded), as a whole."""
    folded = fold(text)
    return bool(folded) and any(folded == fold(word) for word in words)
