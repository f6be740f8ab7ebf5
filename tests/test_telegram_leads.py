"""A lead's whole journey on Telegram: real PTB and server against the fake Bot API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.services.ports_advisors import Group
from tests.advisors import ARRAS_COUNTER
from tests.fakes.telegram import ChatMessage, FakeTelegram
from tests.telegram_stack import Stack, TelegramCitizen, running

GROUP = -1_001_234_567_890
CITIZEN = 5_550_123
CAMILLE = 7001
STRANGER = 9999
IDEA = "Une <b>recyclerie</b> & <script>alert(1)</script> pour réparer et revendre des objets"


async def said(fake: FakeTelegram, chat_id: int, before: int, timeout: float = 20) -> str:
    """The bot's next message to a chat, once it has sent one after the `before` first."""
    sent = await fake.wait_for(lambda: fake.sent(chat_id)[before:], timeout=timeout)
    return sent[0].text or ""


async def link(stack: Stack) -> None:
    """The counter's group and Camille's account, linked with real one-time codes."""
    fake, accounts = stack.fake, stack.comptoir.accounts
    code = await accounts.counter_code(ARRAS_COUNTER)
    fake.group_message(GROUP, f"/lier@ComptoirBot {code}", user_id=CAMILLE, first_name="Camille")
    answer = await said(fake, GROUP, 0)
    assert answer.startswith("C'est fait : ce groupe reçoit désormais les demandes adressées à")
    _, personal = await accounts.add_person(
        "camille.martin@example.org", "Camille Martin", "advisor", [ARRAS_COUNTER]
    )
    fake.user_message(CAMILLE, f"/lier {personal}", first_name="Camille")
    answer = await said(fake, CAMILLE, 0)
    assert answer.startswith("C'est fait : ce compte Telegram est lié à Camille Martin.")


async def file(fake: FakeTelegram) -> TelegramCitizen:
    """A citizen of Arras files a pre-application, HTML in the idea and the name."""
    citizen = TelegramCitizen(fake, CITIZEN)
    await citizen.qualify_arras(IDEA)
    await citizen.call_me_back("<i>Sam</i>", "sam@example.org", "Le matin")
    confirmed = await citizen.press("Confirmer")
    assert "CPT-" in confirmed
    return citizen


def card_in(fake: FakeTelegram, chat_id: int) -> ChatMessage | None:
    """The lead card in a chat, as it stands now (edits applied)."""
    for message in fake.sent(chat_id):
        if (message.text or "").startswith("📋 Demande CPT-"):
            return fake.messages[chat_id][message.message_id]
    return None


async def edited(fake: FakeTelegram, card: ChatMessage) -> ChatMessage:
    """The card once the bot has edited it again."""
    return await fake.wait_for(
        lambda: (
            current
            if (current := fake.messages[card.chat_id][card.message_id]).edits > card.edits
            else None
        ),
        timeout=20,
    )


async def test_a_lead_from_filing_to_the_citizens_answer(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        fake = stack.fake
        await link(stack)
        citizen = await file(fake)

        card = await fake.wait_for(lambda: card_in(fake, GROUP), timeout=20)
        reference = (card.text or "").split()[2]
        assert "Statut : Nouveau" in (card.text or "")
        assert "Arras (62) — Pas-de-Calais" in (card.text or "")
        assert card.button_texts == ["Je prends", "Pas pour nous"]
        assert "&lt;script&gt;" in (card.raw_text or "") and "<script>" not in (card.raw_text or "")
        assert "&lt;i&gt;Sam&lt;/i&gt;" in (card.raw_text or "")
        assert "<script>alert(1)</script>" in (card.text or "")  # shown as typed, never run
        assert "sam@example.org" not in (card.text or "")  # hidden until someone takes it

        # A stranger's press: an alert, nothing changes.
        take = card.callback_data("Je prends")
        fake.group_press(GROUP, card.message_id, take, user_id=STRANGER, first_name="Alex")
        await fake.wait_for(lambda: not fake.unanswered_callbacks(), timeout=10)
        refused = list(fake.callback_queries.values())[-1]
        assert refused.show_alert and "lié à aucun conseiller" in (refused.answer_text or "")
        await asyncio.sleep(0.3)
        assert fake.messages[GROUP][card.message_id].edits == card.edits

        # Camille takes it: the card is edited in place, the citizen is told once.
        before = len(fake.sent(CITIZEN))
        fake.group_press(GROUP, card.message_id, take, user_id=CAMILLE, first_name="Camille")
        taken = await edited(fake, card)
        assert "Statut : Pris en charge par Camille" in (taken.text or "")
        assert "sam@example.org" in (taken.text or "")
        assert "Je prends" not in taken.button_texts
        told = await said(fake, CITIZEN, before)
        assert told == (
            f"Bonne nouvelle : votre demande {reference} a été prise en charge par Camille "
            "(Comptoirs à initiatives citoyennes du Pas-de-Calais), qui va vous recontacter."
        )
        fake.group_press(
            GROUP, card.message_id, taken.callback_data("Injoignable"), user_id=STRANGER
        )
        await fake.wait_for(lambda: not fake.unanswered_callbacks(), timeout=10)

        # Camille answers the card: the citizen reads it, signed.
        before, group_before = len(fake.sent(CITIZEN)), len(fake.sent(GROUP))
        fake.group_message(
            GROUP, "Bonjour, je vous appelle jeudi ?", user_id=CAMILLE, reply_to=card.message_id
        )
        relayed = await said(fake, CITIZEN, before)
        assert "Bonjour, je vous appelle jeudi ?" in relayed and "Camille" in relayed
        assert (await said(fake, GROUP, group_before)).startswith("Message transmis")

        # The citizen's reply reaches the group, without their Telegram identity.
        group_before = len(fake.sent(GROUP))
        await citizen.say("Oui, jeudi matin c'est parfait")
        forwarded = await said(fake, GROUP, group_before)
        assert forwarded.startswith(f"💬 Message de la personne (demande {reference})")
        assert "jeudi matin c'est parfait" in forwarded
        for message in fake.sent(GROUP):
            shown = fake.messages[GROUP][message.message_id]
            assert str(CITIZEN) not in (shown.raw_text or "")
            assert not [e for e in shown.entities if e.get("type") == "text_mention"]

        lead = await stack.storage.leads.find(reference)
        assert lead is not None and lead.status == "pris_en_charge" and lead.relay_open
        events = [e.kind for e in await stack.storage.leads.events(lead.id)]
        assert events[:2] == ["routed", "taken"] and "relay_out" in events
        assert events[-1] == "relay_in"
        assert sum(told.startswith("Bonne nouvelle") for told in fake.texts(CITIZEN)) == 1


async def test_a_card_deleted_in_the_group_is_shown_again_when_it_changes(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        fake = stack.fake
        await link(stack)
        citizen = await file(fake)
        card = await fake.wait_for(lambda: card_in(fake, GROUP), timeout=20)
        del fake.messages[GROUP][card.message_id]  # an advisor deleted it
        await citizen.say("/oublier")
        await citizen.press("Oui")
        again = await fake.wait_for(
            lambda: [m for m in fake.sent(GROUP)[1:] if (m.text or "").startswith("📋 Demande")][
                1:
            ],
            timeout=20,
        )
        shown = fake.messages[GROUP][again[0].message_id]
        assert "La personne a effacé ses données" in (shown.text or "")
        assert "sam@example.org" not in (shown.text or "") and "recyclerie" not in (
            shown.text or ""
        )
        lead = await stack.storage.leads.find((card.text or "").split()[2])
        assert lead is not None
        cards = await stack.storage.leads.cards(lead.id)
        assert [(c.chat_id, c.message_id) for c in cards] == [(GROUP, shown.message_id)]


@pytest.mark.parametrize("announced", [True, False], ids=["service-message", "refused-send"])
async def test_a_group_that_becomes_a_supergroup_keeps_its_leads(
    tmp_path: Path, announced: bool
) -> None:
    old, new = -4_100_200, -1_004_100_200
    async with running(tmp_path) as stack:
        fake = stack.fake
        code = await stack.comptoir.accounts.counter_code(ARRAS_COUNTER)
        fake.group_message(old, f"/lier {code}", user_id=CAMILLE)
        await said(fake, old, 0)
        _, personal = await stack.comptoir.accounts.add_person(
            "camille.martin@example.org", "Camille Martin", "advisor", [ARRAS_COUNTER]
        )
        fake.user_message(CAMILLE, f"/lier {personal}", first_name="Camille")
        await said(fake, CAMILLE, 0)
        if announced:  # the card was shown before: it moves with the group
            await file(fake)
            await fake.wait_for(lambda: card_in(fake, old), timeout=20)
        fake.migrate_group(old, new, user_id=CAMILLE, announce=announced)
        if not announced:  # the card's first send is refused: the bot follows the new id
            await file(fake)
        card = await fake.wait_for(lambda: card_in(fake, new), timeout=30)
        group = await _linked_group(stack, new)
        assert group is not None and group.counter_id == ARRAS_COUNTER
        assert await stack.comptoir.storage.accounts.group(old) is None
        refused = [c for c in fake.calls if c.params.get("chat_id") == old and c.response_status]
        assert any(c.response_status == 400 for c in refused) == (not announced)
        fake.group_press(new, card.message_id, card.callback_data("Je prends"), user_id=CAMILLE)
        taken = await edited(fake, card)
        assert "Statut : Pris en charge par Camille" in (taken.text or "")


async def _linked_group(stack: Stack, chat_id: int, timeout: float = 10) -> Group | None:
    """The group linked under this chat id, once it is (None after `timeout`)."""
    for _ in range(int(timeout / 0.05)):
        group = await stack.comptoir.storage.accounts.group(chat_id)
        if group is not None:
            return group
        await asyncio.sleep(0.05)
    return None
