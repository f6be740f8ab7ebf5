"""/mesdonnees: a short summary in words, and the whole of it as a file without internals."""

from __future__ import annotations

import json
from typing import Any

from bot.bootstrap import Comptoir
from bot.core.conversation import Reply
from bot.core.leads import Status
from tests.advisors import ARRAS_COUNTER, link_group, settle
from tests.clients import Citizen

ARRAS_COUNTER_NAME = "Comptoirs à initiatives citoyennes du Pas-de-Calais"
# What the engine and the storage know and the citizen has no use for: keys of the state,
# column names, stored option values.
INTERNALS = (
    "idempotency",
    "path",
    "pending",
    "processed",
    "tree_version",
    "chat_key",
    "preferred_time",
    "consent_at",
    "memo",
    "indifferent",
    "nouveau",
    "collectif-informel",
    "emergence",
    "accompagnement",
)


async def _filed_in_lievin(comptoir: Comptoir, routed: bool = True) -> tuple[Citizen, str]:
    await link_group(comptoir, -1001, ARRAS_COUNTER)
    citizen = Citizen(comptoir)
    await citizen.qualify(
        "Un jardin partagé entre voisins au pied des immeubles",
        "Liévin",
        "Un groupe d'habitants",
        "Ça prend forme",
        ["Être accompagné"],
    )
    await citizen.results()
    await citizen.call_me_back("Camille", "camille@example.org", "Peu importe")
    said = await citizen.press("Confirmer")
    if routed:
        await settle(comptoir)
    return citizen, next(w.strip(".,") for w in said.split() if w.startswith("CPT-"))


async def _my_data(citizen: Citizen) -> Reply:
    await citizen.send("/mesdonnees")
    return next(r for r in citizen.replies if r.document)


def _strings(data: Any) -> list[str]:
    """Every key and value of a JSON document."""
    if isinstance(data, dict):
        return [s for k, v in data.items() for s in (k, *_strings(v))]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return [str(data)]


async def test_my_data_is_a_summary_in_words_with_the_requests_and_how_long(
    comptoir: Comptoir,
) -> None:
    citizen, reference = await _filed_in_lievin(comptoir)
    summary = (await _my_data(citizen)).text
    assert summary.startswith("Voici ce que Comptoir garde de vous :\nVos réponses :\n")
    assert "• Commune : Liévin (62)" in summary
    assert "• Porteur du projet : Un groupe d'habitants sans statut" in summary
    assert "• Moment préféré : Peu importe" in summary
    assert (
        f"• Demande {reference}, adressée à {ARRAS_COUNTER_NAME} : "
        "reçue, en attente d'un conseiller"
    ) in summary
    assert "effacées 12 mois après votre dernier message" in summary
    assert summary.endswith("Le détail complet est dans le fichier joint.")


async def test_a_request_not_routed_yet_names_the_counter_the_citizen_was_told(
    comptoir: Comptoir,
) -> None:
    citizen, reference = await _filed_in_lievin(comptoir, routed=False)
    summary = (await _my_data(citizen)).text
    assert f"• Demande {reference}, adressée à {ARRAS_COUNTER_NAME} : " in summary


async def test_my_data_in_english_is_written_in_english(comptoir: Comptoir) -> None:
    citizen, reference = await _filed_in_lievin(comptoir)
    await citizen.send("/langue")
    reply = await _my_data(citizen)
    assert reply.text.startswith("Here is what Comptoir keeps about you:\nYour answers:\n")
    assert "• Town: Liévin (62)" in reply.text
    assert f"• Request {reference}, sent to {ARRAS_COUNTER_NAME}: received, waiting" in reply.text
    assert reply.document is not None
    document = json.loads(reply.document)["Your data stored by Comptoir"]
    assert document["Your conversation"]["Language"] == "English"


async def test_the_file_holds_everything_in_words_and_no_internal_field(
    comptoir: Comptoir,
) -> None:
    citizen, reference = await _filed_in_lievin(comptoir)
    reply = await _my_data(citizen)
    assert reply.document is not None
    document = json.loads(reply.document)["Vos données enregistrées par Comptoir"]
    request = document["Vos demandes transmises à un conseiller"][0]
    assert request["Référence"] == reference
    assert request["Suivi"] == "reçue, en attente d'un conseiller"
    assert request["Structure destinataire"] == ARRAS_COUNTER_NAME
    assert request["Pour vous recontacter"]["Moment préféré"] == "Peu importe"
    assert document["Votre conversation"]["Langue"] == "français"
    written = " ".join(_strings(document)).lower()
    assert [word for word in INTERNALS if word in written] == []


def test_every_status_of_a_request_has_words_for_the_citizen(comptoir: Comptoir) -> None:
    statuses = comptoir.content.dialog.export.statuses
    assert set(statuses) == {s.value for s in Status}
