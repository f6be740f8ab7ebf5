"""The founding RTES page's seven territories: their local scheme and a local counter come first.

Pas-de-Calais, Meurthe-et-Moselle, Haute-Garonne, Gironde, Moselle, Ille-et-Vilaine and
Occitanie, with the project the page cites there. In Occitanie the YESS Académie has had no
edition since 2021: it is listed, last, as not confirmed, and the local counter still comes first.
"""

from __future__ import annotations

import pytest

from bot.core.catalog import Catalog
from tests.knowledge_probe import criteria, match, scheme_ids

LOCAL = ("commune", "epci", "department", "region", "radius")

TERRITORIES = [
    # (territory, profile, first scheme, counters that may come first)
    (
        "Pas-de-Calais: an association's recyclerie in Arras",
        {"commune": "62041", "carrier": "association", "themes": ["economie-circulaire"]},
        "pas-de-calais-budget-citoyen",
        {"pas-de-calais-comptoirs-initiatives-citoyennes", "departement-62-service-ess"},
    ),
    (
        "Meurthe-et-Moselle: an association's idea in Nancy",
        {"commune": "54395", "carrier": "association", "themes": ["solidarites"]},
        "meurthe-et-moselle-agir",
        {"la-serre-a-projets", "departement-54-service-ess", "france-active-lorraine"},
    ),
    (
        "Haute-Garonne: a tiers-lieu with short food chains in Toulouse",
        {"commune": "31555", "carrier": "association", "themes": ["tiers-lieux", "alimentation"]},
        "haute-garonne-fonds-rebond-innovation-sociale",
        {"departement-31-service-ess", "catalis-incubateur-occitanie"},
    ),
    (
        "Gironde: a solidarity project in Bordeaux",
        {"commune": "33063", "carrier": "association", "themes": ["solidarites"]},
        "gironde-solutions-solidaires",
        {"atis-nouvelle-aquitaine", "departement-33-service-ess"},
    ),
    (
        "Moselle: a cardiac-arrest alert app in Metz",
        {"commune": "57463", "carrier": "association", "themes": ["sante", "numerique"]},
        "moselle-aap-innovation-sociale",
        {"departement-57-service-ess"},
    ),
    (
        "Ille-et-Vilaine: a place of social ties in Val-Couesnon",
        {"commune": "35004", "carrier": "habitant", "themes": ["tiers-lieux", "ruralite-services"]},
        "ille-et-vilaine-emergence-projets-collectifs",
        {"ecosolidaires-pays-de-fougeres"},
    ),
]


@pytest.mark.parametrize(
    ("profile", "first", "counters"),
    [pytest.param(p, f, c, id=name) for name, p, f, c in TERRITORIES],
)
def test_the_local_scheme_and_a_local_counter_come_first(
    catalog: Catalog, profile: dict[str, object], first: str, counters: set[str]
) -> None:
    result = match(catalog, stage="emergence", needs=["financement"], **profile)
    assert scheme_ids(result.schemes)[0] == first
    assert result.schemes[0].level.value in LOCAL
    assert result.counters[0].counter.id in counters
    assert result.counters[0].level.value in LOCAL


def test_occitanie_lists_the_unconfirmed_yess_last_and_sends_to_the_adefpat_first(
    catalog: Catalog,
) -> None:
    result = match(
        catalog,
        commune="12202",  # Rodez, Aveyron: the Adefpat's founding département
        carrier="association",
        stage="emergence",
        themes=["ruralite-services"],
        needs=["financement", "accompagnement"],
    )
    ids = scheme_ids(result.schemes)
    assert ids[-1] == "occitanie-yess-academie" and len(ids) > 1
    calendar = criteria(result, "occitanie-yess-academie")["calendar"]
    assert calendar == (
        "unknown",
        "Existence actuelle non confirmée : demandez au financeur si ce dispositif est toujours"
        " ouvert",
    )
    assert result.counters[0].counter.id == "adefpat"
