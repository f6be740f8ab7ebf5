"""The pure dialog engine: controls, edits, versions, and no input ever makes it fail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.catalog import Catalog
from bot.core.content import Content, load_qualification
from bot.core.conversation import Inbound, Location
from bot.core.dialog.graph import mermaid
from bot.core.dialog.lint import load_dialog
from bot.core.dialog.schema import Dialog
from bot.core.effects import ForgetData
from bot.core.knowledge import ContentError
from tests.dialog_driver import CHAT, CONTEXT, DIALOG, NOW, Driver, QualificationEngine


def _to_needs(driver: Driver) -> None:
    driver.send("/start")
    driver.press("Oui")
    driver.send("Une recyclerie pour réparer et revendre des objets dans le quartier")
    driver.press("Valider")
    driver.send("Arras")
    driver.press("Une association")
    driver.press("Ça prend forme")


def test_shipped_dialogs_pass_the_linter(dialog: Dialog) -> None:
    assert dialog.start == "welcome"
    assert {"consent", "idea", "where", "recap", "file"} <= set(dialog.nodes)


def test_graph_is_a_mermaid_flowchart(dialog: Dialog) -> None:
    graph = mermaid(dialog)
    assert graph.startswith("flowchart TD\n")
    assert "    consent -- oui --> idea" in graph


def _rename_carrier_with_accents(data: dict[str, Any]) -> None:
    """A node id of 20 accented letters (40 bytes) makes its buttons exceed 64 bytes."""
    nodes = data["nodes"]
    nodes["é" * 20] = nodes.pop("carrier")
    nodes["é" * 20]["options"][0]["value"] = "a" * 24
    nodes["where"]["next"] = "é" * 20


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["nodes"]["idea"].update(next="nowhere"), "nœud cible inconnu « nowhere »"),
        (lambda d: d["nodes"].update(orphan={"kind": "end", "text": {"fr": "a", "en": "b"}}),
         "nœud inatteignable"),
        (lambda d: d["nodes"]["goodbye"].update(kind="say", next="goodbye", menu=[]), "impasse"),
        (lambda d: d["nodes"]["idea"]["text"].pop("en"), "text.en: champ obligatoire manquant"),
        (lambda d: d["nodes"]["idea"]["text"].update(fr="x" * 5000), "plus de 4096 caractères"),
        (_rename_carrier_with_accents, "donnée de bouton trop longue"),
        (lambda d: d["nodes"]["idea"].update(colour="red"), "colour: clé inconnue"),
    ],
)  # fmt: skip
def test_the_linter_names_file_line_and_field(
    tmp_path: Path, change: object, expected: str
) -> None:
    data = yaml.safe_load(DIALOG.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path = tmp_path / "qualification.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        load_dialog(path)
    lines = [str(p) for p in raised.value.problems]
    assert any(
        expected in line and line.startswith("dialogs/qualification.yaml:") for line in lines
    ), lines


def test_progress_hint_and_back_follow_the_path_taken(engine: QualificationEngine) -> None:
    driver = Driver(engine)
    _to_needs(driver)
    assert "Étape 6 sur 6" in driver.text()
    driver.send("/retour")
    assert driver.node == "stage"
    driver.send("/retour")
    assert driver.node == "carrier"


def test_back_at_the_start_says_so(engine: QualificationEngine) -> None:
    driver = Driver(engine)
    driver.send("/start")
    driver.send("/retour")
    assert "déjà au début" in driver.text()


def test_restart_forgets_the_answers(engine: QualificationEngine) -> None:
    driver = Driver(engine)
    _to_needs(driver)
    driver.send("/recommencer")
    assert driver.state is not None and driver.state.answers == {}
    assert "recommence" in driver.text()


def test_a_stale_button_is_refused_and_the_question_asked_again(
    engine: QualificationEngine,
) -> None:
    driver = Driver(engine)
    _to_needs(driver)
    driver.send(button="carrier|cooperative")
    assert "Ce bouton n'est plus actif — reprenons ici" in driver.text()
    assert driver.node == "needs"
    assert driver.state is not None and driver.state.answers["carrier"] == "association"


def test_typed_answers_work_for_choices_numbers_and_labels(engine: QualificationEngine) -> None:
    driver = Driver(engine)
    driver.send("/start")
    driver.send("oui")
    driver.send("Un jardin partagé au pied de l'immeuble")
    driver.press("Valider")
    driver.send("62041")
    driver.send("3")
    assert driver.state is not None and driver.state.answers["carrier"] == "association"
    driver.send("juste une idée")
    assert driver.state.answers["stage"] == "idee"


def test_ambiguous_commune_asks_which_and_location_resolves(engine: QualificationEngine) -> None:
    driver = Driver(engine)
    driver.send("/start")
    driver.press("Oui")
    driver.send("Un café associatif")
    driver.press("Valider")
    driver.send("Beaulieu")
    assert "laquelle est la vôtre" in driver.text()
    driver.press("Beaulieu (15)")
    assert driver.state is not None and driver.state.answers["commune"] == "15020"
    driver.send("/retour")
    driver.send(location=Location(50.2910, 2.7775))
    assert driver.state.answers["commune"] == "62041"


def test_amount_is_asked_only_when_funding_is_wanted(engine: QualificationEngine) -> None:
    driver = Driver(engine)
    _to_needs(driver)
    driver.press("Un local")
    driver.press("Valider")
    assert driver.node == "assess_offer"
    driver.send("/retour")
    driver.press("Un financement")
    driver.press("Valider")
    assert driver.node == "amount"
    driver.send("entre 5 et 10 000")
    assert driver.state is not None and driver.state.answers["amount"] == 10000


def _to_recap(driver: Driver) -> None:
    _to_needs(driver)
    driver.press("Un financement")
    driver.press("Valider")
    driver.send("15k")
    driver.press("Non")  # no self-assessment
    driver.press("Oui")  # call me back
    driver.send("Camille")
    driver.send("06 12 34 56 78")
    driver.press("Le matin")
    assert driver.node == "recap"


def test_editing_from_the_recap_re_asks_only_what_depends_on_it(
    engine: QualificationEngine,
) -> None:
    driver = Driver(engine)
    _to_recap(driver)
    driver.press("Modifier : Besoins")
    assert driver.node == "needs"
    driver.press("Un financement")  # unselect
    driver.press("Un local")
    driver.press("Valider")
    assert driver.node == "recap"  # amount no longer applies and nothing else was asked
    assert driver.state is not None
    assert "amount" not in driver.state.answers
    assert driver.state.answers["first_name"] == "Camille"
    driver.press("Modifier : Commune")
    driver.send("Metz")
    assert driver.node == "recap"
    assert "Moselle" in driver.text()  # the match ran again for the new commune


def test_content_version_change_resumes_at_the_nearest_valid_node(
    engine: QualificationEngine, dialog: Dialog, catalog: Catalog
) -> None:
    driver = Driver(engine)
    _to_needs(driver)
    nodes = dict(dialog.nodes)
    del nodes["needs"]
    stage = nodes["stage"].model_copy(update={"next": "assess_offer"})
    nodes["stage"] = stage
    newer = dialog.model_copy(update={"version": "test-2", "nodes": nodes})
    driver.engine = Content.build(catalog, newer).engine
    driver.send("hello")
    assert "mis à jour" in driver.text()
    assert driver.node == "stage"
    assert driver.state is not None and driver.state.tree_version == "test-2"


def test_forget_asks_for_confirmation_then_emits_the_effect(engine: QualificationEngine) -> None:
    driver = Driver(engine)
    _to_needs(driver)
    driver.send("/oublier")
    assert "définitive" in driver.text()
    turn = engine.advance(driver.state, Inbound(CHAT, button="_forget|yes"), CONTEXT)
    assert turn.effects == (ForgetData(),)
    assert turn.state.answers == {}


def test_language_switch_speaks_english(engine: QualificationEngine) -> None:
    driver = Driver(engine)
    driver.send("/start")
    driver.send("/langue")
    assert "English" in driver.text()
    assert driver.state is not None and driver.state.language == "en"


def test_a_sticker_or_photo_gets_a_kind_answer_and_the_question_again(
    engine: QualificationEngine,
) -> None:
    driver = Driver(engine)
    _to_needs(driver)
    driver.send()
    assert "que du texte" in driver.text()
    assert driver.node == "needs"


NODES_WITH_INPUT = ["consent", "idea", "themes", "where", "carrier", "stage", "needs", "amount"]


@settings(max_examples=150, deadline=None)
@given(
    stop=st.sampled_from(NODES_WITH_INPUT),
    text=st.one_of(
        st.text(max_size=300),
        st.text(alphabet=st.characters(categories=["Cc", "So", "Sk"]), max_size=50),
        st.just("x" * 10_000),
        st.just("🎉🎉🎉"),
    ),
)
def test_any_text_at_any_node_re_asks_or_moves_on(
    engine: QualificationEngine, stop: str, text: str
) -> None:
    driver = Driver(engine)
    driver.send("/start")
    route = [("button", "consent|oui"), ("text", "Une épicerie solidaire"),
             ("button", "themes|_ok"), ("text", "Arras"), ("button", "carrier|association"),
             ("button", "stage|idee"), ("button", "needs|financement"),
             ("button", "needs|_ok")]  # fmt: skip
    for (kind, value), node in zip(route, NODES_WITH_INPUT, strict=True):
        if node == stop:
            break
        driver.send(**{kind: value})
    before = driver.node
    replies = driver.send(text)
    assert replies, "always an answer"
    assert all(0 < len(r.text) <= 4096 for r in replies)
    assert all(len(b.data.encode()) <= 64 for r in replies for row in r.buttons for b in row)
    assert driver.node == before or driver.node in engine.dialog.nodes


def _edited_dialog(tmp_path: Path, change: Any) -> Path:
    data = yaml.safe_load(DIALOG.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "qualification.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_commands_are_content_a_rename_works_and_the_help_must_follow(
    tmp_path: Path, catalog: Catalog
) -> None:
    def rename(data: dict[str, Any]) -> None:
        back = next(c for c in data["commands"] if c["action"] == "back")
        back["command"] = "precedent"

    with pytest.raises(ContentError) as raised:
        load_qualification(_edited_dialog(tmp_path, rename), catalog)
    assert any(
        "ne mentionne pas la commande « /precedent »" in str(p) for p in raised.value.problems
    )

    def rename_and_document(data: dict[str, Any]) -> None:
        rename(data)
        for language in ("fr", "en"):
            data["texts"]["help"][language] += "\n/precedent"

    dialog = load_qualification(_edited_dialog(tmp_path, rename_and_document), catalog)
    driver = Driver(Content.build(catalog, dialog).engine)
    _to_needs(driver)
    driver.send("/precedent")
    assert driver.node == "stage"
    driver.send("/back")  # the English alias still works
    assert driver.node == "carrier"


def test_the_answers_a_profile_reads_are_checked_against_what_the_matcher_knows(
    tmp_path: Path, catalog: Catalog
) -> None:
    def rename_value(data: dict[str, Any]) -> None:
        data["nodes"]["carrier"]["options"][2]["value"] = "asso"

    with pytest.raises(ContentError) as raised:
        load_qualification(_edited_dialog(tmp_path, rename_value), catalog)
    assert any(
        "valeurs inconnues du moteur pour « carrier » : asso" in str(p)
        for p in raised.value.problems
    )

    def unknown_marker(data: dict[str, Any]) -> None:
        data["nodes"]["marker_collectif"]["marker"] = "bonheur"
        data["consent"]["value"] = "peut-etre"

    with pytest.raises(ContentError) as raised:
        load_qualification(_edited_dialog(tmp_path, unknown_marker), catalog)
    problems = " ".join(str(p) for p in raised.value.problems)
    assert "marqueur inconnu « bonheur »" in problems
    assert "consent.value" in problems


def test_consent_is_the_answer_the_dialog_declares(tmp_path: Path, catalog: Catalog) -> None:
    def other_consent(data: dict[str, Any]) -> None:
        data["nodes"]["consent"]["options"][0]["value"] = "daccord"
        data["consent"]["value"] = "daccord"

    dialog = load_qualification(_edited_dialog(tmp_path, other_consent), catalog)
    driver = Driver(Content.build(catalog, dialog).engine)
    driver.send("/start")
    driver.press("Oui")
    assert driver.state is not None and driver.state.consent_at == NOW


def test_the_self_assessment_scale_comes_from_the_markers_and_is_read_back(
    engine: QualificationEngine, catalog: Catalog
) -> None:
    driver = Driver(engine)
    _to_needs(driver)
    driver.press("Un local")
    driver.press("Valider")
    driver.press("Oui")  # the self-assessment
    scale = [level.fr for level in catalog.knowledge.markers.scale]
    buttons = [b.label for r in driver.replies for row in r.buttons for b in row]
    assert buttons == scale
    for level in ("En bonne partie", "Un peu", "Pleinement", "Pas encore"):
        driver.press(level)
    said = driver.text()
    assert "à titre indicatif" in said
    assert "• Nature et intervention du collectif (en bonne partie) :" in said
    to_strengthen = said.split("Ce que vous pourriez renforcer :")[1]
    assert "• Gouvernance collective (pas encore) :" in to_strengthen


def test_a_double_tap_is_answered_once(engine: QualificationEngine) -> None:
    driver = Driver(engine)
    driver.send("/start")
    consent = next(b.data for r in driver.replies for row in r.buttons for b in row)
    driver.send(button=consent)
    assert driver.node == "idea"
    assert driver.send(button=consent) == []  # the same press again: nothing to say
    assert driver.node == "idea"
    driver.send("/retour")
    driver.send(button=consent)  # a real answer again after moving back
    assert driver.node == "idea"


def test_invisible_and_control_characters_are_not_an_answer(engine: QualificationEngine) -> None:
    driver = Driver(engine)
    driver.send("/start")
    driver.press("Oui")
    driver.send("\u200b\u200d\ufeff")
    assert "Votre réponse est vide" in driver.text()
    driver.send("Un jardin\x00 partagé \u202edans le quartier\u202c")
    assert driver.state is not None
    assert driver.state.answers["idea"] == "Un jardin partagé dans le quartier"


def test_a_state_written_by_the_former_engine_still_loads(engine: QualificationEngine) -> None:
    legacy = {
        "tree_version": "2026-11-28.4",
        "node": "themes",
        "language": "fr",
        "started": True,
        "answers": {"consent": "oui", "idea": "Une recyclerie"},
        "path": ["consent", "idea"],
        "pending": {"selection": ["economie-circulaire"], "show_results": False},
        "editing": False,
        "detected": ["economie-circulaire"],
        "results": {"commune": {"insee": "62041", "name": "Arras"}, "schemes": []},
        "consent_at": "2026-11-28T10:00:00+00:00",
        "started_at": "2026-11-28T09:59:00+00:00",
        "campaign": None,
        "filed": False,
    }
    state = engine.load(legacy)
    assert state is not None
    assert state.memo.detected == ("economie-circulaire",)
    assert state.pending.selection == ("economie-circulaire",)
    turn = engine.advance(state, Inbound(CHAT, button="themes|_ok"), CONTEXT)
    assert turn.state.node == "where"


def test_today_is_the_day_in_paris_not_in_utc() -> None:
    from bot.services.clock import context_at

    late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # 00:30 on 1 December in Paris
    assert context_at(late).today == dt.date(2026, 12, 1)
    summer = dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)  # 00:30 on 1 July (UTC+2)
    assert context_at(summer).today == dt.date(2026, 7, 1)
