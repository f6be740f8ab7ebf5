"""Compiled or verified: `kb check` warns on stale records, the bot marks their facts to check."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.core.catalog import Catalog
from bot.core.content import load_qualification
from bot.core.freshness import needs_check
from bot.core.knowledge import ContentError, load_knowledge
from bot.core.matching import MatchResult, Profile
from bot.core.matching.snapshot import snapshot
from bot.core.qualification import messages

TODAY = dt.date.today()
DIALOG = Path(__file__).resolve().parents[1] / "dialogs" / "qualification.yaml"
DLA = "schemes/dla.yaml"


def _rewrite(knowledge: Path, name: str, **fields: object) -> None:
    """Set (or, with None, drop) top-level fields of one record, keeping the rest."""
    path = knowledge / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in fields.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _verified(on: dt.date) -> dict[str, str]:
    return {"on": on.isoformat(), "by": "Équipe", "page": "https://www.avise.org/dla"}


def _warnings(knowledge: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["kb", "check", "--knowledge", str(knowledge), *extra])
    return code, capsys.readouterr().out


def test_kb_check_warns_on_never_verified_and_stale_records_and_passes(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _rewrite(knowledge_copy, DLA, verified=None)
    _rewrite(knowledge_copy, "counters/dla.yaml", verified=_verified(TODAY - dt.timedelta(400)))
    _rewrite(knowledge_copy, "schemes/energie-partagee.yaml", verified=_verified(TODAY))
    code, out = _warnings(knowledge_copy, capsys)
    assert code == 0 and out.startswith("Base de connaissances valide")
    never = re.search(
        r"^knowledge/schemes/dla\.yaml:\d+: verified: avertissement : jamais vérifiée", out, re.M
    )
    stale = re.search(
        r"^knowledge/counters/dla\.yaml:\d+: verified: avertissement : dernière vérification le "
        rf"{(TODAY - dt.timedelta(400)):%d/%m/%Y}, il y a plus de 12 mois",
        out,
        re.M,
    )
    assert never and stale
    assert "energie-partagee.yaml" not in out  # verified today: nothing to say
    warned = len(re.findall(r": verified: avertissement", out))
    assert f"{warned} avertissement(s)" in out


def test_kb_check_strict_fails_on_warnings_only(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _warnings(knowledge_copy, capsys, "--strict")[0] == 1
    catalog = Catalog.load(knowledge_copy)
    for record in (*catalog.knowledge.schemes, *catalog.knowledge.counters):
        kind = "schemes" if record in catalog.knowledge.schemes else "counters"
        _rewrite(knowledge_copy, f"{kind}/{record.id}.yaml", verified=_verified(TODAY))
    code, out = _warnings(knowledge_copy, capsys, "--strict")
    assert code == 0 and "avertissement" not in out


def test_a_verification_is_a_page_a_person_and_a_date(knowledge_copy: Path) -> None:
    _rewrite(knowledge_copy, DLA, verified={"on": "2026-11-30", "by": "Équipe", "page": "avise"})
    with pytest.raises(ContentError) as raised:
        load_knowledge(knowledge_copy, today=dt.date(2026, 12, 3))
    assert [(p.field, p.message.split(" ")[0]) for p in raised.value.problems] == [
        ("verified.page", "doit")
    ]


def test_on_and_no_are_words_in_the_knowledge_yaml(knowledge_copy: Path) -> None:
    path = knowledge_copy / DLA
    text = re.sub(r"(?ms)^verified:\n(?:  .*\n)*", "", path.read_text(encoding="utf-8"))
    text += "verified:\n  on: 2026-11-30\n  by: no\n  page: https://www.avise.org/dla\n"
    path.write_text(text, encoding="utf-8")
    scheme = next(s for s in Catalog.load(knowledge_copy).knowledge.schemes if s.id == "dla")
    assert scheme.verified is not None
    assert (scheme.verified.on, scheme.verified.by) == (dt.date(2026, 11, 30), "no")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"themes": ["mobilite"], "themes_scope": {"fr": "Tout", "en": "All"}}, "themes_scope"),
        ({"amount": {"max": 1000, "covers_percent": 50}}, "covers_percent"),
        (
            {
                "calendar": {
                    "mode": "periodic",
                    "next_expected": {"label": {"fr": "Édition 2027 : dates", "en": "2027"}},
                }
            },
            "deux-points",
        ),
    ],
)
def test_fields_that_would_mislead_the_citizen_are_rejected(
    knowledge_copy: Path, fields: dict[str, object], message: str
) -> None:
    _rewrite(knowledge_copy, DLA, **fields)
    with pytest.raises(ContentError) as raised:
        load_knowledge(knowledge_copy, today=dt.date(2026, 12, 3))
    assert len(raised.value.problems) == 1 and message in str(raised.value.problems[0])


def _match(catalog: Catalog, **fields: object) -> MatchResult:
    return catalog.matcher.match(Profile.model_validate(fields), dt.date(2026, 12, 3))


def test_facts_of_a_never_verified_scheme_read_as_to_check_and_verified_ones_do_not(
    knowledge_copy: Path,
) -> None:
    profile = {
        "commune": "31555",
        "carrier": "association",
        "stage": "experimentation",
        "needs": ["financement"],
        "amount": 20000,
    }
    _rewrite(knowledge_copy, "schemes/france-active-garantie.yaml", verified=None)
    result = _match(Catalog.load(knowledge_copy), **profile)
    garantie = next(m for m in result.schemes if m.scheme.id == "france-active-garantie")
    details = {a.criterion.value: a.detail for a in garantie.criteria}
    assert details["amount"].endswith("(à vérifier)")
    assert details["calendar"] == "Vous pouvez le solliciter toute l'année (à vérifier)"
    _rewrite(
        knowledge_copy,
        "schemes/france-active-garantie.yaml",
        verified=_verified(dt.date(2026, 11, 30)),
    )
    catalog = Catalog.load(knowledge_copy)
    result = _match(catalog, **profile)
    garantie = next(m for m in result.schemes if m.scheme.id == "france-active-garantie")
    assert not needs_check(garantie.scheme, dt.date(2026, 12, 3))
    details = {a.criterion.value: a.detail for a in garantie.criteria}
    assert "vérifier" not in details["amount"] + details["calendar"]
    view = snapshot(result, "fr", catalog.knowledge.geo.communes)
    number = [s.id for s in messages.shown(view)].index("france-active-garantie") + 1
    shown = messages.shown(view)[number - 1]
    words = catalog.knowledge.vocabulary.results
    assert "Fiche vérifiée le 30 novembre 2026 sur la page officielle." in (
        messages.details(shown, number, words, "fr").text
    )


def test_a_guarantee_compares_what_it_covers_of_the_loan_never_the_need(catalog: Catalog) -> None:
    def amount(need: int) -> tuple[str, str]:
        result = _match(
            catalog,
            commune="75056",
            carrier="association",
            stage="developpement",
            needs=["financement"],
            amount=need,
        )
        match = next(m for m in result.schemes if m.scheme.id == "france-active-garantie")
        criterion = next(a for a in match.criteria if a.criterion.value == "amount")
        return criterion.verdict.value, criterion.detail

    verdict, detail = amount(8000)
    assert verdict == "met" and "entre dans la fourchette" not in detail
    assert "couvre jusqu'à 65 % d'un prêt bancaire" in detail
    assert "soit jusqu'à 5\u202f200\xa0€ pour un prêt de 8\u202f000\xa0€" in detail
    verdict, detail = amount(400_000)  # 65 % of it is more than the 200 000 € guaranteed
    assert verdict == "partial" and "une partie d'un prêt de 400\u202f000\xa0€" in detail


def test_an_unofficial_link_says_no_official_page_is_known(catalog: Catalog) -> None:
    result = _match(catalog, commune="54395", carrier="association", stage="emergence")
    view = snapshot(result, "fr", catalog.knowledge.geo.communes)
    unofficial = [s for s in messages.shown(view) if not s.official]
    assert unofficial, "the shipped base has schemes with no official page known"
    words = catalog.knowledge.vocabulary.results
    number = messages.shown(view).index(unofficial[0]) + 1
    text = messages.details(unofficial[0], number, words, "fr").text
    assert f"Pas de page officielle connue ; source : {unofficial[0].url}" in text
    assert "Page officielle :" not in text
    assert "pas encore vérifiée sur la page officielle" in text


def test_a_counter_never_verified_says_so_unless_its_seat_already_sends_to_its_site(
    catalog: Catalog,
) -> None:
    profile = Profile(commune="57463", carrier="association", stage="emergence")  # Metz
    counters = catalog.matcher.counters(profile, on=dt.date(2026, 12, 3))
    phrase = catalog.knowledge.vocabulary.phrases.counter_unverified.fr
    assert any(phrase in match.notes for match in counters)
    for match in counters:
        unsure = needs_check(match.counter, dt.date(2026, 12, 3))
        located = match.counter.location_precision != "approximate"
        assert (phrase in match.notes) == (unsure and located), match.counter.id


def test_a_counter_whose_own_site_is_unknown_says_so_where_its_link_is(catalog: Catalog) -> None:
    dialog = load_qualification(DIALOG, catalog)
    result = _match(catalog, commune="54395", carrier="association", stage="emergence")  # Nancy
    view = snapshot(result, "fr", catalog.knowledge.geo.communes)
    shown = view.counters[: messages.MAX_COUNTERS]
    unofficial = [c for c in shown if not c.official]
    assert [c.id for c in unofficial] == ["france-active-lorraine"]
    words = catalog.knowledge.vocabulary.results
    said = "\n".join(r.text for r in messages.results(view, dialog.texts, words, "fr"))
    assert f"— site propre non connu, voir : {unofficial[0].url}" in said
    official = next(c for c in shown if c.official)
    assert f"— {official.url}" in said
