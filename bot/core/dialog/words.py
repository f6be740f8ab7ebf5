"""Which offered answer a typed text names: its number, label or synonym, in the citizen's words.

Typed answers are compared folded (case, accents and punctuation ignored), in this order: the
number of the answer; the whole text equal to one of an answer's names; a name said within a
longer sentence (« le matin svp », « ça prend forme, on a rencontré la mairie »), a name nested in
a longer one giving way; the text said within a longer name (« bien vieillir »); then typos, word
group by word group. Two different answers named is no answer: the question is asked again;
so is a sentence whose every name is denied (« pas encore d'asso »): it says what is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.core.geo import fold
from bot.core.models import Text

MIN_NAME = 3  # letters of the shortest name looked for within a sentence (« moi »)
MIN_INSIDE = 4  # letters of the shortest text looked for within a longer name
TYPO_SCORE = 86.0  # rapidfuzz ratio above which a text is taken as a typo of a name
MIN_TYPO = 5  # letters of the shortest name a typo is looked for in
_PARENTHESES = re.compile(r"\(([^)]*)\)")
_PARTS = re.compile(r"[,;:/…]|\.\.\.")
# Folded words that deny the name they precede, and those that may stand between them.
_NEGATIONS = frozenset({"pas", "sans", "ni", "non", "plus", "jamais", "not", "no", "without"})
# Folded courtesies a short answer may carry before or after it.
_POLITENESS = re.compile(
    r"(?:^|\s)(?:svp|stp|s il vous plait|s il te plait|merci(?: beaucoup)?|please|thanks?)(?=\s|$)"
)
_FILLERS = frozenset(
    {"encore", "de", "d", "du", "des", "un", "une", "le", "la", "les", "l", "en", "yet", "a", "an"}
)


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


def labelled(value: str, label: Text, synonyms: Iterable[str] = ()) -> Choice:
    """An answer named by its label in both languages, the label's parts, and its synonyms."""
    return Choice(value, (*names_of(label.fr, label.en), *synonyms))


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
        named = self.named(text)
        return named[0] if len(named) == 1 else None

    def named(self, text: str) -> tuple[str, ...]:
        """The values of the answers the text names, in the order offered (none, one, more)."""
        folded = fold(text)
        if not folded:
            return ()
        if folded.isdigit():
            number = int(folded)
            return (self.choices[number - 1].value,) if 1 <= number <= len(self.choices) else ()
        if self._denied(folded):  # nor may a typo or a longer name take it back
            return ()
        for stage in (self._exact, self._within, self._inside, self._typo):
            found = stage(folded)
            if found:  # the first way of naming that finds anything decides, even « two »
                return tuple(c.value for c in self.choices if c.value in found)
        return ()

    def _exact(self, folded: str) -> set[str]:
        """The whole text is one of the names."""
        return {value for name, value in self._names if name == folded}

    def _within(self, folded: str) -> set[str]:
        """Names said within the sentence, as whole words: one answer, once nested ones go.

        A name inside a longer name of another answer said there does not count (« aide » in
        « aide financière »); two answers named apart (« le matin ou le soir ») are no answer.
        """
        spans = self._spans(folded)
        return {
            value
            for start, end, value in spans
            if not any(s <= start and end <= e and v != value and e - s > end - start
                       for s, e, v in spans)
        }  # fmt: skip

    def _spans(self, folded: str) -> list[tuple[int, int, str]]:
        """Where each name stands in the sentence, as whole words: (start, end, value)."""
        padded = f" {folded} "
        spans: list[tuple[int, int, str]] = []
        for name, value in self._names:
            if len(name.replace(" ", "")) < MIN_NAME:
                continue
            start = padded.find(f" {name} ")
            while start >= 0:
                spans.append((start, start + len(name) + 2, value))
                start = padded.find(f" {name} ", start + 1)
        return spans

    def _denied(self, folded: str) -> bool:
        """Every name the sentence says is denied (« pas encore d'asso »): it names no answer."""
        spans = self._spans(folded)
        padded = f" {folded} "
        return bool(spans) and all(_negated(padded[:start]) for start, _, _ in spans)

    def _inside(self, folded: str) -> set[str]:
        """The sentence said within a longer name, as whole words (« bien vieillir »)."""
        if len(folded.replace(" ", "")) < MIN_INSIDE:
            return set()
        padded = f" {folded} "
        return {value for name, value in self._names if padded in f" {name} "}

    def _typo(self, folded: str) -> set[str]:
        """A name typed with a slip, compared with word groups of the same length."""
        if len(folded) < MIN_TYPO:
            return set()
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
        top = max(scores.values(), default=0.0)
        return {value for value, score in scores.items() if score >= top - 2}


def _negated(before: str) -> bool:
    """Whether the words before a name deny it: « pas (encore) d' », « sans », « not a »."""
    for word in reversed(before.split()):
        if word in _NEGATIONS:
            return True
        if word not in _FILLERS:
            return False
    return False


def said(text: str, words: Sequence[str]) -> bool:
    """Whether the text is one of these words or expressions (folded), as a whole, politeness
    around it aside (« passer svp », « merci, je passe »)."""
    folded = " ".join(_POLITENESS.sub(" ", f" {fold(text)} ").split())
    return bool(folded) and any(folded == fold(word) for word in words)
