"""Communes suggested as a citizen types: folded prefixes, postcodes, best first, read back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.catalog import DEFAULT_KNOWLEDGE, Catalog
from bot.core.geo import GeoTable
from bot.core.suggestions import MAX_LIMIT, Suggestions


@pytest.fixture(scope="module")
def suggestions(catalog: Catalog) -> Suggestions:
    return catalog.suggestions


def labels(suggestions: Suggestions, query: str, limit: int = 8) -> list[str]:
    return [s.label for s in suggestions.suggest(query, limit)]


def test_the_most_populous_commune_of_a_prefix_comes_first(
    suggestions: Suggestions, catalog: Catalog
) -> None:
    assert labels(suggestions, "arr")[0] == "Arras (62)"
    found = suggestions.suggest("arr", 20)
    table = suggestions.table.communes
    populations = [table[s.code].population for s in found]
    assert populations == sorted(populations, reverse=True)


@pytest.mark.parametrize("query", ["st etienne", "saint-étienne", "St-Etienne", "SAINT ÉTIENNE"])
def test_saint_and_st_accents_case_and_hyphens_do_not_matter(
    suggestions: Suggestions, query: str
) -> None:
    found = labels(suggestions, query)
    assert found[0] == "Saint-Étienne (42)"
    assert all(label.startswith("Saint-Étienne") for label in found[:3])


def test_an_exact_name_comes_before_longer_ones_even_less_populous(
    suggestions: Suggestions,
) -> None:
    # « Bourg » must come before Bourg-en-Bresse: what the citizen typed in full comes first.
    assert labels(suggestions, "bourg")[0] == "Bourg (33)"


def test_a_name_is_found_without_its_article(suggestions: Suggestions) -> None:
    assert labels(suggestions, "mans")[0] == "Le Mans (72)"
    assert labels(suggestions, "le mans")[0] == "Le Mans (72)"


def test_a_former_name_comes_after_the_official_names(suggestions: Suggestions) -> None:
    official = labels(suggestions, "arr", MAX_LIMIT)
    assert "Gien (45)" not in official[:5]  # Arrabloy, now part of Gien


def test_postcodes_are_prefixes_too_and_give_their_own_postcode(
    suggestions: Suggestions,
) -> None:
    (arras, dainville) = suggestions.suggest("62000")
    assert (arras.code, arras.name, arras.department, arras.postcode) == (
        "62041",
        "Arras",
        "62",
        "62000",
    )
    assert dainville.postcode == "62000"
    assert all(s.postcode.startswith("620") for s in suggestions.suggest("620", 20))
    assert suggestions.suggest("75015")[0].label == "Paris 15e arrondissement (75)"


def test_fewer_than_two_characters_suggest_nothing_and_the_limit_is_capped(
    suggestions: Suggestions,
) -> None:
    assert suggestions.suggest("a") == []
    assert suggestions.suggest("  ") == []
    assert suggestions.suggest("-'") == []
    assert len(suggestions.suggest("sa", 500)) == MAX_LIMIT
    assert len(suggestions.suggest("sa", 0)) == 1
    assert suggestions.suggest("zzzzqx") == []


def test_every_label_picked_is_read_back_by_the_resolver_as_its_commune(
    suggestions: Suggestions, catalog: Catalog
) -> None:
    for query in ("arr", "st etienne", "62000", "mans", "bourg", "paris", "lyon 3", "metz"):
        for suggestion in suggestions.suggest(query):
            resolved = catalog.resolver.resolve(suggestion.label)
            assert resolved.status == "found", suggestion.label
            assert resolved.best is not None and resolved.best.insee == suggestion.code


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_any_text_gets_an_answer_never_an_error(text: str) -> None:
    found = SUGGESTIONS.suggest(text, 8)
    assert len(found) <= 8
    assert len({s.code for s in found}) == len(found)


SUGGESTIONS = Suggestions(GeoTable.load(DEFAULT_KNOWLEDGE / "geo"))
