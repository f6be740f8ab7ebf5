"""Communes as people name them: short names, postcodes, neighbourhoods, weighted typos."""

from __future__ import annotations

import pytest

from bot.core.catalog import Catalog
from bot.core.placenames import short_names
from bot.core.qualification.places import CatalogPlaces
from bot.core.resolver import Resolution
from tests.benchmarks.commune_queries import ACCEPTED, Query, load_queries, miss

QUERIES = load_queries()


def _codes(resolution: Resolution) -> list[str]:
    return [c.commune.insee for c in resolution.candidates]


def test_the_held_out_set_is_large_and_covers_every_kind_of_query() -> None:
    assert len(QUERIES) >= 60
    assert {q.kind for q in QUERIES} == {"found", "confirm", "offer", "ambiguous", "not_found"}


@pytest.mark.parametrize("query", QUERIES, ids=[q.text for q in QUERIES])
def test_every_held_out_query_gets_what_a_citizen_expects(catalog: Catalog, query: Query) -> None:
    assert miss(query, catalog.resolver.resolve(query.text)) is None


@pytest.mark.parametrize(
    ("name", "article", "short"),
    [
        ("Châlons-en-Champagne", "", ("Châlons",)),
        ("Chalon-sur-Saône", "", ("Chalon",)),
        ("Bourg-lès-Valence", "", ("Bourg",)),
        ("Les Sables-d'Olonne", "Les", ("Les Sables", "Sables")),
        ("Le Puy-en-Velay", "Le", ("Le Puy", "Puy")),
        ("Charleville-Mézières", "", ("Charleville",)),
        ("Saint-Germain-en-Laye", "", ("Saint-Germain",)),
        ("Villeneuve-d'Ascq", "", ("Villeneuve",)),
        ("Saint-Étienne", "", ()),
        ("Fort-de-France", "", ()),
        ("Basse-Terre", "", ()),
        ("Arras", "", ()),
    ],
)
def test_the_everyday_short_name_comes_before_the_first_connector(
    name: str, article: str, short: tuple[str, ...]
) -> None:
    assert short_names(name, article) == short


def test_a_short_name_of_two_cities_asks_which_largest_first_former_names_last(
    catalog: Catalog,
) -> None:
    resolution = catalog.resolver.resolve("Boulogne")
    assert resolution.status == "ambiguous"
    assert _codes(resolution)[:2] == ["92012", "62160"]
    # Boulogne is also a former commune of Essarts-en-Bocage: still offered, never first.
    assert "85084" in _codes(resolution)
    assert _codes(resolution)[-1] == "85084"


def test_an_official_name_beats_the_short_name_of_smaller_communes(catalog: Catalog) -> None:
    for query, insee in (
        ("Saint-Étienne", "42218"),
        ("Arras", "62041"),
        ("Vannes", "56260"),
        ("Provins", "77379"),
    ):
        resolution = catalog.resolver.resolve(query)
        assert resolution.status == "found" and _codes(resolution) == [insee]
        assert resolution.candidates[0].score >= ACCEPTED


def test_a_small_commune_named_exactly_is_still_offered_beside_a_larger_short_name(
    catalog: Catalog,
) -> None:
    resolution = catalog.resolver.resolve("Charleville")
    assert _codes(resolution)[0] == "08105"  # Charleville-Mézières
    assert "51129" in _codes(resolution)  # Charleville (Marne)
    bourg = _codes(catalog.resolver.resolve("Bourg"))
    assert bourg[0] == "01053" and "33067" in bourg and len(bourg) == 10


def test_a_final_s_offers_both_chalons_and_chalon(catalog: Catalog) -> None:
    resolution = catalog.resolver.resolve("Chalons")
    assert resolution.status == "ambiguous"
    assert {"51108", "71076"} <= set(_codes(resolution)[:2])


def test_a_typo_offers_the_populous_commune_first(catalog: Catalog) -> None:
    nancie = catalog.resolver.resolve("Nancie")
    assert _codes(nancie)[0] == "54395"
    assert {"69108", "39379"} & set(_codes(nancie))  # Lancié, Nance: one edit away, offered
    mulouse = catalog.resolver.resolve("mulouse")  # Toulouse is larger but two edits away
    assert mulouse.status == "found" and _codes(mulouse) == ["68224"]
    assert mulouse.candidates[0].score < ACCEPTED


@pytest.mark.parametrize("query", ["62000 Arras", "Arras 62000", "62000, Arras", "Arras (62000)"])
def test_a_postcode_before_or_after_the_name_is_accepted_directly(
    catalog: Catalog, query: str
) -> None:
    resolution = catalog.resolver.resolve(query)
    assert resolution.status == "found" and _codes(resolution) == ["62041"]
    assert resolution.candidates[0].score >= ACCEPTED


@pytest.mark.parametrize(
    ("query", "insee"),
    [
        ("Toulouse Empalot", "31555"),
        ("Arras centre", "62041"),
        ("Lille Wazemmes", "59350"),
        ("Rennes centre-ville", "35238"),
        ("Paris 15e Vaugirard", "75115"),
        ("Arras centre 62000", "62041"),
    ],
)
def test_a_name_followed_by_a_neighbourhood_is_found_but_confirmed(
    catalog: Catalog, query: str, insee: str
) -> None:
    resolution = catalog.resolver.resolve(query)
    assert resolution.status == "found" and _codes(resolution) == [insee]
    assert resolution.candidates[0].score < ACCEPTED


@pytest.mark.parametrize("query", ["pas envie de dire", "Empalot", "pas encore décidé"])
def test_words_after_a_village_name_are_not_taken_for_a_neighbourhood(
    catalog: Catalog, query: str
) -> None:
    assert catalog.resolver.resolve(query).status == "not_found"


def test_an_arrondissement_reads_with_a_small_a_wherever_the_bot_names_it(
    catalog: Catalog,
) -> None:
    places = CatalogPlaces(catalog)
    assert places.label("13213") == "Marseille 13e arrondissement (13)"
    assert places.label("75101") == "Paris 1er arrondissement (75)"
    names = [c.name for c in catalog.knowledge.geo.communes.values() if c.parent]
    assert len(names) == 45 and not [n for n in names if "Arrondissement" in n]
    resolution = catalog.resolver.resolve("Paris XVIIIe")
    assert resolution.best is not None and resolution.best.name == "Paris 18e arrondissement"
