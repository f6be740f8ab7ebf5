"""Bretagne and Ille-et-Vilaine (35): local schemes and counters first, each fact from its source.

Facts checked on 2026-12-03 against stored copies of the pages (notes: research/bretagne.md): the
Département's ESS page (ille-et-vilaine.fr/ess), its emergence call (application form), Rennes
Métropole's ESS page, France Active Bretagne's history page (« Bretagne Active » is France Active
Bretagne since 2019), ÉcoSolidaireS (pôle ESS du pays de Fougères), RÉSO solidaire (pays de Rennes),
TAg 35, the DLA operators named by the RTES (Réso solidaire, France Active Bretagne) and the
Région's 2014 page on CAP'Création ESS (no recent source: unconfirmed).
"""

from __future__ import annotations

from urllib.parse import urlparse

from bot.core.catalog import Catalog
from bot.core.matching import MatchResult
from bot.core.models import Level
from tests.knowledge_probe import counter as _counter
from tests.knowledge_probe import counter_ids as _counter_ids
from tests.knowledge_probe import found as _found
from tests.knowledge_probe import match as _match
from tests.knowledge_probe import scheme as _scheme
from tests.knowledge_probe import verdicts as _verdicts

VAL_COUESNON = "35004"  # CC Couesnon Marches de Bretagne, pays de Fougères
RENNES = "35238"
FOUGERES = "35115"
SAINT_MALO = "35288"
BREST = "29019"
EMERGENCE_35 = "ille-et-vilaine-emergence-projets-collectifs"


def _individual_with_an_idea(catalog: Catalog, commune: str) -> MatchResult:
    return _match(catalog, commune=commune, carrier="habitant", stage="idee", needs=["financement"])


def test_individual_in_val_couesnon_gets_the_35_emergence_scheme_first_with_its_sponsor_check(
    catalog: Catalog,
) -> None:
    result = _individual_with_an_idea(catalog, VAL_COUESNON)
    first = result.schemes[0]
    assert first.scheme.id == EMERGENCE_35
    assert first.level is Level.DEPARTMENT
    assert _verdicts(first)["carrier"] == "met"
    assert any("parrain" in check for check in first.checks)


def test_individual_in_val_couesnon_is_sent_first_to_ecosolidaires_at_intercommunal_level(
    catalog: Catalog,
) -> None:
    result = _individual_with_an_idea(catalog, VAL_COUESNON)
    first = result.counters[0]
    assert first.counter.id == "ecosolidaires-pays-de-fougeres"
    assert first.level is Level.EPCI
    assert {"departement-35-service-ess", "tag35"} <= set(_counter_ids(result))


def test_association_in_rennes_gets_the_metropole_call_first_and_reso_solidaire_first(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog, commune=RENNES, carrier="association", stage="emergence", needs=["financement"]
    )
    assert result.schemes[0].scheme.id == "rennes-metropole-aap-ess"
    assert result.schemes[0].level is Level.EPCI
    assert EMERGENCE_35 in [m.scheme.id for m in result.schemes]
    assert result.counters[0].counter.id == "reso-solidaire-pays-de-rennes"
    assert result.counters[0].level is Level.EPCI


def test_rennes_metropole_call_is_not_offered_in_fougeres(catalog: Catalog) -> None:
    result = _match(
        catalog, commune=FOUGERES, carrier="association", stage="emergence", needs=["financement"]
    )
    shown = [m.scheme.id for m in (*result.schemes, *result.near_misses)]
    assert "rennes-metropole-aap-ess" not in shown
    assert EMERGENCE_35 in [m.scheme.id for m in result.schemes]


def test_the_35_service_names_france_active_bretagne_not_bretagne_active(catalog: Catalog) -> None:
    summary = _counter(catalog, "departement-35-service-ess").summary
    for text in (summary.fr, summary.en):
        assert "France Active Bretagne" in text
        assert "Bretagne Active" not in text.replace("France Active Bretagne", "")


def test_the_35_service_and_emergence_scheme_link_the_departements_own_page(
    catalog: Catalog,
) -> None:
    scheme = _scheme(catalog, EMERGENCE_35)
    assert urlparse(scheme.url).hostname == "www.ille-et-vilaine.fr"
    assert scheme.official is True
    counter = _counter(catalog, "departement-35-service-ess")
    assert urlparse(counter.url).hostname == "www.ille-et-vilaine.fr"


def test_the_35_emergence_scheme_asks_for_concertation_and_reads_its_themes_as_unknown(
    catalog: Catalog,
) -> None:
    scheme = _scheme(catalog, EMERGENCE_35)
    assert any(
        "acteurs de l'ESS, les habitants et les collectivités" in c.fr for c in scheme.conditions
    )
    assert "Graine d'oasis" in scheme.summary.fr and "Val-Couesnon" in scheme.summary.fr
    result = _match(
        catalog,
        commune=VAL_COUESNON,
        carrier="collectif-informel",
        stage="emergence",
        themes=["tiers-lieux"],
        needs=["financement"],
    )
    verdicts = _verdicts(_found(result, EMERGENCE_35))
    assert verdicts["theme"] == "unknown"
    assert verdicts["calendar"] == "unknown"


def test_cress_bretagne_points_to_its_own_site_not_ess_france(catalog: Catalog) -> None:
    cress = _counter(catalog, "cress-bretagne")
    assert urlparse(cress.url).hostname == "www.ess-bretagne.org"


def test_tag35_takes_an_idea_anywhere_in_ille_et_vilaine_but_not_in_finistere(
    catalog: Catalog,
) -> None:
    in_35 = {c.counter.id: c for c in _individual_with_an_idea(catalog, SAINT_MALO).counters}
    assert in_35["tag35"].level is Level.DEPARTMENT
    assert "tag35" not in _counter_ids(_individual_with_an_idea(catalog, BREST))


def test_france_active_bretagne_answers_in_brittany_before_the_national_network(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune=BREST,
        carrier="association",
        stage="experimentation",
        needs=["financement"],
    )
    ids = _counter_ids(result)
    assert ids.index("france-active-bretagne") < ids.index("france-active")
    assert _counter(catalog, "france-active-bretagne").kind.value == "financer"


def test_the_ille_et_vilaine_dla_takes_existing_employers_before_the_national_dla(
    catalog: Catalog,
) -> None:
    employer = _match(
        catalog,
        commune=FOUGERES,
        carrier="association",
        stage="developpement",
        needs=["accompagnement"],
    )
    ids = _counter_ids(employer)
    assert ids.index("dla-ille-et-vilaine") < ids.index("dla")
    summary = _counter(catalog, "dla-ille-et-vilaine").summary.fr
    assert "Réso solidaire" in summary and "France Active Bretagne" in summary
    newcomer = _individual_with_an_idea(catalog, FOUGERES)
    assert "dla-ille-et-vilaine" not in _counter_ids(newcomer)


def test_cap_creation_ess_is_unconfirmed_and_ranked_after_the_35_scheme(catalog: Catalog) -> None:
    result = _individual_with_an_idea(catalog, VAL_COUESNON)
    ids = [m.scheme.id for m in result.schemes]
    assert ids.index(EMERGENCE_35) < ids.index("bretagne-cap-creation-ess")
    cap = _found(result, "bretagne-cap-creation-ess")
    assert cap.scheme.confirmed is False
    assert _verdicts(cap)["need"] == "unknown"
