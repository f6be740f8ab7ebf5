"""Whole conversations through the public service, on every store: the citizen's journeys."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.catalog import Catalog
from bot.core.conversation import ChatRef, Inbound, Reply
from bot.core.dialogs import load_dialog
from bot.core.engine import Engine
from bot.ports import Store
from bot.service import Service
from bot.storage.memory import MemoryStore
from bot.storage.sql import SqlStore

DIALOG = Path(__file__).resolve().parents[1] / "dialogs" / "qualification.yaml"
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
POSTGRES = os.environ.get("COMPTOIR_TEST_POSTGRES_URL")
STORES = ["memory", "sqlite", *(["postgresql"] if POSTGRES else [])]


@pytest.fixture(scope="module")
def engine(catalog: Catalog) -> Engine:
    return Engine(load_dialog(DIALOG), catalog)


async def _open(kind: str, tmp_path: Path) -> Store:
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return await SqlStore.connect(f"sqlite+aiosqlite:///{tmp_path}/comptoir.sqlite3")
    assert POSTGRES is not None
    return await SqlStore.connect(POSTGRES)


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = await _open(request.param, tmp_path)
    yield opened
    await opened.close()


_ids = itertools.count(1)


class Citizen:
    """A citizen typing and pressing buttons, through the service like a channel."""

    def __init__(self, service: Service, chat_id: str | None = None) -> None:
        self.service = service
        self.chat = ChatRef("test", chat_id or f"citizen-{uuid.uuid4().hex[:12]}")
        self.replies: list[Reply] = []
        self.transcript: list[str] = []

    async def send(self, text: str | None = None, button: str | None = None) -> str:
        update_id = next(_ids) + 10_000_000
        inbound = Inbound(self.chat, text=text, button=button, update_id=update_id)
        replies = await self.service.handle(inbound)

        async def delivered(chat_id: str, durable: list[Reply]) -> None:
            """Durable replies (the filing confirmation) come through the outbox."""
            assert chat_id == self.chat.chat_id
            replies.extend(durable)

        await self.service.deliver("test", delivered)
        self.replies = replies
        said = "\n".join(r.text for r in replies)
        self.transcript.append(f"> {text or button}\n{said}")
        return said

    def button(self, label_start: str) -> str:
        for reply in reversed(self.replies):
            for row in reply.buttons:
                for button in row:
                    if button.label.lstrip("✅ ").startswith(label_start):
                        return button.data
        raise AssertionError(f"no button « {label_start} » in:\n" + "\n".join(self.transcript))

    async def press(self, label_start: str) -> str:
        return await self.send(button=self.button(label_start))

    async def qualify(
        self, idea: str, where: str, carrier: str, stage: str, needs: list[str], amount: str = ""
    ) -> str:
        await self.send("/start")
        await self.press("Oui")
        await self.send(idea)
        await self.press("Valider")
        await self.send(where)
        await self.press(carrier)
        await self.press(stage)
        for need in needs:
            await self.press(need)
        said = await self.press("Valider")
        if amount:
            said = await self.send(amount)
        return said

    async def results(self) -> str:
        return await self.press("Non")  # no self-assessment: the results come


def _service(engine: Engine, store: Store) -> Service:
    return Service(engine, store, clock=lambda: NOW)


async def test_association_in_arras_with_a_recyclerie_is_sent_to_the_budget_citoyen(
    engine: Engine, store: Store
) -> None:
    citizen = Citizen(_service(engine, store))
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
    exported = await store.export(citizen.chat.key)
    assert len(exported["pre_applications"]) == 1


async def test_association_in_metz_is_sent_to_the_moselle_call(
    engine: Engine, store: Store
) -> None:
    citizen = Citizen(_service(engine, store))
    await citizen.qualify(
        "Un atelier d'insertion qui répare des vélos", "Metz", "Une association", "On teste",
        ["Un financement"], "8000",
    )  # fmt: skip
    assert "Innovation sociale en Moselle" in await citizen.results()


async def test_cooperative_near_toulouse_is_sent_to_the_haute_garonne_fund(
    engine: Engine, store: Store
) -> None:
    citizen = Citizen(_service(engine, store))
    await citizen.qualify(
        "Une coopérative d'aide à domicile pour les personnes âgées", "Blagnac",
        "Une coopérative", "Ça prend forme", ["Un financement"], "12k",
    )  # fmt: skip
    assert "Haute-Garonne" in await citizen.results()


async def test_individual_in_val_couesnon_learns_the_sponsoring_condition(
    engine: Engine, store: Store
) -> None:
    citizen = Citizen(_service(engine, store))
    await citizen.qualify(
        "Un habitat partagé pour des familles, sur le modèle des oasis", "Val-Couesnon",
        "Moi, à titre personnel", "Juste une idée", ["Un financement", "Être accompagné"],
    )  # fmt: skip
    await citizen.press("Passer")  # no amount yet
    said = await citizen.results()
    assert "Ille-et-Vilaine" in said
    assert "parrainé" in said


async def test_a_departement_without_local_scheme_gets_national_routes(
    engine: Engine, store: Store
) -> None:
    citizen = Citizen(_service(engine, store))
    await citizen.qualify(
        "Un festival de musique dans les villages", "Aurillac", "Une association",
        "Ça prend forme", ["Un financement"], "5000",
    )  # fmt: skip
    said = await citizen.results()
    assert "relais nationaux" in said
    assert "France Active" in said


async def test_a_repeated_update_is_ignored_and_a_double_tap_files_once(
    engine: Engine, store: Store
) -> None:
    service = _service(engine, store)
    citizen = Citizen(service)
    await citizen.qualify(
        "Une épicerie solidaire", "Arras", "Une association", "Juste une idée", ["Un local"]
    )
    await citizen.results()
    await citizen.press("Oui")
    await citizen.send("Sam")
    await citizen.send("0612345678")
    await citizen.press("Peu importe")
    confirm = citizen.button("Confirmer")
    first, second = await asyncio.gather(citizen.send(button=confirm), citizen.send(button=confirm))
    assert sum("CPT-2026-" in said for said in (first, second)) == 1
    assert "plus actif" in first + second
    again = Inbound(citizen.chat, text="bonjour", update_id=424242)
    await service.handle(again)
    assert await service.handle(again) == []
    exported = await store.export(citizen.chat.key)
    assert len(exported["pre_applications"]) == 1


async def test_my_data_and_forget_me(engine: Engine, store: Store) -> None:
    citizen = Citizen(_service(engine, store))
    await citizen.qualify("Un repair café", "Arras", "Une association", "On teste", ["Un local"])
    await citizen.send("/mesdonnees")
    document = next(r.document for r in citizen.replies if r.document)
    assert "repair café" in document
    await citizen.send("/oublier")
    said = await citizen.press("Oui")
    assert "effacées" in said
    exported = await store.export(citizen.chat.key)
    assert not exported.get("conversation")


def _sequence() -> list[tuple[str, str]]:
    return [("text", "/start"), ("button", "consent|oui"), ("text", "Une ressourcerie"),
            ("button", "themes|_ok"), ("text", "Arras"), ("button", "carrier|association"),
            ("button", "stage|idee"), ("button", "needs|locaux"), ("button", "needs|_ok"),
            ("button", "assess_offer|no"), ("button", "callback_offer|yes"), ("text", "Lou"),
            ("text", "lou@example.org"), ("button", "preferred_time|soir"),
            ("button", "recap|_ok")]  # fmt: skip


@pytest.mark.skipif(POSTGRES is None, reason="needs COMPTOIR_TEST_POSTGRES_URL (set by .ci/run)")
async def test_two_services_on_one_postgres_database_never_interleave_a_chat(
    engine: Engine,
) -> None:
    assert POSTGRES is not None
    first, second = await SqlStore.connect(POSTGRES), await SqlStore.connect(POSTGRES)
    alone = MemoryStore()
    try:
        a, b, reference = _service(engine, first), _service(engine, second), _service(engine, alone)
        chat = ChatRef("test", f"concurrent-{uuid.uuid4().hex[:12]}")
        for update_id, (kind, value) in enumerate(_sequence(), start=next(_ids) * 1000):
            inbound = Inbound(chat, update_id=update_id, **{kind: value})  # type: ignore[arg-type]
            # Each update reaches both replicas at once (a retried webhook, a second consumer),
            # and consecutive updates alternate which replica sees them first.
            pair = (a, b) if update_id % 2 else (b, a)
            both = await asyncio.gather(pair[0].handle(inbound), pair[1].handle(inbound))
            # Delivered twice, handled once (the filing turn answers through the outbox only).
            assert sum(1 for replies in both if replies) == (0 if value == "recap|_ok" else 1)
            await reference.handle(inbound)
        shared = await first.export(chat.key)
        expected = await alone.export(chat.key)
        assert shared["conversation"]["state"] == expected["conversation"]["state"]
        assert len(shared["pre_applications"]) == 1
    finally:
        await first.close()
        await second.close()
        await alone.close()


async def test_back_edit_restart_and_stale_button_through_the_service(
    engine: Engine, store: Store
) -> None:
    citizen = Citizen(_service(engine, store))
    await citizen.qualify("Un jardin partagé", "Arras", "Une association", "Juste une idée", [])
    stale = citizen.button("Un local")
    await citizen.press("Un local")
    await citizen.press("Valider")
    said = await citizen.send("/retour")
    assert "Étape 6 sur 8" in said  # back on the needs, where the citizen came from
    await citizen.press("Valider")
    await citizen.press("Non")
    await citizen.press("Non")  # no call back: straight to the recap
    said = await citizen.press("Modifier : Commune")
    assert "Étape 3 sur 8" in said
    said = await citizen.send("Metz")
    assert "Votre projet en bref" in said and "Metz (57)" in said  # nothing else re-asked
    said = await citizen.send(button=stale)
    assert "Ce bouton n'est plus actif — reprenons ici" in said
    said = await citizen.send("/recommencer")
    assert "recommence" in said
    exported = await store.export(citizen.chat.key)
    assert exported["conversation"]["state"]["answers"].get("commune") is None


async def test_a_content_update_mid_conversation_resumes_where_it_can(
    engine: Engine, store: Store, catalog: Catalog
) -> None:
    citizen = Citizen(_service(engine, store))
    await citizen.qualify("Une ressourcerie", "Arras", "Une association", "On teste", [])
    dialog = engine.dialog
    nodes = {k: v for k, v in dialog.nodes.items() if k != "needs"}
    nodes["stage"] = nodes["stage"].model_copy(update={"next": "assess_offer"})
    newer = dialog.model_copy(update={"version": "next", "nodes": nodes})
    citizen.service = _service(Engine(newer, catalog), store)
    said = await citizen.send("bonjour")
    assert "mis à jour" in said
    assert "Où en est votre projet" in said


async def test_coming_back_after_two_days_logs_where_the_citizen_dropped(
    engine: Engine, store: Store
) -> None:
    counts = []
    for gap in (dt.timedelta(0), dt.timedelta(days=3)):
        citizen = Citizen(_service(engine, store))
        await citizen.send("/start")
        await citizen.press("Oui")
        citizen.service = Service(engine, store, clock=lambda gap=gap: NOW + gap)
        await citizen.send("Une idée de tiers-lieu")
        exported = await store.export(citizen.chat.key)
        assert exported["conversation"]["node"] == "themes"
        counts.append(exported["events"])
    assert counts[1] == counts[0] + 1  # the « abandoned » event, at the idea question


async def test_forgetting_after_filing_anonymises_and_tells_the_counter(
    engine: Engine, store: Store
) -> None:
    citizen = Citizen(_service(engine, store))
    await citizen.qualify("Un repair café", "Arras", "Une association", "On teste", ["Un local"])
    await citizen.results()
    await citizen.press("Oui")
    await citizen.send("Lou")
    await citizen.send("lou@example.org")
    await citizen.press("En fin de journée")
    said = await citizen.press("Confirmer")
    reference = next(word.strip(".") for word in said.split() if word.startswith("CPT-"))
    await citizen.send("/oublier")
    await citizen.press("Oui")
    due = await store.due(NOW, 100)
    notices = [m for m in due if m.kind == "lead_forgotten"]
    assert [m.payload["reference"] for m in notices] == [reference]
    assert (await store.export(citizen.chat.key))["pre_applications"] == []
