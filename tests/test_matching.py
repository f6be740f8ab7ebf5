"""Matching explains, criterion by criterion, which schemes and counters fit a project."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.core.catalog import Catalog
from bot.core.freshness import needs_check
from bot.core.matching import MatchResult, Profile, ProfileError
from bot.core.matching.matcher import EXISTENCE_UNSURE, doubt
from bot.core.models import Carrier, Need, Stage
from bot.core.money import format_euros

TODAY = dt.date(2026, 11, 28)


def _match(catalog: Catalog, **fields: object) -> MatchResult:
    return catalog.matcher.match(Profile.model_validate(fields), TODAY)


def _ids(matches: object) -> list[str]:
    return [m.scheme.id for m in matches]  # type: ignore[attr-defined]


def _criteria(result: MatchResult, scheme_id: str) -> dict[str, tuple[str, str]]:
    match = next(m for m in (*result.schemes, *result.near_misses) if m.scheme.id == scheme_id)
    return {a.criterion.value: (a.verdict.value, a.detail) for a in match.criteria}


def test_association_in_arras_with_a_recyclerie_gets_the_budget_citoyen_first(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune="62041",
        carrier="association",
        stage="emergence",
        themes=["economie-circulaire"],
        needs=["financement"],
        amount=15000,
    )
    assert _ids(result.schemes)[0] == "pas-de-calais-budget-citoyen"
    first = result.schemes[0]
    assert first.level.value == "department"
    criteria = _criteria(result, "pas-de-calais-budget-citoyen")
    assert criteria["territory"] == ("met", "Ouvert dans votre département (Pas-de-Calais)")
    assert criteria["carrier"][0] == "met"
    assert "atelier" in " ".join(first.checks)  # the comptoir is mandatory before applying
    counters = [c.counter.id for c in result.counters]
    assert counters[0] in {
        "pas-de-calais-comptoirs-initiatives-citoyennes",
        "departement-62-service-ess",
    }
    assert "pas-de-calais-comptoirs-initiatives-citoyennes" in counters[:2]
    assert result.notice is None


def test_association_in_metz_gets_the_moselle_call(catalog: Catalog) -> None:
    result = _match(
        catalog,
        commune="57463",
        carrier="association",
        stage="emergence",
        themes=["economie-circulaire"],
        needs=["financement"],
    )
    assert _ids(result.schemes)[0] == "moselle-aap-innovation-sociale"
    assert result.counters[0].counter.id == "departement-57-service-ess"


def test_cooperative_near_toulouse_gets_the_haute_garonne_fund(catalog: Catalog) -> None:
    result = _match(
        catalog,
        commune="31069",  # Blagnac
        carrier="cooperative",
        stage="emergence",
        themes=["bien-vieillir"],
        needs=["financement"],
        amount=12000,
    )
    assert _ids(result.schemes)[0] == "haute-garonne-fonds-rebond-innovation-sociale"
    verdict, detail = _criteria(result, "haute-garonne-fonds-rebond-innovation-sociale")["amount"]
    assert verdict == "met" and format_euros(15000) in detail


def test_amount_over_the_ceiling_keeps_the_scheme_for_part_of_the_need(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune="31069",
        carrier="cooperative",
        stage="emergence",
        themes=["bien-vieillir"],
        needs=["financement"],
        amount=40000,
    )
    fund = next(
        m for m in result.schemes if m.scheme.id == "haute-garonne-fonds-rebond-innovation-sociale"
    )
    verdict, detail = _criteria(result, fund.scheme.id)["amount"]
    assert verdict == "partial" and fund.remedy is None
    expected = f"Jusqu'à {format_euros(15000)} : une partie de votre besoin ({format_euros(40000)})"
    if needs_check(fund.scheme, TODAY):  # never verified on the official page
        expected += " (à vérifier)"
    assert detail == expected


def test_individual_in_val_couesnon_gets_ille_et_vilaine_with_the_sponsor_condition(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune="35004",
        carrier="habitant",
        stage="idee",
        themes=["habitat"],
        needs=["financement", "accompagnement"],
    )
    assert _ids(result.schemes)[0] == "ille-et-vilaine-emergence-projets-collectifs"
    verdict, _ = _criteria(result, "ille-et-vilaine-emergence-projets-collectifs")["carrier"]
    assert verdict == "met"
    assert any("parrainé" in check for check in result.schemes[0].checks)


def test_nothing_local_says_so_and_gives_national_routes(catalog: Catalog) -> None:
    result = _match(
        catalog,
        commune="15014",  # Aurillac, Cantal: no département scheme in the base
        carrier="association",
        stage="emergence",
        themes=["culture-sport-loisirs"],
        needs=["financement"],
    )
    assert result.notice is not None and "partout en France" in result.notice
    assert result.schemes and all(m.level.value == "national" for m in result.schemes)
    assert result.counters


def test_never_an_empty_answer_even_when_no_scheme_fits(catalog: Catalog) -> None:
    result = _match(
        catalog, commune="97502", carrier="collectivite", stage="essaimage", needs=["locaux"]
    )
    assert result.counters, "someone to talk to"
    assert result.notice is not None


def test_a_near_miss_on_the_carrier_suggests_an_association(catalog: Catalog) -> None:
    result = _match(
        catalog, commune="57463", carrier="habitant", stage="emergence", needs=["financement"]
    )
    near = {m.scheme.id: m for m in result.near_misses}
    assert near["moselle-aap-innovation-sociale"].remedy == (
        "Accessible en créant une association avec d'autres personnes"
    )


def test_schemes_are_ranked_narrowest_territory_first(catalog: Catalog) -> None:
    result = _match(
        catalog, commune="31555", carrier="association", stage="emergence", needs=["financement"]
    )
    order = {"commune": 0, "epci": 1, "department": 2, "region": 3, "national": 4}
    ranks = [
        (doubt(m.scheme, TODAY) == EXISTENCE_UNSURE, order[m.level.value]) for m in result.schemes
    ]
    assert ranks == sorted(ranks)  # a scheme that may no longer exist comes last
    assert len({level for _, level in ranks}) > 1


def test_counters_are_ranked_by_coverage_level_then_distance(catalog: Catalog) -> None:
    result = _match(catalog, commune="12300", carrier="association", stage="emergence")
    order = {"commune": 0, "radius": 1, "epci": 2, "department": 3, "region": 4, "national": 5}
    levels = [order[c.level.value] for c in result.counters]
    assert levels == sorted(levels)
    assert "adefpat" in [c.counter.id for c in result.counters]


def _set_calendar(knowledge: Path, scheme_id: str, calendar: dict[str, object]) -> Catalog:
    path = knowledge / "schemes" / f"{scheme_id}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["calendar"] = calendar
    data.pop("verified", None)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return Catalog.load(knowledge)


def test_periodic_scheme_between_sessions_stays_listed_with_its_next_session(
    knowledge_copy: Path,
) -> None:
    past = {"opens": "2025-03-01", "closes": "2025-06-13", "label": {"fr": "2025", "en": "2025"}}
    expected = {"label": {"fr": "édition 2027", "en": "2027 edition"}}
    calendar = {"mode": "periodic", "sessions": [past], "next_expected": expected}
    catalog = _set_calendar(knowledge_copy, "moselle-aap-innovation-sociale", calendar)
    result = _match(catalog, commune="57463", carrier="association", stage="emergence")
    verdict, detail = _criteria(result, "moselle-aap-innovation-sociale")["calendar"]
    assert "moselle-aap-innovation-sociale" in _ids(result.schemes)
    assert (verdict, detail) == ("unknown", "Prochaine session attendue (édition 2027)")


def test_an_open_session_is_met_and_its_deadline_ranks_it(knowledge_copy: Path) -> None:
    session = {"opens": "2026-11-01", "closes": "2026-12-15", "label": {"fr": "Test", "en": "Test"}}
    calendar = {"mode": "periodic", "sessions": [session]}
    catalog = _set_calendar(knowledge_copy, "moselle-aap-innovation-sociale", calendar)
    result = _match(catalog, commune="57463", carrier="association", stage="emergence")
    match = next(m for m in result.schemes if m.scheme.id == "moselle-aap-innovation-sociale")
    assert match.deadline == dt.date(2026, 12, 15)
    # never verified on the official page: the date is given, and said to be checked
    assert _criteria(result, "moselle-aap-innovation-sociale")["calendar"] == (
        "met",
        "Candidatures ouvertes jusqu'au 15 décembre 2026 (à vérifier)",
    )
    path = knowledge_copy / "schemes" / "moselle-aap-innovation-sociale.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["verified"] = {"on": "2026-11-20", "by": "Équipe", "page": "https://www.moselle.fr/x"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = _match(
        Catalog.load(knowledge_copy), commune="57463", carrier="association", stage="emergence"
    )
    assert _criteria(result, "moselle-aap-innovation-sociale")["calendar"] == (
        "met",
        "Candidatures ouvertes jusqu'au 15 décembre 2026",
    )


def test_a_closed_scheme_is_excluded_everywhere(knowledge_copy: Path) -> None:
    path = knowledge_copy / "schemes" / "moselle-aap-innovation-sociale.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["calendar"] = {"mode": "closed"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    catalog = Catalog.load(knowledge_copy)
    result = _match(catalog, commune="57463", carrier="association", stage="emergence")
    assert "moselle-aap-innovation-sociale" not in _ids((*result.schemes, *result.near_misses))


def test_english_wording_comes_from_the_content(catalog: Catalog) -> None:
    profile = Profile(commune="62041", carrier="association", stage="emergence")
    result = catalog.matcher.match(profile, TODAY, language="en")
    assert result.schemes[0].criteria[0].detail == "Open in your département (Pas-de-Calais)"


def test_unknown_commune_or_theme_is_refused_with_the_allowed_values(catalog: Catalog) -> None:
    with pytest.raises(ProfileError, match="code INSEE"):
        catalog.matcher.check(Profile(commune="00000", carrier="association", stage="idee"))
    with pytest.raises(ProfileError, match="valeurs permises : agriculture"):
        catalog.matcher.check(
            Profile(commune="62041", carrier="association", stage="idee", themes=["robots"])
        )


def _run_match(tmp_path: Path, profile: object, *extra: str) -> int:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile), encoding="utf-8")
    return main(["match", str(path), *extra])


def test_match_command_prints_the_stable_json_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = {"commune": "62041", "carrier": "association", "stage": "emergence"}
    assert _run_match(tmp_path, profile, "--date", "2026-11-28", "--json") == 0
    output = json.loads(capsys.readouterr().out)
    assert {"schemes", "near_misses", "counters"} <= set(output)
    scheme = output["schemes"][0]
    assert {"id", "name", "score", "criteria"} <= set(scheme)
    assert [c["name"] for c in scheme["criteria"]] == [
        "territory", "carrier", "stage", "theme", "need", "amount", "calendar",
    ]  # fmt: skip
    assert {c["verdict"] for c in scheme["criteria"]} <= {"met", "unknown", "not_met"}
    assert {"id", "name", "distance_km", "level", "reasons"} <= set(output["counters"][0])


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (
            {"commune": "62041", "carrier": "asso", "stage": "idee"},
            "valeurs permises : habitant, collectif-informel, association",
        ),
        (
            {"commune": "62041", "carrier": "association", "stage": "idee", "budget": 3},
            "champ inconnu « budget » ; champs permis : commune, carrier, stage",
        ),
        (
            {"commune": "62041", "carrier": "association", "stage": "idee", "needs": ["argent"]},
            "valeurs permises : financement, accompagnement",
        ),
        (
            {"commune": "62041", "carrier": "association", "stage": "idee", "themes": ["x"]},
            "valeurs permises : agriculture, alimentation",
        ),
    ],
)
def test_match_command_exits_2_listing_allowed_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], profile: object, expected: str
) -> None:
    assert _run_match(tmp_path, profile) == 2
    assert expected in capsys.readouterr().err


@pytest.fixture(scope="module")
def insee_codes(catalog: Catalog) -> list[str]:
    return sorted(catalog.knowledge.geo.communes)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_valid_profile_gets_someone_to_talk_to(
    catalog: Catalog, insee_codes: list[str], data: st.DataObject
) -> None:
    slugs = sorted(catalog.knowledge.theme_slugs)
    profile = Profile(
        commune=data.draw(st.sampled_from(insee_codes)),
        carrier=data.draw(st.sampled_from(list(Carrier))),
        stage=data.draw(st.sampled_from(list(Stage))),
        themes=tuple(data.draw(st.lists(st.sampled_from(slugs), max_size=3, unique=True))),
        needs=tuple(data.draw(st.lists(st.sampled_from(list(Need)), max_size=3, unique=True))),
        amount=data.draw(st.none() | st.integers(min_value=0, max_value=10_000_000)),
    )
    result = catalog.matcher.match(profile, TODAY)
    assert result.counters
    assert result.schemes or result.notice
    for match in (*result.schemes, *result.near_misses):
        verdicts = [a.verdict.value for a in match.criteria]
        assert verdicts.count("not_met") == (0 if match in result.schemes else 1)
        assert all(a.detail for a in match.criteria)


def test_a_counter_in_the_citizens_own_commune_is_said_to_be_close(catalog: Catalog) -> None:
    result = _match(catalog, commune="57463", carrier="association", stage="emergence")
    service = next(c for c in result.counters if c.counter.id == "departement-57-service-ess")
    assert service.distance_km is not None and service.distance_km < 1
    assert "Dans votre commune ou tout près" in service.reasons
    assert not any("0,0 km" in reason for reason in service.reasons)


@pytest.mark.parametrize(
    "profile",
    [
        {"commune": "62041", "carrier": "association", "stage": "emergence",
         "themes": ["economie-circulaire"], "needs": ["financement"], "amount": 15000},
        {"commune": "35068", "carrier": "habitant", "stage": "idee", "needs": ["accompagnement"]},
        {"commune": "31069", "carrier": "cooperative", "stage": "developpement",
         "needs": ["financement"], "amount": 900000},
    ],
)  # fmt: skip
def test_match_in_english_is_english_throughout(
    profile: dict[str, object],
    catalog: Catalog,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile), encoding="utf-8")
    assert main(["match", str(path), "--lang", "en", "--date", "2026-11-28", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert main(["match", str(path), "--lang", "en", "--date", "2026-11-28"]) == 0
    text = capsys.readouterr().out
    sentences = [text]
    for group in ("schemes", "near_misses"):
        for scheme in result[group]:
            sentences += [scheme["reason"], scheme["remedy"] or "", *scheme["checks"]]
            sentences += [c["detail"] for c in scheme["criteria"]]
    for counter in result["counters"]:
        sentences += [*counter["reasons"], counter["how"] or ""]
    written = "\n".join(sentences)
    for group in ("schemes", "near_misses", "counters"):  # proper names stay as they are
        for record in result[group]:
            written = written.replace(record["name"], "").replace(record.get("funder", ""), "")
    for french in _french_only(catalog):  # as words: « formation » is not in "information"
        assert not re.search(rf"(?<!\w){re.escape(french)}(?!\w)", written), french


def _french_only(catalog: Catalog) -> set[str]:
    """Every French wording of the vocabulary that differs from its English one."""
    vocabulary = catalog.knowledge.vocabulary
    texts = [
        *vocabulary.stages.values(),
        *vocabulary.carriers.values(),
        *vocabulary.needs.values(),
        *vocabulary.levels.values(),
        *vocabulary.months,
        *(theme.label for theme in catalog.knowledge.themes),
    ]
    found = {t.fr for t in texts if t.fr != t.en and len(t.fr) > 4}
    for _, phrase in vocabulary.phrases:
        for fragment in re.split(r"\{[a-z_]+\}", phrase.fr):
            if len(fragment.strip()) >= 8 and fragment not in phrase.en:
                found.add(fragment.strip())
    return found
