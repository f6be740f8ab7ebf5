"""Hauts-de-France and Pas-de-Calais (62): local schemes and counters first, facts from sources.

Facts checked on 2026-12-03 against stored copies of the pages (notes: research/hauts-de-france.md):
the budget citoyen's FAQ (budgetcitoyen.pasdecalais.fr) and règlement (ess-dev.pasdecalais.fr), the
Département's pages on the 2024 and 2025 editions, the Région's page « Aide au développement par
l'innovation sociale (INSO) » (entreprises.hautsdefrance.fr) with fonds-publics.fr and les-aides.fr,
the Agglo Hénin-Carvin's « Coup d'pouce » page, fonds-publics.fr on FIDESS and on the Boulonnais
emergence aid, and press pages on Pas-de-Calais Actif (France Active).
"""

from __future__ import annotations

import datetime as dt

from bot.core.catalog import Catalog
from bot.core.matching import MatchResult
from tests.knowledge_probe import found as _found
from tests.knowledge_probe import match as _match
from tests.knowledge_probe import scheme as _scheme
from tests.knowledge_probe import verdicts as _verdicts

ARRAS = "62041"
LENS = "62498"
HENIN_BEAUMONT = "62427"  # CA d'Hénin-Carvin
BOULOGNE = "62160"  # CA du Boulonnais
AMIENS = "80021"  # Somme, Hauts-de-France
BUDGET = "pas-de-calais-budget-citoyen"
COMPTOIRS = "pas-de-calais-comptoirs-initiatives-citoyennes"
INNOVATION = "hauts-de-france-aide-innovation-sociale"
PAS_DE_CALAIS_COUNTERS = {COMPTOIRS, "departement-62-service-ess", "pas-de-calais-actif"}


def _recyclerie_in_arras(catalog: Catalog) -> MatchResult:
    return _match(
        catalog,
        commune=ARRAS,
        carrier="association",
        stage="emergence",
        themes=["economie-circulaire"],
        needs=["financement"],
        amount=15000,
    )


def test_arras_association_with_a_recyclerie_gets_the_budget_citoyen_first(
    catalog: Catalog,
) -> None:
    result = _recyclerie_in_arras(catalog)
    assert result.schemes[0].scheme.id == BUDGET
    assert _verdicts(result.schemes[0])["carrier"] == "met"


def test_arras_association_gets_a_pas_de_calais_counter_first(catalog: Catalog) -> None:
    result = _recyclerie_in_arras(catalog)
    assert result.counters[0].counter.id in PAS_DE_CALAIS_COUNTERS
    assert "pas-de-calais-actif" in [c.counter.id for c in result.counters]


def test_individual_in_lens_with_an_idea_gets_the_comptoirs_first(catalog: Catalog) -> None:
    result = _match(
        catalog, commune=LENS, carrier="habitant", stage="idee", needs=["accompagnement"]
    )
    assert result.counters[0].counter.id == COMPTOIRS


def test_resident_individual_of_the_pas_de_calais_is_not_asked_for_a_seat(
    catalog: Catalog,
) -> None:
    result = _match(catalog, commune=LENS, carrier="habitant", stage="idee", needs=["financement"])
    budget = _found(result, BUDGET)
    assert not any("siège" in check for check in budget.checks)
    assert any("comptoir" in check for check in budget.checks)


def test_budget_citoyen_asks_no_seat_of_an_association_either(catalog: Catalog) -> None:
    scheme = _scheme(catalog, BUDGET)
    assert scheme.requirements.seat_in_territory is False
    assert scheme.requirements.prior_workshop is True
    budget = _found(_recyclerie_in_arras(catalog), BUDGET)
    assert not any("siège" in check for check in budget.checks)
    assert any("habitants, associations et collectifs du Pas-de-Calais" in c for c in budget.checks)


def test_budget_citoyen_next_edition_reads_without_a_second_colon(catalog: Catalog) -> None:
    budget = _found(_recyclerie_in_arras(catalog), BUDGET)
    calendar = next(a for a in budget.criteria if a.criterion.value == "calendar")
    assert calendar.verdict.value == "unknown"
    assert calendar.detail.count(":") == 0
    assert "nouvelle édition annuelle" in calendar.detail


def test_budget_citoyen_keeps_the_2025_dates_read_on_the_departement_page(
    catalog: Catalog,
) -> None:
    session = _scheme(catalog, BUDGET).calendar.sessions[0]
    assert (session.opens, session.closes) == (dt.date(2025, 1, 31), dt.date(2025, 3, 4))


def test_innovation_sociale_threshold_of_60000_applies_to_the_whole_aid(catalog: Catalog) -> None:
    scheme = _scheme(catalog, INNOVATION)
    assert scheme.amount is not None and scheme.amount.note is not None
    assert "pour toute l'aide" in scheme.amount.note.fr
    assert not any("volet investissement n'est possible" in c.fr for c in scheme.conditions)
    assert any(
        "60 000 €" in c.fr and "fonctionnement comme en investissement" in c.fr
        for c in scheme.conditions
    )


def test_innovation_sociale_requires_a_cdi_and_an_employer_association(catalog: Catalog) -> None:
    result = _match(
        catalog,
        commune=AMIENS,
        carrier="association",
        stage="developpement",
        needs=["financement"],
        amount=30000,
    )
    aid = _found(result, INNOVATION)
    verdicts = _verdicts(aid)
    assert verdicts["carrier"] == "unknown"
    assert verdicts["amount"] == "met"
    assert any("employeuse" in check for check in aid.checks)
    assert any("CDI" in check for check in aid.checks)


def test_innovation_sociale_links_the_regions_own_page(catalog: Catalog) -> None:
    scheme = _scheme(catalog, INNOVATION)
    assert scheme.url.startswith("https://entreprises.hautsdefrance.fr/")
    assert scheme.official is True


def test_henin_carvin_association_gets_the_coup_d_pouce_emergence_first(catalog: Catalog) -> None:
    result = _match(
        catalog,
        commune=HENIN_BEAUMONT,
        carrier="association",
        stage="emergence",
        needs=["financement"],
        amount=3000,
    )
    first = result.schemes[0]
    assert first.scheme.id == "henin-carvin-coup-d-pouce-emergence"
    assert _verdicts(first)["amount"] == "met"


def test_coup_d_pouce_is_not_offered_outside_henin_carvin(catalog: Catalog) -> None:
    result = _match(catalog, commune=LENS, carrier="association", stage="emergence")
    ids = {m.scheme.id for m in (*result.schemes, *result.near_misses)}
    assert "henin-carvin-coup-d-pouce-emergence" not in ids


def test_boulonnais_emergence_aid_is_offered_in_boulogne_as_unconfirmed(catalog: Catalog) -> None:
    result = _match(
        catalog, commune=BOULOGNE, carrier="association", stage="emergence", needs=["financement"]
    )
    aid = _found(result, "boulonnais-aide-emergence-ess")
    assert aid.scheme.confirmed is False and aid.scheme.official is False
    assert _verdicts(aid)["calendar"] == "unknown"


def test_fidess_covers_70_percent_of_a_study_up_to_30000(catalog: Catalog) -> None:
    scheme = _scheme(catalog, "hauts-de-france-fidess")
    assert scheme.amount is not None and scheme.amount.max == 30000
    assert scheme.stages == ("emergence",)
    assert any("5 emplois" in c.fr for c in scheme.conditions)
