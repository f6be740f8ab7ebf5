"""Occitanie and Haute-Garonne facts, as corrected by the 2026-12-03 audit, seen through matching.

Each test is the profile that exposed an error (or a new record) and the verdict now expected:
the Haute-Garonne fund is for ESS structures, lists its start-up expenses and filters on no theme;
the YESS Académie (no edition found after 2021) is never the first funding shown; Adefpat, the
France Active associations and the two social-innovation incubators cover what their sources say.
"""

from __future__ import annotations

from bot.core.catalog import Catalog
from tests.knowledge_probe import counter as _counter
from tests.knowledge_probe import counter_ids as _counter_ids
from tests.knowledge_probe import criteria as _criteria
from tests.knowledge_probe import match as _match
from tests.knowledge_probe import scheme as _scheme

TOULOUSE = "31555"
COLOMIERS = "31149"
BLAGNAC = "31069"
MONTPELLIER = "34172"
RODEZ = "12202"
MENDE = "48095"

FUND = "haute-garonne-fonds-rebond-innovation-sociale"
YESS = "occitanie-yess-academie"
LOCAL_31 = {
    "departement-31-service-ess",
    "catalis-incubateur-occitanie",
    "france-active-mpa-occitanie",
}


# -- Haute-Garonne fund --------------------------------------------------------------------


def test_individual_in_toulouse_gets_the_haute_garonne_fund_as_a_near_miss_via_an_association(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog, commune=TOULOUSE, carrier="habitant", stage="emergence", needs=["financement"]
    )
    assert FUND not in [m.scheme.id for m in result.schemes]
    near = next(m for m in result.near_misses if m.scheme.id == FUND)
    assert near.remedy is not None and "en créant une association" in near.remedy
    assert _criteria(result, FUND)["carrier"][0] == "not_met"


def test_informal_group_in_toulouse_is_told_to_become_an_association_for_the_fund(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune=TOULOUSE,
        carrier="collectif-informel",
        stage="emergence",
        needs=["financement"],
    )
    near = next(m for m in result.near_misses if m.scheme.id == FUND)
    assert near.remedy is not None and "association" in near.remedy


def test_haute_garonne_fund_is_only_for_ess_structures(catalog: Catalog) -> None:
    fund = _scheme(catalog, FUND)
    assert set(fund.carriers) == {"association", "cooperative", "entreprise-ess", "entreprise-esus"}


def test_association_near_toulouse_with_a_tiers_lieu_gets_the_fund_with_its_expenses(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune=COLOMIERS,
        carrier="association",
        stage="emergence",
        themes=["tiers-lieux"],
        needs=["financement"],
        amount=12000,
    )
    assert FUND in [m.scheme.id for m in result.schemes]
    verdict, detail = _criteria(result, FUND)["theme"]
    assert verdict == "unknown"
    assert "tiers-lieux" in detail
    expenses = [e.fr for e in _scheme(catalog, FUND).expenses]
    assert expenses == [
        "Réalisation d'une étude opérationnelle",
        "Étude de faisabilité",
        "Qualification de l'impact du projet",
        "Recrutement d'un premier salarié",
    ]


def test_association_near_toulouse_with_a_short_food_chain_gets_the_fund(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune=BLAGNAC,
        carrier="association",
        stage="experimentation",
        themes=["alimentation"],
        needs=["financement"],
    )
    assert FUND in [m.scheme.id for m in result.schemes]
    verdict, detail = _criteria(result, FUND)["theme"]
    assert verdict == "unknown"
    assert "circuits courts" in detail


def test_haute_garonne_fund_filters_on_no_theme_and_says_what_it_favours(catalog: Catalog) -> None:
    fund = _scheme(catalog, FUND)
    assert fund.themes == ()
    assert fund.themes_scope is not None
    for field in ("tiers-lieux", "circuits courts", "économie circulaire", "bien vieillir"):
        assert field in fund.themes_scope.fr
    assert fund.amount is not None and fund.amount.max == 15000


# -- YESS Académie -------------------------------------------------------------------------


def test_individual_in_toulouse_needing_funding_is_not_shown_the_yess_academie_first(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog, commune=TOULOUSE, carrier="habitant", stage="emergence", needs=["financement"]
    )
    ids = [m.scheme.id for m in result.schemes]
    assert YESS in ids
    assert ids[0] != YESS
    assert ids[-1] == YESS  # existence unsure: after every confirmed scheme
    criteria = _criteria(result, YESS)
    assert criteria["need"][0] == "unknown"
    assert criteria["calendar"][0] == "unknown"


def test_yess_academie_is_an_unconfirmed_prize_with_no_per_project_amount(
    catalog: Catalog,
) -> None:
    yess = _scheme(catalog, YESS)
    assert yess.kind == "prize"
    assert yess.confirmed is False
    assert yess.calendar.unconfirmed is True
    assert yess.amount is not None and yess.amount.max is None and yess.amount.min is None
    assert yess.amount.note is not None and "6 000 € de dotations au total" in yess.amount.note.fr


# -- Scenario ------------------------------------------------------------------------------


def test_association_in_toulouse_gets_the_haute_garonne_fund_first_and_a_local_counter_first(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune=TOULOUSE,
        carrier="association",
        stage="emergence",
        themes=["economie-circulaire"],
        needs=["financement"],
        amount=15000,
    )
    assert result.schemes[0].scheme.id == FUND
    first = result.counters[0]
    assert first.counter.id in LOCAL_31
    assert first.level.value == "department"
    assert "departement-31-service-ess" in _counter_ids(result)[:2]


# -- Counters ------------------------------------------------------------------------------


def test_adefpat_has_its_own_site_and_covers_its_six_rural_departements(
    catalog: Catalog,
) -> None:
    adefpat = _counter(catalog, "adefpat")
    assert adefpat.url == "https://adefpat.fr"
    assert set(adefpat.coverage.departments) == {"12", "81", "82", "46", "48", "34"}
    assert adefpat.how_to_reach is not None and "nord" in adefpat.how_to_reach.fr


def test_project_holders_in_rodez_and_mende_are_sent_to_adefpat(catalog: Catalog) -> None:
    for commune in (RODEZ, MENDE):
        result = _match(
            catalog, commune=commune, carrier="habitant", stage="idee", needs=["accompagnement"]
        )
        assert "adefpat" in _counter_ids(result)
    toulouse = _match(
        catalog, commune=TOULOUSE, carrier="habitant", stage="idee", needs=["accompagnement"]
    )
    assert "adefpat" not in _counter_ids(toulouse)


def test_toulouse_gets_the_western_france_active_and_catalis_not_the_eastern_ones(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog, commune=TOULOUSE, carrier="association", stage="emergence", needs=["financement"]
    )
    ids = _counter_ids(result)
    assert {"france-active-mpa-occitanie", "catalis-incubateur-occitanie"} <= set(ids)
    assert "france-active-airdie-occitanie" not in ids
    assert "alter-incub-occitanie" not in ids


def test_montpellier_gets_airdie_and_alter_incub_not_the_western_ones(catalog: Catalog) -> None:
    result = _match(
        catalog,
        commune=MONTPELLIER,
        carrier="association",
        stage="emergence",
        needs=["financement"],
    )
    ids = _counter_ids(result)
    assert {"france-active-airdie-occitanie", "alter-incub-occitanie"} <= set(ids)
    assert "france-active-mpa-occitanie" not in ids
    assert "catalis-incubateur-occitanie" not in ids


def test_occitanie_counters_point_to_their_own_sites(catalog: Catalog) -> None:
    assert _counter(catalog, "cress-occitanie").url == "https://www.cressoccitanie.org"
    assert _counter(catalog, "adocc-occitanie").url == "https://www.agence-adocc.com"
    department = _counter(catalog, "departement-31-service-ess")
    assert department.url.startswith("https://www.haute-garonne.fr/")
    assert department.verified is not None
    assert _counter(catalog, "france-active-mpa-occitanie").kind == "financer"
    assert _counter(catalog, "alter-incub-occitanie").kind == "incubator"
    assert _counter(catalog, "catalis-incubateur-occitanie").kind == "incubator"
