"""The commune resolver understands what people type, and the table is rebuilt reproducibly."""

from __future__ import annotations

import filecmp
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.__main__ import main
from bot.core.catalog import DEFAULT_KNOWLEDGE, Catalog
from bot.core.geo import GeoTable, distance_km, name_key
from bot.core.resolver import Resolution, Resolver
from bot.geobuild import build
from tests.conftest import DATA

RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo"


def _right(case: dict[str, Any], resolution: Resolution) -> bool:
    if resolution.status != case["status"]:
        return False
    insees = [c.commune.insee for c in resolution.candidates]
    if case["status"] == "found":
        return insees == [case["insee"]]
    if case["status"] == "ambiguous":
        return set(case["includes"]) <= set(insees)
    return not insees


@pytest.mark.parametrize("dataset", ["geo_cases.yaml", "geo_holdout.yaml"])
def test_at_least_98_percent_of_realistic_queries_are_answered_right(
    catalog: Catalog, dataset: str
) -> None:
    cases = yaml.safe_load((DATA / dataset).read_text(encoding="utf-8"))
    wrong = [c["query"] for c in cases if not _right(c, catalog.resolver.resolve(c["query"]))]
    assert len(cases) >= 150
    assert 1 - len(wrong) / len(cases) >= 0.98, wrong


def test_every_category_of_query_is_exercised() -> None:
    cases = yaml.safe_load((DATA / "geo_cases.yaml").read_text(encoding="utf-8"))
    categories = Counter(c["category"] for c in cases)
    assert {
        "exact", "lower", "abbreviation", "punctuation", "typo", "article", "postcode",
        "name-postcode", "name-departement", "insee", "former-name", "arrondissement", "gps",
        "homonym", "not-found",
    } <= set(categories)  # fmt: skip


@pytest.mark.parametrize(
    ("query", "insee"),
    [
        ("Arras", "62041"),
        ("st etienne", "42218"),
        ("Saint-Étienne", "42218"),
        ("ste maxime", "83115"),
        ("villeneuve d ascq", "59009"),
        ("Havre (Le)", "76351"),
        ("le havre", "76351"),
        ("Beaulieu (15)", "15020"),
        ("beaulieu 15", "15020"),
        ("Beaulieu 15270", "15020"),
        ("2A004", "2A004"),
        ("Antrain", "35004"),
        ("Paris 11", "75111"),
        ("paris 11e arrondissement", "75111"),
        ("Lyon 3e", "69383"),
        ("13013", "13213"),
        ("Marseile", "13055"),
        ("Monpellier", "34172"),
        ("50.2910, 2.7775", "62041"),
    ],
)
def test_what_people_type_resolves_to_one_commune(catalog: Catalog, query: str, insee: str) -> None:
    resolution = catalog.resolver.resolve(query)
    assert resolution.status == "found"
    assert resolution.best is not None and resolution.best.insee == insee


def test_a_homonym_without_qualifier_asks_which_one_largest_first(catalog: Catalog) -> None:
    resolution = catalog.resolver.resolve("Saint-Denis")
    assert resolution.status == "ambiguous"
    populations = [c.commune.population for c in resolution.candidates]
    assert populations == sorted(populations, reverse=True)
    assert {"93066", "97411"} <= {c.commune.insee for c in resolution.candidates}
    assert len(resolution.candidates) <= 10


def test_a_shared_postcode_asks_which_commune(catalog: Catalog) -> None:
    resolution = catalog.resolver.resolve("54490")
    assert resolution.status == "ambiguous"
    assert len(resolution.candidates) == 7
    assert all("54490" in c.commune.postcodes for c in resolution.candidates)


@pytest.mark.parametrize("query", ["asdfgh", "je sais pas", "", "   ", "99999", "zzzzzz", "???"])
def test_gibberish_is_not_found(catalog: Catalog, query: str) -> None:
    assert catalog.resolver.resolve(query).status == "not_found"


def test_a_position_at_sea_is_not_a_commune(catalog: Catalog) -> None:
    assert catalog.resolver.resolve("46.0, -8.0").status == "not_found"


def test_nearest_commune_to_a_shared_location(catalog: Catalog) -> None:
    arras = catalog.knowledge.geo.communes["62041"]
    assert arras.lat is not None and arras.lon is not None
    nearest = catalog.resolver.nearest(arras.lat + 0.001, arras.lon - 0.001)
    assert nearest is not None and nearest[0].insee == "62041" and nearest[1] < 1


def test_distance_between_arras_and_lille_is_about_45_km() -> None:
    assert 40 < distance_km(50.2910, 2.7775, 50.6292, 3.0573) < 50


def test_name_key_folds_case_accents_punctuation_and_abbreviations() -> None:
    assert name_key("St-Jean-d'Angély") == name_key("saint jean d angely") == "saintjeandangely"
    assert name_key("Œuilly") == "oeuilly"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_no_query_makes_the_resolver_raise(catalog_resolver: Resolver, query: str) -> None:
    resolution = catalog_resolver.resolve(query)
    assert resolution.status in {"found", "ambiguous", "not_found"}
    assert len(resolution.candidates) <= 10


@pytest.fixture(scope="module")
def catalog_resolver(catalog: Catalog) -> Resolver:
    return catalog.resolver


def test_every_current_commune_has_a_row_and_almost_all_have_coordinates(catalog: Catalog) -> None:
    communes = catalog.knowledge.geo.communes
    current = [c for c in communes.values() if not c.parent]
    assert len(current) > 34_800
    missing = [c for c in current if c.lat is None]
    # Only overseas collectivities (975, 977, 978, 98x) lack coordinates in the open data.
    assert all(c.department.startswith(("975", "977", "978", "98")) for c in missing)
    assert (DEFAULT_KNOWLEDGE / "geo" / "communes.tsv").stat().st_size < 3_000_000


def test_build_from_the_raw_data_reproduces_the_committed_table(tmp_path: Path) -> None:
    if not RAW.is_dir():
        pytest.fail(f"raw geography data expected at {RAW} (see README)")
    counts = build(RAW, tmp_path)
    assert counts["arrondissements"] == 45
    for name in ("communes.tsv", "epci.tsv", "departments.tsv", "regions.tsv"):
        assert filecmp.cmp(tmp_path / name, DEFAULT_KNOWLEDGE / "geo" / name, shallow=False), name
    table = GeoTable.load(tmp_path)
    val_couesnon = table.communes["35004"]
    assert val_couesnon.postcodes == ("35460", "35560")
    assert "Antrain" in val_couesnon.aliases


def test_geo_resolve_reads_stdin_and_writes_one_json_object_per_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Arras\nBeaulieu\nzzzz\n"))
    assert main(["geo", "resolve", "-"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["status"] for line in lines] == ["found", "ambiguous", "not_found"]
    first = lines[0]["candidates"][0]
    assert {"insee", "name", "department", "postcodes", "lat", "lon", "score"} <= set(first)
    assert first["insee"] == "62041" and first["department"] == "62"
