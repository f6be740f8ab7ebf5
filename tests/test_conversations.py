"""Whole conversations through the public service, on every store: the citizen's journeys."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import Comptoir
from bot.core.catalog import Catalog
from bot.core.content import Content, load_qualification
from bot.core.conversation import ChatRef, Inbound
from bot.services.ports import Storage
from bot.storage import open_storage
from bot.storage.memory import memory_storage
from tests.clients import Citizen, recorded

DIALOG = Path(__file__).resolve().parents[1] / "dialogs" / "qualification.yaml"
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
POSTGRES = os.environ.get("COMPTOIR_TEST_POSTGRES_URL")
STORES = ["memory", "sqlite", *(["postgresql"] if POSTGRES else [])]
KEY = b"k" * 32


@pytest.fixture(scope="module")
def content(catalog: Catalog) -> Content:
    return Content.build(catalog, load_qualification(DIALOG, catalog))


async def _open(kind: str, tmp_path: Path) -> Storage:
    if kind == "memory":
        return memory_storage(clock=lambda: NOW)
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/comptoir.sqlite3"
        return await open_storage(url, clock=lambda: NOW)
    assert POSTGRES is not None
    return await open_storage(POSTGRES, clock=lambda: NOW, pseudonym_key=KEY)


@pytest.fixture(params=STORES)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await _open(request.param, tmp_path)
    yield opened
    await opened.close()


def _comptoir(content: Content, storage: Storage, at: dt.datetime = NOW) -> Comptoir:
    return Comptoir.assemble(content, storage, clock=lambda: at)


async def test_association_in_arras_with_a_recyclerie_is_sent_to_the_budget_citoyen(
    content: Content, storage: Storage
) -> None:
    citizen = Citizen(_comptoir(content, storage))
    await citizen.qualify(
        "On veut ouvrir une recyclerie pour réparer et revendre des objets",
        "Arras",
        "Une association",
        "Ça prend forme",
        ["Un financement"],
        "15 000 €",
    )
    said = await citizen.results()
    assert "Budget citoyen du Pas-de-Calais" in said
    assert "Comptoirs à initiatives citoyennes du Pas-de-Calais" in said
    await citizen.press("Oui")  # call me back
    await citizen.send("Camille")
    await citizen.send("camille@example.org")
    await citizen.press("Le matin")
    said = await citizen.press("Confirmer")
    assert "CPT-2026-" in said
    exported = await storage.privacy.export(citizen.chat.key)
    assert len(exported.pre_applications) == 1
    filed = exported.pre_applications[0]
    assert filed.filing.idea == "On veut ouvrir une recyclerie pour réparer et revendre des objets"
    assert filed.filing.contact.contact == "camille@example.org"
    assert filed.filing.snapshot.schemes[0].criteria  # the advisor sees why each scheme fits


async def test_association_in_metz_is_sent_to_the_moselle_call(
    content: Content, storage: Storage
) -> None:
    citizen = Citizen(_comptoir(content, storage))
    await citizen.qualify(
        "Un atelier d'insertion qui répare des vélos", "Metz", "Une association", "On teste",
        ["Un financement"], "8000",
    )  # fmt: skip
    assert "Innovation sociale en Moselle" in await citizen.results()


async def test_cooperative_near_toulouse_is_sent_to_the_haute_garonne_fund(
    content: Content, storage: Storage
) -> None:
    citizen = Citizen(_comptoir(content, storage))
    await citizen.qualify(
        "Une coopérative d'aide à domicile pour les personnes âgées", "Blagnac",
        "Une coopérative", "Ça prend forme", ["Un financement"], "12k",
    )  # fmt: skip
    assert "Haute-Garonne" in await citizen.results()


async def test_individual_in_val_couesnon_learns_the_sponsoring_condition(
    content: Content, storage: Storage
) -> None:
    citizen = Citizen(_comptoir(content, storage))
    await citizen.qualify(
        "Un habitat partagé pour des familles, sur le modèle des oasis", "Val-Couesnon",
        "Moi, à titre personnel", "Juste une idée", ["Un financement", "Être accompagné"],
    )  # fmt: skip
    await citizen.press("Passer")  # no amount yet
    said = await citizen.results()
    assert "Ille-et-Vilaine" in said
    assert "parrainé" in said


async def test_a_departement_without_local_scheme_gets_national_routes(
    content: Content, storage: Storage
) -> None:
    citizen = Citizen(_comptoir(content, storage))
    await citizen.qualify(
        "Un festival de musique dans les villages", "Aurillac", "Une association",
        "Ça prend forme", ["Un financement"], "5000",
    )  # fmt: skip
    said = await citizen.results()
    assert "Je ne connais pas encore de dispositif propre à votre territoire" in said
    assert "France Active" in said


async def test_a_repeated_update_is_ignored_and_a_double_tap_files_once(
    content: Content, storage: Storage
) -> None:
    comptoir = _comptoir(content, storage)
    citizen = Citizen(comptoir)
    await citizen.qualify(
        "Une épicerie solidaire", "Arras", "Une association", "Juste une idée", ["Un local"]
    )
    await citizen.results()
    await citizen.call_me_back("Sam", "0612345678", "Peu importe")
    confirm = citizen.button("Confirmer")
    before = len(citizen.recorder.replies(citizen.chat.chat_id))
    await asyncio.gather(citizen.send(button=confirm), citizen.send(button=confirm))
    said = "\n".join(r.text for r in citizen.recorder.replies(citizen.chat.chat_id)[before:])
    assert said.count("CPT-2026-") == 1
    assert "plus actif" not in said  # the second tap is taken as the same answer: no noise
    again = Inbound(citizen.chat, text="bonjour", update_id=424242)
    assert await comptoir.conversations.handle(again) is True
    assert await comptoir.conversations.handle(again) is False
    exported = await storage.privacy.export(citizen.chat.key)
    assert len(exported.pre_applications) == 1


async def test_my_data_and_forget_me(content: Content, storage: Storage) -> None:
    citizen = Citizen(_comptoir(content, storage))
    await citizen.qualify("Un repair café", "Arras", "Une association", "On teste", ["Un local"])
    await citizen.send("/mesdonnees")
    document = next(r.document for r in citizen.replies if r.document)
    assert "repair café" in document
    await citizen.send("/oublier")
    said = await citizen.press("Oui")
    assert "effacées" in said
    exported = await storage.privacy.export(citizen.chat.key)
    assert exported.conversation is None


def _sequence() -> list[tuple[str, str]]:
    return [("text", "/start"), ("button", "consent|oui"), ("text", "Une ressourcerie"),
            ("button", "themes|_ok"), ("text", "Arras"), ("button", "carrier|association"),
            ("button", "stage|idee"), ("button", "needs|locaux"), ("button", "needs|_ok"),
            ("button", "assess_offer|no"), ("button", "callback_offer|yes"), ("text", "Lou"),
            ("text", "lou@example.org"), ("button", "preferred_time|soir"),
            ("button", "recap|_ok")]  # fmt: skip


@pytest.mark.skipif(POSTGRES is None, reason="needs COMPTOIR_TEST_POSTGRES_URL (set by .ci/run)")
async def test_two_services_on_one_postgres_database_never_interleave_a_chat(
    content: Content,
) -> None:
    assert POSTGRES is not None
    first = await open_storage(POSTGRES, clock=lambda: NOW, pseudonym_key=KEY)
    second = await open_storage(POSTGRES, clock=lambda: NOW, pseudonym_key=KEY)
    alone = memory_storage(clock=lambda: NOW)
    try:
        a, b = _comptoir(content, first), _comptoir(content, second)
        reference = _comptoir(content, alone)
        for replica in (a, b, reference):
            recorded(replica)  # each delivers the replies of the turns it handled
        chat = ChatRef("test", f"concurrent-{uuid.uuid4().hex[:12]}")
        for update_id, (kind, value) in enumerate(_sequence(), start=700_000_000):
            inbound = Inbound(chat, update_id=update_id, **{kind: value})  # type: ignore[arg-type]
            # Each update reaches both replicas at once (a retried webhook, a second consumer),
            # and consecutive updates alternate which replica sees them first.
            pair = (a, b) if update_id % 2 else (b, a)
            both = await asyncio.gather(
                pair[0].conversations.handle(inbound), pair[1].conversations.handle(inbound)
            )
            assert sorted(both) == [False, True]  # delivered twice, handled once
            await reference.conversations.handle(inbound)
            for replica in (a, b, reference):
                await replica.courier.drain(chat.key)
        shared = await first.privacy.export(chat.key)
        expected = await alone.privacy.export(chat.key)
        assert shared.conversation is not None and expected.conversation is not None
        assert shared.conversation.state == expected.conversation.state
        assert len(shared.pre_applications) == 1
    finally:
        await first.close()
        await second.close()
        await alone.close()


async def test_back_edit_restart_and_stale_button_through_the_service(
    content: Content, storage: Storage
) -> None:
    citizen = Citizen(_comptoir(content, storage))
    await citizen.qualify("Un jardin partagé", "Arras", "Une association", "Juste une idée", [])
    stale = citizen.button("Un local")
    await citizen.press("Un local")
    await citizen.press("Valider")
    said = await citizen.send("/retour")
    assert "Étape 6 sur 6" in said  # back on the needs, where the citizen came from
    await citizen.press("Valider")
    await citizen.press("Non")
    await citizen.press("Non")  # no call back: straight to the recap
    said = await citizen.press("Modifier : Commune")
    assert "Étape 3 sur 6" in said
    said = await citizen.send("Metz")
    assert "Votre projet en bref" in said and "Metz (57)" in said  # nothing else re-asked
    said = await citizen.send(button=stale)
    assert "Ce bouton n'est plus actif — reprenons ici" in said
    said = await citizen.send("/recommencer")
    assert "recommence" in said
    exported = await storage.privacy.export(citizen.chat.key)
    assert exported.conversation is not None
    assert exported.conversation.state["answers"].get("commune") is None


async def test_a_content_update_mid_conversation_resumes_where_it_can(
    content: Content, storage: Storage, catalog: Catalog
) -> None:
    comptoir = _comptoir(content, storage)
    citizen = Citizen(comptoir)
    await citizen.qualify("Une ressourcerie", "Arras", "Une association", "On teste", [])
    dialog = content.dialog
    nodes = {k: v for k, v in dialog.nodes.items() if k != "needs"}
    nodes["stage"] = nodes["stage"].model_copy(update={"next": "assess_offer"})
    newer = dialog.model_copy(update={"version": "next", "nodes": nodes})
    comptoir.publish(Content.build(catalog, newer))
    said = await citizen.send("bonjour")
    assert "mis à jour" in said
    assert "Où en est votre projet" in said


async def test_coming_back_after_two_days_logs_where_the_citizen_dropped(
    content: Content, storage: Storage
) -> None:
    counts = []
    for gap in (dt.timedelta(0), dt.timedelta(days=3)):
        comptoir = _comptoir(content, storage)
        citizen = Citizen(comptoir)
        await citizen.send("/start")
        await citizen.press("Oui")
        comptoir.conversations.clock = lambda gap=gap: NOW + gap
        await citizen.send("Une idée de tiers-lieu")
        exported = await storage.privacy.export(citizen.chat.key)
        assert exported.conversation is not None
        assert content.engine.load(exported.conversation.state).node == "themes"  # type: ignore[union-attr]
        counts.append(exported.events)
    assert counts[1] == counts[0] + 1  # the « abandoned » event, at the idea question


async def test_the_recap_takes_its_buttons_typed_in_words(
    content: Content, storage: Storage
) -> None:
    citizen = Citizen(_comptoir(content, storage))
    await citizen.qualify("Un repair café", "Arras", "Une association", "On teste", ["Un local"])
    await citizen.results()
    await citizen.call_me_back("Lou", "lou@example.org", "En fin de journée")
    editing = await citizen.send("prénom")
    assert "prénom" in editing.lower() and "récapitulatif" not in editing
    await citizen.send("Louise")
    said = await citizen.send("confirmer")
    assert "Votre demande CPT-" in said
    filed = (await storage.privacy.export(citizen.chat.key)).pre_applications
    assert [p.filing.contact.first_name for p in filed] == ["Louise"]


async def test_forgetting_after_filing_anonymises_and_tells_the_lead_desk(
    content: Content, storage: Storage
) -> None:
    citizen = Citizen(_comptoir(content, storage))
    await citizen.qualify("Un repair café", "Arras", "Une association", "On teste", ["Un local"])
    await citizen.results()
    await citizen.call_me_back("Lou", "lou@example.org", "En fin de journée")
    said = await citizen.press("Confirmer")
    reference = next(word.strip(".") for word in said.split() if word.startswith("CPT-"))
    await citizen.send("/oublier")
    await citizen.press("Oui")
    notices = await storage.outbox.queued(f"leads:{reference}", NOW, 100)
    assert [(n.kind, n.payload["reference"]) for n in notices] == [
        ("lead", reference),
        ("lead_forgotten", reference),
    ]
    assert (await storage.privacy.export(citizen.chat.key)).pre_applications == ()
    lead = await storage.leads.find(reference)
    assert lead is not None and lead.chat_key is None
    assert "lou@example.org" not in repr(lead) and "Lou" not in repr(lead.filing.contact)


async def test_forgetting_erases_the_citizen_from_the_sqlite_files(
    content: Content, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/erase.sqlite3"
    storage = await open_storage(url, clock=lambda: NOW)
    try:
        comptoir = _comptoir(content, storage)
        citizen = Citizen(comptoir, chat_id="987654321987")
        idea = "Un atelier vélo rue des Lilas chez Dominique Quintal"
        await citizen.qualify(idea, "Arras", "Une association", "On teste", ["Un local"])
        await citizen.results()
        await citizen.call_me_back("Quintal", "dominique.quintal@example.org", "Le matin")
        await citizen.press("Confirmer")
        await citizen.send("/oublier")
        await citizen.press("Oui")
        await comptoir.conversations.eraser.wait()  # the compaction after the erasure
        files = [p for p in tmp_path.iterdir() if p.name.startswith("erase.sqlite3")]
        assert files
        for path in files:
            data = path.read_bytes()
            for secret in ("dominique.quintal@example.org", "Lilas", "Quintal", "987654321987"):
                assert secret.encode() not in data, (path.name, secret)
    finally:
        await storage.close()


async def test_a_nul_byte_or_invisible_text_never_breaks_a_turn(
    content: Content, storage: Storage
) -> None:
    citizen = Citizen(_comptoir(content, storage))
    await citizen.send("/start")
    await citizen.press("Oui")
    said = await citizen.send("\u200b\u200d\ufeff")
    assert "Votre réponse est vide" in said
    said = await citizen.send("Une recyclerie\x00 \u202equi répare\u202c\x07 les objets")
    assert "Étape 2 sur 6" in said
    exported = await storage.privacy.export(citizen.chat.key)
    assert exported.conversation is not None
    assert exported.conversation.state["answers"]["idea"] == "Une recyclerie qui répare les objets"
