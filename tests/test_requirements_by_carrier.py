"""What a citizen is asked to check concerns their carrier; near misses make sense to them."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
import yaml

from bot.core import applicability
from bot.core.catalog import Catalog
from bot.core.knowledge import ContentError, load_knowledge
from bot.core.matching import Criterion, Profile, Verdict
from bot.core.matching.matcher import stage_gap
from bot.core.models import Carrier, Requirements, Stage

TODAY = dt.date(2026, 11, 28)
DIALOG = Path(__file__).resolve().parents[1] / "dialogs" / "qualification.yaml"


def _phrase(catalog: Catalog, requirement: str) -> str:
    phrases = catalog.knowledge.vocabulary.phrases
    name = {"esus_approval": "esus", "structure_min_age_years": "structure_min_age"}.get(
        requirement, requirement
    )
    return str(getattr(phrases, f"requirement_{name}").fr.split("{")[0])


@pytest.mark.parametrize("carrier", list(Carrier))
def test_no_check_shown_concerns_another_carrier_for_any_scheme(
    catalog: Catalog, carrier: Carrier
) -> None:
    explainer = catalog.matcher.explainer
    for scheme in catalog.knowledge.schemes:
        region = next(iter(scheme.territory.regions), "32")
        checks = explainer.checks(scheme, carrier, region, "fr")
        for name in Requirements.model_fields:
            value = getattr(scheme.requirements, name)
            if carrier not in applicability.concerned(name, value, scheme):
                phrase = _phrase(catalog, name)
                assert not any(c.startswith(phrase) for c in checks), (scheme.id, carrier, name)
        for condition in scheme.conditions:
            if condition.carriers and carrier not in condition.carriers:
                assert condition.fr not in checks, (scheme.id, carrier)
        own = scheme.carrier_conditions.get(carrier)
        for other, text in scheme.carrier_conditions.items():
            if other != carrier and text != own:
                assert text.fr not in checks, (scheme.id, carrier, other)


def test_sponsorship_is_asked_of_individuals_and_groups_only(catalog: Catalog) -> None:
    scheme = next(
        s
        for s in catalog.knowledge.schemes
        if s.id == "ille-et-vilaine-emergence-projets-collectifs"
    )
    explainer = catalog.matcher.explainer
    for carrier in scheme.carriers:
        said = " ".join(explainer.checks(scheme, carrier, "53", "fr"))
        assert ("parrain" in said) == (carrier in applicability.WITHOUT_STRUCTURE), carrier


def _grid(catalog: Catalog) -> list[Profile]:
    communes = ["62510", "35004", "31555", "57463", "97411", "23096", "33063", "54395"]
    themes = [("bien-vieillir",), ("transition-energetique",), ("solidarites", "alimentation"), ()]
    needs = [("financement",), ("accompagnement",), ("reseau", "visibilite")]
    return [
        Profile(
            commune=commune,
            carrier=carrier,
            stage=stage,
            themes=theme,
            needs=need,
            amount=25000,
        )
        for commune, carrier, stage, theme, need in itertools.product(
            communes, Carrier, Stage, themes, needs
        )
    ]


def test_near_misses_never_ask_to_change_the_theme_or_become_what_one_cannot(
    catalog: Catalog,
) -> None:
    paths = catalog.knowledge.vocabulary.carrier_paths
    for profile in _grid(catalog):
        result = catalog.matcher.match(profile, TODAY)
        for match in (*result.schemes, *result.near_misses):
            verdicts = {a.criterion: a.verdict for a in match.criteria}
            assert verdicts[Criterion.THEME] != Verdict.NOT_MET
            assert stage_gap(match.scheme, profile.stage) <= 1
            if verdicts[Criterion.CARRIER] == Verdict.NOT_MET:
                assert profile.carrier in paths, (profile.carrier, match.scheme.id)
                assert match.remedy is not None and match.remedy.startswith("Accessible ")
        for match in result.near_misses:
            assert match.remedy and "Il faudrait" not in match.remedy
        assert all(m.remedy is None for m in result.schemes)


def test_an_association_can_never_become_an_individual(catalog: Catalog) -> None:
    paths = catalog.knowledge.vocabulary.carrier_paths
    for carrier in applicability.STRUCTURED:
        assert not set(paths.get(carrier, {})) & applicability.WITHOUT_STRUCTURE


def test_a_scheme_made_for_the_project_is_not_a_near_miss_for_a_secondary_need(
    catalog: Catalog,
) -> None:
    profile = Profile(
        commune="35238",
        carrier="cooperative",
        stage="emergence",
        themes=("transition-energetique",),
        needs=("financement",),
    )
    result = catalog.matcher.match(profile, TODAY)
    assert "energie-partagee" in [m.scheme.id for m in result.schemes]
    assert "energie-partagee" not in [m.scheme.id for m in result.near_misses]


def test_a_company_is_told_honestly_what_needs_an_ess_status(catalog: Catalog) -> None:
    dialog = yaml.safe_load(DIALOG.read_text(encoding="utf-8"))
    options = [o["value"] for o in dialog["nodes"]["carrier"]["options"]]
    assert "entreprise" in options
    profile = Profile(
        commune="31555",
        carrier="entreprise",
        stage="emergence",
        themes=("bien-vieillir",),
        needs=("financement",),
        amount=10000,
    )
    result = catalog.matcher.match(profile, TODAY)
    open_to_all = {m.scheme.id for m in result.schemes}
    assert {"france-active-garantie", "prets-d-honneur"} <= open_to_all
    fund = next(
        m
        for m in result.near_misses
        if m.scheme.id == "haute-garonne-fonds-rebond-innovation-sociale"
    )
    assert fund.remedy is not None and "ESS" in fund.remedy


def _write(root: Path, name: str, edit: dict[str, object]) -> None:
    path = root / "schemes" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(edit)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "edit", "expected"),
    [
        ("fdva-fonctionnement-innovation", {"requirements": {"sponsor": True}}, "aucun"),
        (
            "ille-et-vilaine-emergence-projets-collectifs",
            {"requirements": {"sponsor": ["association"]}},
            "ne peut concerner",
        ),
        (
            "fdva-fonctionnement-innovation",
            {"conditions": [{"fr": "a", "en": "a", "carriers": ["habitant"]}]},
            "absents",
        ),
        ("dla", {"name": "DLA (Avise et Caisse des Dépôts)"}, "répète le financeur"),
        ("dla", {"calendar": {"mode": "permanent", "unconfirmed": True}}, "periodic"),
        (
            "incubateurs-ess",
            {"conditions": [{"fr": "a", "en": "a", "regions": ["99"]}]},
            "région inconnu",
        ),
    ],
)
def test_kb_check_rejects_what_cannot_be_right(
    knowledge_copy: Path, name: str, edit: dict[str, object], expected: str
) -> None:
    _write(knowledge_copy, name, edit)
    with pytest.raises(ContentError) as raised:
        load_knowledge(knowledge_copy)
    assert expected in str(raised.value)


def test_regional_text_is_said_only_in_its_region(catalog: Catalog) -> None:
    def fabrique_notes(commune: str) -> tuple[str, ...]:
        profile = Profile(commune=commune, carrier="habitant", stage="idee")
        counters = catalog.matcher.counters(profile)
        notes = next(c.notes for c in counters if c.counter.id == "fabrique-a-initiatives")
        unverified = catalog.knowledge.vocabulary.phrases.counter_unverified.fr
        return tuple(n for n in notes if n != unverified)

    assert any("Bretagne" in n for n in fabrique_notes("35238"))  # Rennes
    assert fabrique_notes("62510") == ()  # Liévin
