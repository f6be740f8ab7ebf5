"""Whole conversations typed in everyday words, through the real services and stores."""

from __future__ import annotations

import re

from bot.bootstrap import Comptoir
from tests.clients import Citizen

LIEVIN = [
    "/start",
    "d'accord",
    "Avec des voisins on veut créer un jardin partagé et une grainothèque dans notre quartier",
    "ok",
    "62800",
    "un groupe de voisins",
    "juste une idée",
    "un financement, de l'aide",
    "c'est tout",
    "je ne sais pas",
    "non merci",
    "oui",
    "?",
    "Nadia",
    "06 12 34 56 78",
    "le soir",
    "confirmer",
]

TOULOUSE_EN = [
    "/start",
    "/language",
    "yes",
    "An app so that isolated elderly people find volunteers from the neighbourhood for shopping",
    "ageing well",
    "that's all",
    "Toulouse",
    "me",
    "taking shape",
    "funding",
    "done",
    "25k",
    "no thanks",
    "yes",
    "Karim",
    "karim@example.fr",
    "any time",
    "confirm",
]


async def _say_all(citizen: Citizen, lines: list[str]) -> None:
    for line in lines:
        await citizen.send(line)


async def _stored(comptoir: Comptoir, citizen: Citizen) -> dict[str, object] | None:
    async with comptoir.storage.conversations.chat(citizen.chat.key) as session:
        conversation = await session.conversation()
    return None if conversation is None else dict(conversation.state)


async def test_a_group_of_neighbours_in_lievin_answers_in_words_and_files(
    comptoir: Comptoir,
) -> None:
    citizen = Citizen(comptoir)
    await _say_all(citizen, LIEVIN)
    transcript = "\n".join(citizen.transcript)
    assert "Je n'ai pas compris" not in transcript, transcript
    assert "C'est noté : Liévin (62)." in transcript
    assert "C'est ajouté : Un financement, Être accompagné(e) pour monter le projet." in transcript
    assert "Pouvez-vous l'écrire avec quelques mots ?" in transcript  # « ? » as a first name
    assert re.search(r"CPT-\d{4}-\d{6}", citizen.transcript[-1]), citizen.transcript[-1]
    state = await _stored(comptoir, citizen)
    assert state is not None
    answers = state["answers"]
    assert isinstance(answers, dict)
    assert answers["carrier"] == "collectif-informel" and answers["stage"] == "idee"
    assert answers["needs"] == ["financement", "accompagnement"]
    assert answers["amount"] is None and answers["preferred_time"] == "soir"
    after = await citizen.send("merci !")
    assert "Que souhaitez-vous faire maintenant ?" in after


async def test_an_individual_in_toulouse_answers_in_english_words(comptoir: Comptoir) -> None:
    citizen = Citizen(comptoir)
    await _say_all(citizen, TOULOUSE_EN)
    transcript = "\n".join(citizen.transcript)
    assert "Sorry, I didn't get that" not in transcript, transcript
    assert "Added: Ageing well" in transcript
    assert "Got it: Toulouse (31)." in transcript
    assert re.search(r"CPT-\d{4}-\d{6}", citizen.transcript[-1]), citizen.transcript[-1]


async def test_forget_then_oui_erases_the_conversation(comptoir: Comptoir) -> None:
    citizen = Citizen(comptoir)
    await _say_all(citizen, LIEVIN)
    await citizen.send("/oublier")
    said = await citizen.send("oui")
    assert "vos données ont été effacées" in said
    state = await _stored(comptoir, citizen)
    assert state is None or state.get("answers") == {}
