"""Searching leads by words: text and query folded alike (case, accents, punctuation)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.geo import fold

MAX_TERMS = 8  # words of a query kept: a search box, not a document


def folded(*parts: str | None) -> str:
    """The searchable form of some texts: folded words, one space apart, none when empty."""
    return " ".join(word for part in parts if part for word in fold(part).split())


def terms(query: str) -> tuple[str, ...]:
    """The words a query searches for, folded, each to be found somewhere (at most 8)."""
    return tuple(dict.fromkeys(fold(query).split()))[:MAX_TERMS]


def found(query_terms: Iterable[str], *texts: str | None) -> bool:
    """Whether every term occurs in one of the texts (already folded)."""
    haystack = " ".join(text for text in texts if text)
    return all(term in haystack for term in query_terms)


def theme_key(themes: Iterable[str]) -> str:
    """The themes of a lead as one searchable value: « |alimentation|numerique| »."""
    return "|" + "".join(f"{theme}|" for theme in themes)
