"""Answers in the citizen's own words: every button typed, everyday synonyms, slips forgiven."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.conversation import Button, Inbound, Reply
from bot.core.dialog.words import Choice, Chooser
from bot.core.effects import ExportData, ForgetData
from bot.core.qualification import QualificationState
from tests.dialog_driver import CHAT, CONTEXT, Driver, QualificationEngine

IDEA = "Une recyclerie pour réparer et revendre des objets dans le quartier"


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _slip(text: str) -> str:
    """One letter of the longest word swapped with its neighbour (« aosciation »)."""
    words = text.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) < 8 or not word[3:5].isalpha():
        return text
    words[longest] = word[:3] + word[4] + word[3] + word[5:]
    return " ".join(words)


VARIANTS = {
    "as shown": lambda label: label,
    "upper case": str.upper,
    "without accents": _strip_accents,
    "lower case, with a word after": lambda label: label.lower() + " svp",
    "with a slip": _slip,
}


def _observed(state: QualificationState) -> tuple[object, ...]:
    """What an answer changes: where the conversation is, the answers, the selection."""
    return (
        state.node,
        dict(state.answers),
        state.pending.selection,
        state.pending.candidates,
        state.pending.forget,
    )


def _buttons(replies: list[Reply]) -> list[Button]:
    return [b for reply in replies for row in reply.buttons for b in row]


def _stops(engine: QualificationEngine) -> list[tuple[QualificationState, list[Button]]]:
    """The state at every question of two whole conversations, with the buttons on screen."""
    stops: list[tuple[QualificationState, list[Button]]] = []
    for script in (
        ["/start", "Oui", IDEA, "Valider", "62000", "Arras", "Une association", "Ça prend forme",
         "Un financement", "Valider", "12000", "Oui", "Un peu", "Un peu", "Un peu", "Un peu",
         "Oui", "Nadia", "06 12 34 56 78", "Le matin", "Confirmer", "merci"],
        ["/start", "Oui", IDEA, "Valider", "Arras", "Moi", "Juste une idée",
         "Un local", "Valider", "Non", "Non", "Confirmer", "bonjour", "/oublier"],
    ):  # fmt: skip
        driver = Driver(engine)
        for step in script:
            buttons = _buttons(driver.replies)
            if buttons and driver.state is not None:
                stops.append((driver.state, buttons))
            pressed = next((b for b in buttons if b.label.lstrip("✅ ").startswith(step)), None)
            if pressed is not None:
                driver.send(button=pressed.data)
            else:
                driver.send(step)
        stops.append((driver.state, _buttons(driver.replies)))  # type: ignore[arg-type]
    return stops


@pytest.fixture(scope="module")
def stops(engine: QualificationEngine) -> list[tuple[QualificationState, list[Button]]]:
    found = _stops(engine)
    asked = {state.node for state, _ in found}
    assert {"consent", "themes", "where", "carrier", "stage", "needs", "amount", "assess_offer",
            "marker_collectif", "callback_offer", "preferred_time", "recap", "filed_end",
            "goodbye"} <= asked  # fmt: skip
    return found


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pick=st.integers(min_value=0, max_value=10_000), variant=st.sampled_from(sorted(VARIANTS)))
def test_every_button_typed_as_its_label_is_that_button(
    engine: QualificationEngine,
    stops: list[tuple[QualificationState, list[Button]]],
    pick: int,
    variant: str,
) -> None:
    candidates = [
        (state, button)
        for state, buttons in stops
        for button in buttons
        if not button.selected  # typing a ticked option keeps it ticked (pressing unticks)
    ]
    state, button = candidates[pick % len(candidates)]
    typed = VARIANTS[variant](button.label.lstrip("✅ "))
    pressed = engine.advance(state, Inbound(CHAT, button=button.data), CONTEXT)
    said = engine.advance(state, Inbound(CHAT, text=typed), CONTEXT)
    assert _observed(said.state) == _observed(pressed.state), (state.node, button.label, typed)
    assert [type(e) for e in said.effects] == [type(e) for e in pressed.effects]


def test_every_button_of_every_question_is_checked(
    engine: QualificationEngine, stops: list[tuple[QualificationState, list[Button]]]
) -> None:
    for state, buttons in stops:
        for button in buttons:
            if button.selected:
                continue
            pressed = engine.advance(state, Inbound(CHAT, button=button.data), CONTEXT)
            said = engine.advance(state, Inbound(CHAT, text=button.label), CONTEXT)
            assert _observed(said.state) == _observed(pressed.state), (state.node, button.label)


def _at(engine: QualificationEngine, node: str, language: str = "fr") -> Driver:
    """A conversation standing on `node`, answered with buttons up to there."""
    driver = Driver(engine)
    driver.send("/start")
    if language == "en":
        driver.send("/language")
    answers = {
        "consent": "oui", "idea": IDEA, "themes": "_ok", "where": "62041", "carrier":
        "association", "stage": "emergence", "needs": "financement", "needs_ok": "_ok",
        "amount": "12000", "assess_offer": "no", "callback_offer": "yes", "first_name": "Nadia",
        "contact": "06 12 34 56 78", "preferred_time": "matin",
    }  # fmt: skip
    for _ in range(30):
        if driver.node == node:
            return driver
        current = driver.node
        value = answers["needs_ok" if current == "needs" and driver.state and
                        driver.state.pending.selection else current]  # fmt: skip
        if current in ("idea", "where", "amount", "first_name", "contact"):
            driver.send(value)
        else:
            driver.send(button=f"{current}|{value}")
    raise AssertionError(f"never reached {node}")


@pytest.mark.parametrize(
    ("language", "node", "typed", "key", "expected"),
    [
        ("fr", "consent", "oui", "consent", "oui"),
        ("fr", "consent", "ok", "consent", "oui"),
        ("fr", "consent", "d'accord", "consent", "oui"),
        ("fr", "consent", "non merci", "consent", "non"),
        ("fr", "carrier", "moi", "carrier", "habitant"),
        ("fr", "carrier", "on est une association", "carrier", "association"),
        ("fr", "carrier", "un groupe de voisins", "carrier", "collectif-informel"),
        ("fr", "carrier", "une SCIC", "carrier", "cooperative"),
        ("fr", "stage", "ça prend forme, on a rencontré la mairie", "stage", "emergence"),
        ("fr", "stage", "juste une idee", "stage", "idee"),
        ("fr", "stage", "on teste deja", "stage", "experimentation"),
        ("fr", "amount", "passer", "amount", None),
        ("fr", "amount", "je ne sais pas", "amount", None),
        ("fr", "amount", "passer svp", "amount", None),
        ("fr", "amount", "merci, je passe", "amount", None),
        ("fr", "amount", "environ 15k", "amount", 15000),
        ("fr", "assess_offer", "non merci", "assess", False),
        ("fr", "callback_offer", "oui je veux bien", "callback", True),
        ("fr", "preferred_time", "peu importe", "preferred_time", "indifferent"),
        ("fr", "preferred_time", "le matin svp", "preferred_time", "matin"),
        ("fr", "preferred_time", "le soir", "preferred_time", "soir"),
        ("fr", "preferred_time", "l'aprem", "preferred_time", "apres-midi"),
        ("fr", "preferred_time", "le matni", "preferred_time", "matin"),
        ("en", "consent", "yes", "consent", "oui"),
        ("en", "carrier", "me", "carrier", "habitant"),
        ("en", "carrier", "a non-profit association", "carrier", "association"),
        ("en", "stage", "just an idea", "stage", "idee"),
        ("en", "preferred_time", "any time", "preferred_time", "indifferent"),
        ("en", "assess_offer", "no thanks", "assess", False),
        ("en", "amount", "skip please", "amount", None),
    ],
)
def test_everyday_words_answer_the_question(
    engine: QualificationEngine, language: str, node: str, typed: str, key: str, expected: object
) -> None:
    driver = _at(engine, node, language=language)
    assert driver.state is not None and driver.state.language == language
    driver.send(typed)
    assert driver.node != node, driver.text()
    assert driver.state.answers[key] == expected


def test_two_answers_named_at_once_are_no_answer_and_are_both_offered(
    engine: QualificationEngine,
) -> None:
    driver = _at(engine, "carrier")
    driver.send("une association ou une coopérative")
    assert driver.node == "carrier"
    assert (
        "plusieurs des réponses proposées : « Une association », « Une coopérative (Scop, "
        "Scic…) ». Laquelle convient ?" in driver.text()
    )
    driver.send("un groupe d'amis, pas encore d'asso")
    assert driver.node == "carrier"
    assert "« Un groupe d'habitants sans statut », « Une association »" in driver.text()
    driver.send("le groupe d'habitants")
    assert driver.node != "carrier"
    assert driver.state is not None and driver.state.answers["carrier"] == "collectif-informel"


@pytest.mark.parametrize(
    "typed",
    [
        "on est juste quelques habitants, pas encore d'asso",
        "pas d'association pour l'instant",
        "sans coopérative",
        "not an association yet",
    ],
)
def test_an_answer_named_only_to_deny_it_is_not_taken(
    engine: QualificationEngine, typed: str
) -> None:
    driver = _at(engine, "carrier", language="en" if typed.startswith("not") else "fr")
    driver.send(typed)
    assert driver.node == "carrier", f"« {typed} » was taken as an answer"
    assert driver.state is not None and "carrier" not in driver.state.answers
    driver.send("une association" if not typed.startswith("not") else "an association")
    assert driver.state is not None and driver.state.answers["carrier"] == "association"


def test_two_answers_named_at_once_are_quoted_in_english_too(engine: QualificationEngine) -> None:
    driver = _at(engine, "carrier", language="en")
    driver.send("an association or a cooperative")
    assert driver.node == "carrier"
    assert 'several of the answers offered: "' in driver.text(), driver.text()


def test_needs_typed_in_words_are_added_shown_and_wait_for_validation(
    engine: QualificationEngine,
) -> None:
    driver = _at(engine, "needs")
    driver.send("de l'argent et un coup de main")
    assert driver.node == "needs"
    assert driver.state is not None
    assert driver.state.pending.selection == ("financement", "accompagnement")
    assert "C'est ajouté : Un financement, Être accompagné(e)" in driver.text()
    driver.send("sans le financement")
    assert driver.state.pending.selection == ("accompagnement",)
    assert "C'est retiré : Un financement" in driver.text()
    driver.send("c'est tout")
    assert driver.state.answers["needs"] == ["accompagnement"]


def test_a_part_of_a_typed_answer_not_understood_is_said_not_dropped(
    engine: QualificationEngine,
) -> None:
    driver = _at(engine, "needs")
    driver.send("un local et une licorne")
    assert driver.state is not None and driver.state.pending.selection == ("locaux",)
    assert "Je n'ai pas reconnu : « une licorne »" in driver.text()


def test_the_recap_reads_answers_with_each_language_s_typography(
    engine: QualificationEngine,
) -> None:
    for language, line, edit in (
        ("fr", "• Commune : Arras (62)", "Modifier : Commune"),
        ("en", "• Town: Arras (62)", "Edit: Town"),
    ):
        driver = _at(engine, "callback_offer", language=language)
        driver.send("no" if language == "en" else "non")
        assert driver.node == "recap"
        assert line in driver.text()
        assert edit in [b.label for b in _buttons(driver.replies)]


def test_a_question_mark_at_the_themes_never_validates_them(engine: QualificationEngine) -> None:
    driver = _at(engine, "themes")
    assert driver.state is not None
    detected = driver.state.pending.selection
    driver.send("?")
    assert driver.node == "themes"
    assert driver.state.pending.selection == detected
    assert "Je n'ai reconnu aucune des réponses proposées" in driver.text()
    assert "D'après votre description" not in driver.text()  # said once, not at every slip


def test_typed_themes_are_added_to_the_detected_ones_then_confirmed(
    engine: QualificationEngine,
) -> None:
    driver = _at(engine, "themes")
    assert driver.state is not None
    detected = set(driver.state.pending.selection or ())
    assert detected
    driver.send("bien vieillir, et aussi pour les seniors")
    assert driver.node == "themes"
    assert set(driver.state.pending.selection or ()) == detected | {"bien-vieillir"}
    assert "Bien vieillir et accompagnement des aînés" in driver.text()
    driver.send("ok")
    assert set(driver.state.answers["themes"]) == detected | {"bien-vieillir"}  # type: ignore[arg-type]


def test_nothing_chosen_cannot_be_validated(engine: QualificationEngine) -> None:
    driver = _at(engine, "needs")
    driver.send("valider")
    assert driver.node == "needs"
    assert "au moins une réponse" in driver.text()


@pytest.mark.parametrize("typed", ["?", "oui", "je ne sais pas", "…", "!!"])
@pytest.mark.parametrize("node", ["idea", "first_name"])
def test_a_text_that_is_not_an_answer_gets_a_kind_prompt(
    engine: QualificationEngine, node: str, typed: str
) -> None:
    driver = _at(engine, node)
    driver.send(typed)
    assert driver.node == node
    assert driver.state is not None and node not in driver.state.answers
    assert "Pouvez-vous l'écrire avec quelques mots ?" in driver.text()


def test_a_long_idea_is_kept_not_refused(engine: QualificationEngine) -> None:
    driver = _at(engine, "idea")
    story = (
        "Nous voulons ouvrir une ressourcerie de quartier avec un atelier de réparation. "
    ) * 80
    assert len(story) > 6000
    driver.send(story)
    assert driver.node == "themes"
    assert driver.state is not None
    kept = driver.state.answers["idea"]
    assert isinstance(kept, str) and 3900 < len(kept) <= 4000 and story.startswith(kept)
    assert "Je garde les 4\u202f000 premiers caractères" in driver.text()


def test_too_long_a_first_name_says_the_limit_as_people_write_numbers(
    engine: QualificationEngine,
) -> None:
    driver = _at(engine, "first_name")
    driver.send("Marie" * 20)
    assert "60 caractères au maximum" in driver.text()


@pytest.mark.parametrize("yes", ["oui", "Oui !", "ok", "d'accord", "yes"])
def test_forget_then_a_typed_yes_erases(engine: QualificationEngine, yes: str) -> None:
    driver = _at(engine, "carrier")
    driver.send("/oublier")
    turn = engine.advance(driver.state, Inbound(CHAT, text=yes), CONTEXT)
    assert turn.effects == (ForgetData(),)
    assert turn.state.answers == {}


def test_forget_then_a_typed_no_keeps_everything(engine: QualificationEngine) -> None:
    driver = _at(engine, "carrier")
    driver.send("/oublier")
    driver.send("non merci")
    assert driver.state is not None and driver.state.answers["consent"] == "oui"
    assert "je ne supprime rien" in driver.text()
    assert driver.node == "carrier"


def test_forget_then_an_answer_cancels_and_is_taken_as_the_answer(
    engine: QualificationEngine,
) -> None:
    driver = _at(engine, "carrier")
    driver.send("/oublier")
    turn = engine.advance(driver.state, Inbound(CHAT, text="une association"), CONTEXT)
    assert turn.effects == ()
    assert turn.state.answers["carrier"] == "association"
    assert not turn.state.pending.forget


def test_the_communes_offered_can_be_picked_by_number_name_or_no(
    engine: QualificationEngine,
) -> None:
    driver = _at(engine, "where")
    driver.send("62000")
    assert driver.state is not None and len(driver.state.pending.candidates) >= 2
    second = driver.state.pending.candidates[1]
    picked = engine.advance(driver.state, Inbound(CHAT, text="2"), CONTEXT)
    assert picked.state.answers["commune"] == second
    named = engine.advance(driver.state, Inbound(CHAT, text="arras"), CONTEXT)
    assert named.state.answers["commune"] == "62041"
    refused = engine.advance(driver.state, Inbound(CHAT, text="non, aucune"), CONTEXT)
    assert refused.state.node == "where" and "commune" not in refused.state.answers
    elsewhere = engine.advance(driver.state, Inbound(CHAT, text="Liévin"), CONTEXT)
    assert elsewhere.state.answers["commune"] == "62510"


def test_after_an_end_any_message_gets_a_short_menu(engine: QualificationEngine) -> None:
    driver = _at(engine, "callback_offer")
    driver.send("non")
    driver.send("confirmer")
    assert driver.node == "goodbye"
    driver.send("merci beaucoup")
    assert driver.node == "goodbye"
    labels = [b.label for b in _buttons(driver.replies)]
    assert labels == ["Présenter un autre projet", "Voir mes données", "Tout recommencer"]
    assert "Que souhaitez-vous faire maintenant ?" in driver.text()
    exported = engine.advance(driver.state, Inbound(CHAT, text="mes données"), CONTEXT)
    assert any(isinstance(e, ExportData) for e in exported.effects)


def test_another_project_keeps_the_consent_and_asks_the_idea(engine: QualificationEngine) -> None:
    driver = _at(engine, "callback_offer")
    driver.send("non")
    driver.send("confirmer")
    assert driver.state is not None
    consent_at = driver.state.consent_at
    driver.send("et maintenant ?")
    driver.press("Présenter un autre projet")
    assert "parlons de votre nouveau projet" in driver.text()
    assert driver.node == "idea"
    assert driver.state.answers == {"consent": "oui"}
    assert driver.state.consent_at == consent_at


def test_the_recap_is_confirmed_or_edited_in_words(engine: QualificationEngine) -> None:
    driver = _at(engine, "callback_offer")
    driver.send("oui")
    driver.send("Nadia")
    driver.send("06 12 34 56 78")
    driver.send("n'importe quand")
    assert driver.node == "recap"
    edit = engine.advance(driver.state, Inbound(CHAT, text="prénom"), CONTEXT)
    assert edit.state.node == "first_name"
    confirmed = engine.advance(driver.state, Inbound(CHAT, text="c'est bon, je confirme"), CONTEXT)
    assert confirmed.state.node == "filed_end_anytime"  # « n'importe quand »: no time to name


def test_a_chooser_wants_one_answer_named_best() -> None:
    chooser = Chooser(
        [Choice("matin", ("Le matin", "matin")), Choice("soir", ("En fin de journée", "soir"))]
    )
    assert chooser.pick("le matin svp") == "matin"
    assert chooser.pick("plutôt en fin de journee") == "soir"
    assert chooser.pick("le matin ou le soir") is None
    assert chooser.pick("2") == "soir"
    assert chooser.pick("") is None
