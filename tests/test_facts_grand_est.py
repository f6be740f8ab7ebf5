"""Grand Est facts (Meurthe-et-Moselle 54, Moselle 57): each record gives what its source supports.

The Moselle call lists broad fields, so health, digital or food projects (two of the three 2019-2020
laureates the RTES cites) read as a theme to check, not a near miss; the « Boîte à initiatives » is
an AMI of 2020 not confirmed since, never first and with unconfirmed need and calendar; in Nancy the
local counters (La Serre à Projets, Département 54, France Active Lorraine) come first.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.catalog import Catalog
from bot.core.matching import MatchResult
from bot.core.models import CounterKind, SchemeKind
from tests.knowledge_probe import counter as _counter
from tests.knowledge_probe import criteria as _criteria
from tests.knowledge_probe import match as _match
from tests.knowledge_probe import scheme as _scheme
from tests.knowledge_probe import scheme_ids as _ids

METZ = "57463"
NANCY = "54395"
MOSELLE_CALL = "moselle-aap-innovation-sociale"
BOITE = "meurthe-et-moselle-boite-a-initiatives"
AGIR = "meurthe-et-moselle-agir"
LOCAL_54_COUNTERS = {"la-serre-a-projets", "departement-54-service-ess", "france-active-lorraine"}


def _metz_association(catalog: Catalog, themes: list[str]) -> MatchResult:
    return _match(
        catalog,
        commune=METZ,
        carrier="association",
        stage="emergence",
        themes=themes,
        needs=["financement"],
    )


@pytest.mark.parametrize(
    "themes",
    [
        pytest.param(["sante", "numerique"], id="a cardiac-arrest alert app"),
        pytest.param(["alimentation", "solidarites"], id="a food-collection portal"),
    ],
)
def test_the_laureates_the_founding_page_cites_in_metz_are_eligible_to_the_moselle_call(
    catalog: Catalog, themes: list[str]
) -> None:
    result = _metz_association(catalog, themes)
    assert MOSELLE_CALL in _ids(result.schemes)
    assert MOSELLE_CALL not in _ids(result.near_misses)
    verdict, detail = _criteria(result, MOSELLE_CALL)["theme"]
    assert verdict == "unknown"
    assert "cohésion sociale et territoriale" in detail
    assert "vérifiez que votre projet y entre" in detail


def test_moselle_call_filters_on_no_theme_and_says_what_it_lists(catalog: Catalog) -> None:
    scheme = _scheme(catalog, MOSELLE_CALL)
    assert scheme.themes == ()
    assert scheme.themes_scope is not None
    assert "économie circulaire" in scheme.themes_scope.fr
    assert scheme.calendar.unconfirmed


def test_moselle_call_closed_2025_edition_reads_as_unconfirmed(catalog: Catalog) -> None:
    result = _metz_association(catalog, ["economie-circulaire"])
    assert _criteria(result, MOSELLE_CALL)["calendar"][0] == "unknown"


def test_boite_a_initiatives_is_the_2020_ami_not_confirmed_since(catalog: Catalog) -> None:
    scheme = _scheme(catalog, BOITE)
    assert scheme.name == "Boîte à initiatives départementales 54"
    assert scheme.kind is SchemeKind.CALL_FOR_INTEREST
    assert not scheme.confirmed
    assert scheme.calendar.mode == "periodic"
    assert scheme.calendar.unconfirmed
    assert scheme.calendar.sessions == ()
    assert not scheme.official
    assert "2020" in scheme.summary.fr
    assert scheme.verify is not None and "existe encore" in scheme.verify.fr


def test_individual_idea_in_nancy_does_not_get_the_boite_first(catalog: Catalog) -> None:
    result = _match(
        catalog,
        commune=NANCY,
        carrier="habitant",
        stage="idee",
        themes=["solidarites"],
        needs=["accompagnement", "financement"],
    )
    ids = _ids(result.schemes)
    assert BOITE in ids
    assert ids[0] != BOITE
    assert ids[-1] == BOITE  # a door that may not exist comes after every confirmed one
    criteria = _criteria(result, BOITE)
    assert criteria["need"][0] == "unknown"
    assert criteria["calendar"][0] == "unknown"


def test_individual_seeking_only_money_reads_the_boite_need_as_unconfirmed(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune=NANCY,
        carrier="habitant",
        stage="idee",
        themes=["solidarites"],
        needs=["financement"],
    )
    criteria = _criteria(result, BOITE)
    assert criteria["need"][0] == "unknown"
    assert criteria["calendar"][0] == "unknown"
    assert criteria["amount"][0] == "unknown"


def test_department_54_counter_mentions_the_boite_as_to_check(catalog: Catalog) -> None:
    counter = _counter(catalog, "departement-54-service-ess")
    assert "Boîte à initiatives départementales 54" in counter.summary.fr
    assert "2020" in counter.summary.fr
    assert "existe encore" in counter.summary.fr


def test_agir_call_is_for_ess_structures_seated_in_54(catalog: Catalog) -> None:
    scheme = _scheme(catalog, AGIR)
    assert scheme.territory.departments == ("54",)
    assert "habitant" not in scheme.carriers
    assert scheme.requirements.seat_in_territory is True
    assert scheme.calendar.unconfirmed
    assert scheme.calendar.sessions[0].closes == dt.date(2025, 6, 10)


def test_association_in_nancy_gets_agir_before_the_boite_and_a_local_counter_first(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune=NANCY,
        carrier="association",
        stage="emergence",
        themes=["solidarites"],
        needs=["financement"],
        amount=15000,
    )
    ids = _ids(result.schemes)
    local = [m.scheme.id for m in result.schemes if m.level.value == "department"]
    assert local[:2] == [AGIR, BOITE]
    assert ids.index(AGIR) < ids.index(BOITE)
    counters = [c.counter.id for c in result.counters]
    assert counters[0] in LOCAL_54_COUNTERS
    assert counters[0] == "la-serre-a-projets"


def test_serre_a_projets_covers_grand_nancy_but_not_the_north(catalog: Catalog) -> None:
    in_nancy = _match(catalog, commune=NANCY, carrier="habitant", stage="idee", needs=["reseau"])
    assert "la-serre-a-projets" in [c.counter.id for c in in_nancy.counters]
    longwy = _match(catalog, commune="54323", carrier="habitant", stage="idee", needs=["reseau"])
    assert "la-serre-a-projets" not in [c.counter.id for c in longwy.counters]


def test_france_active_lorraine_is_a_financer_for_the_four_lorraine_departements(
    catalog: Catalog,
) -> None:
    counter = _counter(catalog, "france-active-lorraine")
    assert counter.kind is CounterKind.FINANCER
    assert counter.commune == NANCY
    assert set(counter.coverage.departments) == {"54", "55", "57", "88"}
    metz = _metz_association(catalog, ["solidarites"])
    assert "france-active-lorraine" in [c.counter.id for c in metz.counters]
