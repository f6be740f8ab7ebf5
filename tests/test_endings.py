"""The endings a citizen reads: the filing names its counter, the self-assessment gives back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.bootstrap import Comptoir
from bot.core.catalog import Catalog
from bot.core.content import Content, load_qualification
from bot.core.knowledge import ContentError
from bot.core.models import MarkersFile
from bot.core.qualification import messages
from bot.services.cards import directory
from tests.advisors import ARRAS_COUNTER, CRESS, DEPARTMENT_62, advisor, link_group, settle
from tests.clients import Citizen

DIALOG = Path(__file__).resolve().parents[1] / "dialogs" / "qualification.yaml"
GROUP = -1001
ARRAS_COUNTER_NAME = "Comptoirs à initiatives citoyennes du Pas-de-Calais"
MARKERS = ("collectif", "place-des-beneficiaires", "ancrage-territorial", "gouvernance")


async def _neighbours_in_lievin_file(comptoir: Comptoir, when: str) -> tuple[Citizen, str]:
    """A group of neighbours in Liévin asks to be called back and confirms: what they read."""
    citizen = Citizen(comptoir)
    await citizen.qualify(
        "Avec des voisins on veut créer un jardin partagé au pied des immeubles",
        "Liévin",
        "Un groupe d'habitants",
        "Ça prend forme",
        ["Être accompagné"],
    )
    await citizen.results()
    await citizen.call_me_back("Camille", "camille@example.org", when)
    return citizen, await citizen.press("Confirmer")


def _reference(said: str) -> str:
    return next(w.strip(".,;:()«»") for w in said.split() if w.startswith("CPT-"))


# -- the filing ending ---------------------------------------------------------------------------


async def test_the_filing_names_the_counter_routing_gives_the_lead(comptoir: Comptoir) -> None:
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    _, said = await _neighbours_in_lievin_file(comptoir, "Le matin")
    reference = _reference(said)
    assert f"Votre demande {reference} est adressée à {ARRAS_COUNTER_NAME}." in said
    await settle(comptoir)
    lead = await comptoir.storage.leads.find(reference)
    assert lead is not None and lead.counter_id == ARRAS_COUNTER


async def test_the_lead_goes_where_the_citizen_was_told_even_if_advisors_join_meanwhile(
    comptoir: Comptoir,
) -> None:
    await link_group(comptoir, GROUP, CRESS)  # the région: further than the comptoirs
    _, said = await _neighbours_in_lievin_file(comptoir, "Le matin")
    assert "est adressée à CRESS" in said
    await link_group(comptoir, -1002, ARRAS_COUNTER)  # nearer, linked before the lead is routed
    await settle(comptoir)
    lead = await comptoir.storage.leads.find(_reference(said))
    assert lead is not None and lead.counter_id == CRESS


async def test_with_no_counter_staffed_the_filing_says_the_staff_receive_it(
    comptoir: Comptoir,
) -> None:
    _, said = await _neighbours_in_lievin_file(comptoir, "Le matin")
    assert "est adressée à l'équipe du Département." in said
    await settle(comptoir)
    lead = await comptoir.storage.leads.find(_reference(said))
    assert lead is not None and lead.counter_id is None


async def test_the_filing_turn_reads_who_has_advisors_as_routing_does(comptoir: Comptoir) -> None:
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    await advisor(comptoir, 7001, "Dominique Martin", [DEPARTMENT_62])  # in private, no group
    gone = await advisor(comptoir, 7002, "Alex Petit", [CRESS])
    await comptoir.storage.accounts.disable(gone.email, comptoir.leads.clock())
    await advisor(comptoir, 7003, "Sacha Roux", ["france-active"], role="staff")
    await comptoir.accounts.add_person("lou@example.org", "Lou Blanc", "advisor", ["dla"])
    async with comptoir.storage.conversations.chat("test:staffed") as session:
        read = await session.staffed()
    assert read == (await directory(comptoir.storage.accounts)).staffed()
    assert read == {ARRAS_COUNTER, DEPARTMENT_62}


@pytest.mark.parametrize(("when", "time_mentioned"), [("Le matin", True), ("Peu importe", False)])
async def test_the_filing_ending_promises_no_delay_and_any_time_means_no_time(
    comptoir: Comptoir, when: str, time_mentioned: bool
) -> None:
    _, said = await _neighbours_in_lievin_file(comptoir, when)
    assert "Je ne peux pas vous annoncer de délai" in said
    assert "jours ouvrés" not in said and "dizaine" not in said
    assert ("au moment que vous avez choisi" in said) is time_mentioned
    assert "au moment que vous avez indiqué" not in said


async def test_the_filing_ending_in_english_names_the_counter(comptoir: Comptoir) -> None:
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    citizen = Citizen(comptoir)
    await citizen.qualify(
        "Un jardin partagé", "Liévin", "Un groupe", "Ça prend forme", ["Un local"]
    )
    await citizen.send("/langue")
    await citizen.press("No")  # no self-assessment
    await citizen.press("Yes")
    await citizen.send("Camille")
    await citizen.send("camille@example.org")
    await citizen.press("Any time")
    said = await citizen.press("Confirm")
    assert f"goes to {ARRAS_COUNTER_NAME}." in said
    assert "I can't tell you how long it will take" in said
    assert "at the time you chose" not in said


# -- the self-assessment -------------------------------------------------------------------------


def _given_back(markers: MarkersFile, content: Content, levels: list[int]) -> str:
    replies = messages.assessment(
        list(zip(MARKERS, levels, strict=True)), markers, content.dialog.texts, "fr"
    )
    return "\n".join(r.text for r in replies)


@pytest.fixture(scope="module")
def content(catalog: Catalog) -> Content:
    return Content.build(catalog, load_qualification(DIALOG, catalog))


def test_the_self_assessment_says_what_the_project_shows_and_two_things_to_strengthen(
    content: Content, catalog: Catalog
) -> None:
    said = _given_back(catalog.knowledge.markers, content, [3, 1, 0, 0])
    shows, strengthen = said.split("Ce que vous pourriez renforcer :")
    assert "Ce que votre projet montre déjà :" in shows
    assert "• Nature et intervention du collectif (pleinement) : Le projet est porté" in shows
    # The two answered lowest, each with its meaning; « un peu » waits its turn.
    assert "• Place des bénéficiaires et des usagers" not in strengthen
    assert "• Ancrage territorial (pas encore) : Le projet part des ressources" in strengthen
    assert "• Gouvernance collective (pas encore) : Les parties prenantes partagent" in strengthen
    assert "ni une note, ni une condition" in said  # indicative, as markers.yaml says


def test_a_project_showing_no_marker_yet_is_told_so_kindly(
    content: Content, catalog: Catalog
) -> None:
    said = _given_back(catalog.knowledge.markers, content, [0, 1, 0, 1])
    assert "Aucun de ces repères n'est encore bien présent" in said
    assert said.count("• ") == 3  # the kind line, then two markers to strengthen


def test_a_marker_the_knowledge_does_not_verify_is_no_ground_for_a_conclusion(
    content: Content, catalog: Catalog
) -> None:
    markers = catalog.knowledge.markers
    doubtful = markers.model_copy(
        update={
            "markers": tuple(
                m.model_copy(update={"status": "reconstruction"}) if m.id == "collectif" else m
                for m in markers.markers
            )
        }
    )
    said = _given_back(doubtful, content, [3, 3, 0, 0])
    assert "Nature et intervention du collectif" not in said
    assert "Place des bénéficiaires et des usagers (pleinement)" in said


async def test_every_question_of_the_self_assessment_is_counted_true(comptoir: Comptoir) -> None:
    citizen = Citizen(comptoir)
    said = await citizen.qualify(
        "Un jardin partagé entre voisins", "Liévin", "Un groupe", "Ça prend forme", ["Un local"]
    )
    assert "Dernière question" not in said and "Étape" not in said
    said = await citizen.press("Oui")
    for place, level in enumerate(["Pleinement", "Un peu", "Pas encore", "En bonne partie"], 1):
        assert f"Question facultative {place} sur 4" in said
        said = await citizen.press(level)
    assert "Ce que votre projet montre déjà :" in said
    assert "Voulez-vous qu'un conseiller vous recontacte" in said


def _edited(tmp_path: Path, edit: Any) -> Path:
    data = yaml.safe_load(DIALOG.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "qualification.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_check_refuses_a_step_count_one_branch_makes_false(
    tmp_path: Path, catalog: Catalog
) -> None:
    def number_the_amount_and_the_offer(data: dict[str, Any]) -> None:
        data["nodes"]["amount"]["step"] = 7  # asked only for funding
        data["nodes"]["assess_offer"]["step"] = 8

    with pytest.raises(ContentError) as raised:
        load_qualification(_edited(tmp_path, number_the_amount_and_the_offer), catalog)
    assert "nodes.assess_offer.step: l'étape 8 peut suivre l'étape 6" in str(raised.value)


def test_the_check_refuses_an_ending_before_the_last_step(tmp_path: Path, catalog: Catalog) -> None:
    def stop_after_the_commune(data: dict[str, Any]) -> None:
        data["nodes"]["where"]["next"] = "goodbye"

    with pytest.raises(ContentError) as raised:
        load_qualification(_edited(tmp_path, stop_after_the_commune), catalog)
    assert "cette fin arrive après l'étape 3 sur 6" in str(raised.value)
