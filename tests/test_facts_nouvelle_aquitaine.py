"""Gironde and Nouvelle-Aquitaine facts as checked on 2026-12-03 (research/nouvelle-aquitaine.md).

The Gironde call filters on no theme (its objectives are broad) and has no confirmed next edition;
the Département, ATIS, France Active Nouvelle-Aquitaine, the Gironde DLA and the CRESS answer for
the communes their sources say they cover.
"""

from __future__ import annotations

import pytest

from bot.core.catalog import Catalog
from bot.core.matching.matcher import doubt
from tests.knowledge_probe import AUDIT as TODAY
from tests.knowledge_probe import counter as _counter
from tests.knowledge_probe import counter_ids as _counters
from tests.knowledge_probe import criteria as _criteria
from tests.knowledge_probe import match as _match
from tests.knowledge_probe import scheme as _scheme
from tests.knowledge_probe import scheme_ids as _ids

GIRONDE = "gironde-solutions-solidaires"
BORDEAUX = "33063"
LESPARRE = "33240"  # Lesparre-Médoc, rural Médoc, outside Bordeaux Métropole
PERIGUEUX = "24322"
LIMOGES = "87085"
PAU = "64445"
LOCAL_COUNTERS = {
    "atis-nouvelle-aquitaine",
    "departement-33-service-ess",
    "france-active-nouvelle-aquitaine",
}


@pytest.mark.parametrize("commune", [BORDEAUX, LESPARRE])
@pytest.mark.parametrize("theme", ["mobilite", "alimentation", "solidarites"])
def test_a_gironde_association_with_a_social_project_gets_the_call_with_its_scope(
    catalog: Catalog, commune: str, theme: str
) -> None:
    result = _match(
        catalog,
        commune=commune,
        carrier="association",
        stage="experimentation",
        themes=[theme],
        needs=["financement"],
    )
    assert GIRONDE in _ids(result.schemes)
    verdict, detail = _criteria(result, GIRONDE)["theme"]
    assert verdict == "unknown"
    assert detail.startswith("Objectifs de l'appel : lutte contre toutes les formes d'exclusion")
    assert "vérifiez que votre projet y entre" in detail


def test_the_gironde_call_filters_on_no_theme_and_says_what_it_targets(catalog: Catalog) -> None:
    scheme = _scheme(catalog, GIRONDE)
    assert scheme.themes == ()
    assert scheme.themes_scope is not None
    assert "citoyenneté" in scheme.themes_scope.fr
    assert "citizenship" in scheme.themes_scope.en


def test_the_gironde_call_has_no_confirmed_next_edition(catalog: Catalog) -> None:
    scheme = _scheme(catalog, GIRONDE)
    assert scheme.calendar.mode == "periodic"
    assert scheme.calendar.unconfirmed
    assert scheme.calendar.next_expected is None
    labels = [s.label.fr for s in scheme.calendar.sessions if s.label]
    assert labels == ["5e édition (2020)"]  # a plain label: the details are in the note
    assert scheme.calendar.note is not None
    assert "fin 2020" in scheme.calendar.note.fr
    result = _match(
        catalog,
        commune=BORDEAUX,
        carrier="association",
        stage="emergence",
        themes=["solidarites"],
        needs=["financement"],
    )
    verdict, detail = _criteria(result, GIRONDE)["calendar"]
    assert verdict == "unknown"
    assert detail.startswith("Prochaine édition non confirmée")


def test_the_gironde_call_links_the_departements_own_page(catalog: Catalog) -> None:
    scheme = _scheme(catalog, GIRONDE)
    assert scheme.url.startswith("https://www.gironde.fr/")
    assert scheme.official
    assert scheme.verified is not None
    assert "gironde.fr/" in scheme.verified.page


def test_a_gironde_commune_gets_the_call_with_the_public_bodies_condition(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune=LESPARRE,
        carrier="collectivite",
        stage="emergence",
        themes=["solidarites"],
        needs=["financement"],
    )
    assert _ids(result.schemes)[0] == GIRONDE
    verdict, detail = _criteria(result, GIRONDE)["carrier"]
    assert verdict == "unknown"
    assert "Relais Petite Enfance" in detail


def test_an_association_outside_the_gironde_does_not_get_the_call(catalog: Catalog) -> None:
    result = _match(
        catalog,
        commune=PERIGUEUX,
        carrier="association",
        stage="emergence",
        themes=["solidarites"],
        needs=["financement"],
    )
    assert GIRONDE not in [m.scheme.id for m in (*result.schemes, *result.near_misses)]


def test_bordeaux_solidarity_association_gets_the_gironde_call_as_its_local_scheme(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune=BORDEAUX,
        carrier="association",
        stage="emergence",
        themes=["solidarites"],
        needs=["financement"],
    )
    local = [m for m in result.schemes if m.level.value != "national"]
    assert [m.scheme.id for m in local] == [GIRONDE]
    assert local[0].level.value == "department"
    # Only schemes whose calendar is known come before a call with no confirmed next edition.
    position = _ids(result.schemes).index(GIRONDE)
    assert all(doubt(m.scheme, TODAY) == 0 for m in result.schemes[:position])
    assert doubt(result.schemes[position].scheme, TODAY) == 1
    assert _counters(result)[0] in LOCAL_COUNTERS
    assert _counters(result)[:2] == ["atis-nouvelle-aquitaine", "departement-33-service-ess"]


def test_departement_33_counter_links_its_current_page_and_seat(catalog: Catalog) -> None:
    counter = _counter(catalog, "departement-33-service-ess")
    assert counter.url == (
        "https://www.gironde.fr/associations/subventions/developpement-social/"
        "soutien-lexperimentation-et-linnovation-sociale"
    )
    assert counter.commune == BORDEAUX
    assert counter.location_precision == "commune"
    assert counter.verified is not None


def test_cress_nouvelle_aquitaine_has_no_own_site_known_so_stays_unverified(
    catalog: Catalog,
) -> None:
    counter = _counter(catalog, "cress-nouvelle-aquitaine")
    assert counter.url == "https://www.ess-france.org"
    assert counter.location_precision == "approximate"
    assert counter.verified is None
    assert counter.coverage.regions == ("75",)
    assert not any("cresshdf" in s or "cresspaca" in s for s in counter.source)


def test_atis_answers_in_dordogne_but_not_in_the_pyrenees_atlantiques(catalog: Catalog) -> None:
    profile = {"carrier": "habitant", "stage": "idee", "themes": ["solidarites"]}
    assert "atis-nouvelle-aquitaine" in _counters(_match(catalog, commune=PERIGUEUX, **profile))
    assert "atis-nouvelle-aquitaine" not in _counters(_match(catalog, commune=PAU, **profile))
    counter = _counter(catalog, "atis-nouvelle-aquitaine")
    assert counter.kind.value == "incubator"
    assert counter.location_precision == "approximate"


def test_france_active_nouvelle_aquitaine_answers_across_the_region(catalog: Catalog) -> None:
    result = _match(
        catalog, commune=LIMOGES, carrier="association", stage="emergence", needs=["financement"]
    )
    match = next(c for c in result.counters if c.counter.id == "france-active-nouvelle-aquitaine")
    assert match.level.value == "region"
    assert match.counter.kind.value == "financer"


def test_the_gironde_dla_takes_existing_employers_not_projects_in_creation(
    catalog: Catalog,
) -> None:
    existing = _match(
        catalog,
        commune=LESPARRE,
        carrier="association",
        stage="developpement",
        needs=["accompagnement"],
    )
    assert "dla-gironde" in _counters(existing)
    idea = _match(catalog, commune=LESPARRE, carrier="association", stage="emergence")
    assert "dla-gironde" not in _counters(idea)
    assert "dla-gironde" not in _counters(
        _match(catalog, commune=PERIGUEUX, carrier="association", stage="developpement")
    )
