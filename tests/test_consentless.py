"""A citizen who refuses consent still gets an orientation, and nothing of them is kept."""

from __future__ import annotations

from pathlib import Path

from bot.bootstrap import Comptoir
from bot.services.ports import RETENTION
from tests.advisors import settle
from tests.clients import Citizen
from tests.lead_stores import Clock

IDEA = "Un jardin partagé entre voisins au pied des immeubles, quartier des Genettes"


async def _refuse(citizen: Citizen) -> str:
    await citizen.send("/start")
    return await citizen.press("Non merci")


async def _answer_up_to_the_offer(citizen: Citizen) -> str:
    await citizen.send(IDEA)
    await citizen.press("Valider")
    await citizen.send("Liévin")
    await citizen.press("Un groupe d'habitants")
    await citizen.press("Ça prend forme")
    await citizen.press("Être accompagné")
    return await citizen.press("Valider")


async def test_refusing_consent_says_what_happens_then_asks_the_questions(
    comptoir: Comptoir,
) -> None:
    said = await _refuse(Citizen(comptoir))
    assert "je ne garderai rien" in said
    assert "je les efface dès la fin, ou 24 heures après votre dernier message" in said
    assert "Étape 1 sur 6" in said


async def test_without_consent_the_results_come_no_call_back_and_all_is_erased_at_the_end(
    comptoir: Comptoir, tmp_path: Path
) -> None:
    citizen = Citizen(comptoir)
    await citizen.send("/start")
    asked = (await comptoir.storage.privacy.export(citizen.chat.key)).events
    await citizen.press("Non merci")
    await _answer_up_to_the_offer(citizen)
    midway = await comptoir.storage.privacy.export(citizen.chat.key)
    assert midway.conversation is not None and midway.conversation.ephemeral
    # From the refusal on, not even a pseudonymous usage event (those of the welcome and the
    # consent question go with the conversation).
    assert midway.events == asked

    said = await citizen.press("Non")  # no self-assessment: the results
    assert "J'ai comparé votre projet aux dispositifs" in said
    assert "Comptoirs à initiatives citoyennes du Pas-de-Calais" in said
    assert "Voulez-vous qu'un conseiller vous recontacte" not in said
    assert "je viens d'effacer cette conversation" in said

    await comptoir.conversations.eraser.wait()
    gone = await comptoir.storage.privacy.export(citizen.chat.key)
    assert (gone.conversation, gone.pre_applications, gone.events, gone.queued) == (None, (), 0, 0)
    database = tmp_path / "c.sqlite3"
    for path in (database, database.with_name("c.sqlite3-wal")):
        if path.exists():  # the SQLite store: not a byte of the idea left in its files
            assert b"quartier des Genettes" not in path.read_bytes()

    again = await citizen.send("bonjour")  # a new conversation: consent is asked again
    assert "Êtes-vous d'accord ?" in again


async def test_an_abandoned_conversation_without_consent_goes_a_day_later_a_consented_one_stays(
    comptoir: Comptoir, lead_clock: Clock
) -> None:
    unkept, kept = Citizen(comptoir), Citizen(comptoir)
    await _refuse(unkept)
    await unkept.send(IDEA)
    await kept.send("/start")
    await kept.press("Oui")
    await kept.send(IDEA)
    privacy = comptoir.storage.privacy

    lead_clock.advance(hours=23)
    await privacy.purge(lead_clock(), RETENTION)
    assert (await privacy.export(unkept.chat.key)).conversation is not None

    lead_clock.advance(hours=2)
    purged = await privacy.purge(lead_clock(), RETENTION)
    assert purged.conversations == 1
    left = await privacy.export(unkept.chat.key)
    assert (left.conversation, left.events) == (None, 0)
    stays = await privacy.export(kept.chat.key)
    assert stays.conversation is not None and not stays.conversation.ephemeral
    assert stays.events > 0


async def test_a_request_filed_with_consent_outlives_a_later_conversation_without_it(
    comptoir: Comptoir,
) -> None:
    citizen = Citizen(comptoir)
    await citizen.send("/start")
    await citizen.press("Oui")
    await _answer_up_to_the_offer(citizen)
    await citizen.results()
    await citizen.call_me_back("Camille", "camille@example.org", "Le matin")
    await citizen.press("Confirmer")
    await settle(comptoir)

    await citizen.send("/recommencer")
    await citizen.press("Non merci")
    await _answer_up_to_the_offer(citizen)
    assert "je viens d'effacer cette conversation" in await citizen.press("Non")
    after = await comptoir.storage.privacy.export(citizen.chat.key)
    assert after.conversation is None
    assert [p.filing.contact.first_name for p in after.pre_applications] == ["Camille"]


async def test_my_data_without_consent_says_it_lasts_only_the_conversation(
    comptoir: Comptoir,
) -> None:
    citizen = Citizen(comptoir)
    await _refuse(citizen)
    await citizen.send(IDEA)
    await citizen.send("/mesdonnees")
    summary = next(r for r in citizen.replies if r.document)
    assert "Vous n'avez pas donné votre accord : rien n'est gardé après la conversation." in (
        summary.text
    )
    assert "24 heures après votre dernier message" in summary.text
    assert summary.document is not None and "24 heures" in summary.document
