"""Advisors' side in tests: a recorder of what goes to Telegram chats, people and groups linked."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.bootstrap import Comptoir
from bot.core.conversation import ChatRef, Reply
from bot.services.ports import Delivery
from bot.services.ports_advisors import Person
from tests.clients import Citizen

ARRAS_COUNTER = "pas-de-calais-comptoirs-initiatives-citoyennes"
DEPARTMENT_62 = "departement-62-service-ess"
CRESS = "cress-hauts-de-france"


@dataclass
class Shown:
    """A message in a chat as it stands now (edits applied)."""

    message_id: int
    reply: Reply
    edits: int = 0


class ChatsRecorder:
    """A Telegram `Outbound` that keeps every chat's messages, edits applied, with ids."""

    channel = "telegram"

    def __init__(self) -> None:
        self.chats: dict[int, list[Shown]] = defaultdict(list)
        self._ids = itertools.count(1)

    def compose(self, replies: Sequence[Reply]) -> list[Reply]:
        return list(replies)

    async def deliver(self, delivery: Delivery) -> str | None:
        chat = self.chats[int(delivery.chat.chat_id)]
        if delivery.edit is not None:
            shown = next(s for s in chat if s.message_id == int(delivery.edit))
            shown.reply, shown.edits = delivery.reply, shown.edits + 1
            return delivery.edit
        message_id = next(self._ids)
        chat.append(Shown(message_id, delivery.reply))
        return str(message_id)

    def working(self, chat: ChatRef) -> None:
        pass

    def close(self) -> None:
        pass

    def texts(self, chat_id: int) -> list[str]:
        return [s.reply.text for s in self.chats[chat_id]]

    def card(self, chat_id: int, reference: str) -> Shown:
        for shown in self.chats[chat_id]:
            if shown.reply.text.startswith(f"📋 Demande {reference}"):
                return shown
        raise AssertionError(f"no card {reference} in chat {chat_id}: {self.texts(chat_id)}")


def chats_of(comptoir: Comptoir) -> ChatsRecorder:
    """The recorder serving Telegram for a Comptoir (added on first use)."""
    outbound = comptoir.courier.outbound("telegram")
    if isinstance(outbound, ChatsRecorder):
        return outbound
    recorder = ChatsRecorder()
    comptoir.courier.add(recorder)
    return recorder


async def link_group(comptoir: Comptoir, chat_id: int, counter_id: str | None) -> None:
    """Link a group through a real one-time code, as its advisors would."""
    code = await comptoir.accounts.counter_code(counter_id)
    linked = await comptoir.accounts.link(chat_id, True, 1, code)
    assert linked.ok, linked.answer


async def advisor(
    comptoir: Comptoir, user_id: int, name: str, counters: Sequence[str], role: str = "advisor"
) -> Person:
    """A person with a linked Telegram account."""
    email = f"{name.split()[0].lower()}.{user_id}@example.org"
    person, code = await comptoir.accounts.add_person(email, name, role, counters)  # type: ignore[arg-type]
    linked = await comptoir.accounts.link(user_id, False, user_id, code)
    assert linked.ok, linked.answer
    found = await comptoir.storage.accounts.person(person.id)
    assert found is not None
    return found


async def file_in_arras(
    comptoir: Comptoir,
    idea: str = "On veut ouvrir une recyclerie pour réparer et revendre des objets",
    name: str = "Sam",
    contact: str = "sam@example.org",
) -> tuple[Citizen, str]:
    """A citizen files in Arras and asks to be called back; their reference, once routed."""
    citizen = Citizen(comptoir)
    await citizen.qualify(
        idea, "Arras", "Une association", "Ça prend forme", ["Un financement"], "15 000 €"
    )
    await citizen.results()
    await citizen.call_me_back(name, contact, "Le matin")
    said = await citizen.press("Confirmer")
    reference = next(w.strip(".,;:()«»") for w in said.split() if w.startswith("CPT-"))
    await settle(comptoir)
    return citizen, reference


async def settle(comptoir: Comptoir) -> None:
    """Let the courier deliver everything due (leads' work, cards, notices)."""
    courier = comptoir.courier
    for _ in range(20):
        due = [
            r
            for prefix in ("leads:", "telegram:", "test:")
            for r in await comptoir.storage.outbox.recipients(prefix, comptoir.leads.clock(), 500)
        ]
        if not due and not courier.busy:
            return
        for recipient in due:
            await courier.drain(recipient)
    raise AssertionError("the outbox does not settle")
