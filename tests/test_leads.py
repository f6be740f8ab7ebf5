"""Leads through the real services on every store: routing, buttons, reasons, reassignment."""

from __future__ import annotations

from bot.bootstrap import Comptoir
from bot.core.leads import Action
from tests.advisors import (
    ARRAS_COUNTER,
    CRESS,
    DEPARTMENT_62,
    advisor,
    chats_of,
    file_in_arras,
    link_group,
    settle,
)

GROUP, OTHER_GROUP, STAFF_GROUP = -1001, -1002, -1009
CAMILLE, DOMINIQUE, STAFF = 7001, 7002, 7009


async def _card_id(comptoir: Comptoir, chat: int, reference: str) -> tuple[int, int]:
    lead = await comptoir.storage.leads.find(reference)
    assert lead is not None
    return lead.id, chats_of(comptoir).card(chat, reference).message_id


async def test_a_lead_goes_to_the_covering_counter_with_advisors_and_says_why(
    comptoir: Comptoir,
) -> None:
    chats = chats_of(comptoir)
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    _, reference = await file_in_arras(comptoir)
    lead = await comptoir.storage.leads.find(reference)
    assert lead is not None and lead.counter_id == ARRAS_COUNTER
    assert lead.reason is not None and lead.reason.startswith("couvre Arras")
    card = chats.card(GROUP, reference).reply
    assert "Statut : Nouveau" in card.text
    assert "Arras (62) — Pas-de-Calais" in card.text
    assert "Sam" in card.text and "sam@example.org" not in card.text  # not before it is taken
    assert [b.label for row in card.buttons for b in row] == ["Je prends", "Pas pour nous"]
    kinds = [e.kind for e in await comptoir.storage.leads.events(lead.id)]
    assert kinds == ["routed"]


async def test_a_counter_without_advisors_is_passed_over(comptoir: Comptoir) -> None:
    await link_group(comptoir, GROUP, CRESS)  # covers the région: further than the comptoirs
    _, reference = await file_in_arras(comptoir)
    lead = await comptoir.storage.leads.find(reference)
    assert lead is not None and lead.counter_id == CRESS


async def test_uncovered_leads_go_to_the_staff_queue_and_record_a_gap(comptoir: Comptoir) -> None:
    chats = chats_of(comptoir)
    await link_group(comptoir, STAFF_GROUP, None)
    _, reference = await file_in_arras(comptoir)
    lead = await comptoir.storage.leads.find(reference)
    assert lead is not None and lead.counter_id is None
    events = await comptoir.storage.leads.events(lead.id)
    assert [(e.kind, e.detail) for e in events] == [
        ("gap", {"commune": "62041", "department": "62"})
    ]
    card = chats.card(STAFF_GROUP, reference).reply.text
    assert "Aucune structure avec des conseillers ne couvre Arras" in card


async def test_taking_a_lead_edits_the_card_shows_the_contact_and_tells_the_citizen_once(
    comptoir: Comptoir,
) -> None:
    chats = chats_of(comptoir)
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    await advisor(comptoir, CAMILLE, "Camille Martin", [ARRAS_COUNTER])
    citizen, reference = await file_in_arras(comptoir)
    lead_id, card_id = await _card_id(comptoir, GROUP, reference)
    answer = await comptoir.leads.press(CAMILLE, GROUP, card_id, lead_id, Action.TAKE)
    assert not answer.refused
    await settle(comptoir)
    card = chats.card(GROUP, reference)
    assert card.edits == 1
    assert "Statut : Pris en charge par Camille" in card.reply.text
    assert "sam@example.org" in card.reply.text
    labels = [b.label for row in card.reply.buttons for b in row]
    assert labels == ["Accompagnement proposé", "Réorienté vers…", "Pas pour nous", "Injoignable"]
    told = [r.text for r in citizen.recorder.replies(citizen.chat.chat_id)]
    assert sum("Bonne nouvelle" in t for t in told) == 1
    assert any(f"votre demande {reference} a été prise en charge par Camille" in t for t in told)
    # Pressed again (a double tap): refused, nothing changes, the citizen is not told twice.
    again = await comptoir.leads.press(CAMILLE, GROUP, card_id, lead_id, Action.TAKE)
    assert again.refused
    await settle(comptoir)
    told = [r.text for r in citizen.recorder.replies(citizen.chat.chat_id)]
    assert sum("Bonne nouvelle" in t for t in told) == 1


async def test_strangers_and_other_counters_cannot_press(comptoir: Comptoir) -> None:
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    await advisor(comptoir, DOMINIQUE, "Dominique Roy", [DEPARTMENT_62])
    _, reference = await file_in_arras(comptoir)
    lead_id, card_id = await _card_id(comptoir, GROUP, reference)
    before = await comptoir.storage.leads.get(lead_id)
    assert before is not None
    stranger = await comptoir.leads.press(999, GROUP, card_id, lead_id, Action.TAKE)
    assert stranger.refused and stranger.text is not None and "lié" in stranger.text
    other = await comptoir.leads.press(DOMINIQUE, GROUP, card_id, lead_id, Action.TAKE)
    assert other.refused and other.text is not None and "Seuls les conseillers" in other.text
    lead = await comptoir.storage.leads.get(lead_id)
    assert lead == before
    assert [e.kind for e in await comptoir.storage.leads.events(lead_id)] == ["routed"]


async def test_pas_pour_nous_asks_why_then_routes_to_the_next_counter(comptoir: Comptoir) -> None:
    chats = chats_of(comptoir)
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    await link_group(comptoir, OTHER_GROUP, DEPARTMENT_62)
    camille = await advisor(comptoir, CAMILLE, "Camille Martin", [ARRAS_COUNTER])
    _, reference = await file_in_arras(comptoir)
    lead_id, card_id = await _card_id(comptoir, GROUP, reference)
    asked = await comptoir.leads.press(CAMILLE, GROUP, card_id, lead_id, Action.DECLINE)
    assert not asked.refused
    await settle(comptoir)
    prompt = chats.chats[GROUP][-1].reply
    assert prompt.ask and prompt.quote == str(card_id) and "pourquoi" in prompt.text
    noted = await comptoir.leads.reason_given(camille, GROUP, "Projet hors de notre territoire")
    assert noted is not None
    await settle(comptoir)
    lead = await comptoir.storage.leads.get(lead_id)
    assert lead is not None
    assert (lead.counter_id, lead.status, lead.excluded) == (
        DEPARTMENT_62,
        "nouveau",
        (ARRAS_COUNTER,),
    )
    assert "désormais suivie par" in chats.card(GROUP, reference).reply.text
    assert chats.card(GROUP, reference).reply.buttons == ()
    assert "Statut : Nouveau" in chats.card(OTHER_GROUP, reference).reply.text
    events = await comptoir.storage.leads.events(lead_id)
    status = next(e for e in events if e.kind == "status")
    assert status.detail["reason"] == "Projet hors de notre territoire"
    assert status.actor == f"person:{camille.id}"
    assert [e.kind for e in events][-1] == "routed"


async def test_staff_reassign_a_lead_and_the_new_counter_gets_the_card(comptoir: Comptoir) -> None:
    chats = chats_of(comptoir)
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    await link_group(comptoir, OTHER_GROUP, DEPARTMENT_62)
    staff = await advisor(comptoir, STAFF, "Alex Durand", [], role="staff")
    _, reference = await file_in_arras(comptoir)
    unknown = await comptoir.leads.reassign(reference, "nulle-part", "test", staff)
    assert unknown.refused
    answer = await comptoir.leads.reassign(reference, DEPARTMENT_62, "Suivi par le service", staff)
    assert not answer.refused and answer.text is not None
    await settle(comptoir)
    lead = await comptoir.storage.leads.find(reference)
    assert lead is not None and lead.counter_id == DEPARTMENT_62
    assert lead.reason == "Suivi par le service"
    assert "Statut : Nouveau" in chats.card(OTHER_GROUP, reference).reply.text
    assert "désormais suivie par" in chats.card(GROUP, reference).reply.text


async def test_a_counter_without_a_group_gets_its_cards_in_its_advisors_private_chats(
    comptoir: Comptoir,
) -> None:
    chats = chats_of(comptoir)
    await advisor(comptoir, CAMILLE, "Camille Martin", [ARRAS_COUNTER])
    _, reference = await file_in_arras(comptoir)
    assert "Statut : Nouveau" in chats.card(CAMILLE, reference).reply.text


async def test_forgetting_anonymises_the_card_and_closes_the_relay(comptoir: Comptoir) -> None:
    chats = chats_of(comptoir)
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    camille = await advisor(comptoir, CAMILLE, "Camille Martin", [ARRAS_COUNTER])
    citizen, reference = await file_in_arras(comptoir, idea="Une recyclerie rue des Lilas")
    lead_id, card_id = await _card_id(comptoir, GROUP, reference)
    await comptoir.leads.press(CAMILLE, GROUP, card_id, lead_id, Action.TAKE)
    await comptoir.relay.to_citizen(camille, GROUP, lead_id, "Bonjour !", None)
    await citizen.send("/oublier")
    await citizen.press("Oui")
    await settle(comptoir)
    card = chats.card(GROUP, reference).reply
    assert "effacé ses données" in card.text
    assert "Lilas" not in card.text and "sam@example.org" not in card.text
    assert card.buttons == ()
    lead = await comptoir.storage.leads.get(lead_id)
    assert lead is not None and lead.chat_key is None and not lead.relay_open
    refused = await comptoir.relay.to_citizen(camille, GROUP, lead_id, "Encore là ?", None)
    assert refused.refused


async def test_relays_both_ways_each_once_even_when_done_again(comptoir: Comptoir) -> None:
    chats = chats_of(comptoir)
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    camille = await advisor(comptoir, CAMILLE, "Camille Martin", [ARRAS_COUNTER])
    citizen, reference = await file_in_arras(comptoir)
    lead_id, card_id = await _card_id(comptoir, GROUP, reference)
    await comptoir.leads.press(CAMILLE, GROUP, card_id, lead_id, Action.TAKE)
    for _ in range(2):  # the same update twice (Telegram redelivers after a lost answer)
        await comptoir.relay.to_citizen(camille, GROUP, lead_id, "Bonjour !", 991)
    await settle(comptoir)
    told = [r.text for r in citizen.recorder.replies(citizen.chat.chat_id)]
    signed = [t for t in told if "Bonjour !" in t]
    assert len(signed) == 1 and "Camille" in signed[0]
    for _ in range(2):  # the same outbox row done again after a crash
        await comptoir.relay.from_citizen(reference, "Merci, à jeudi", 4242)
    await settle(comptoir)
    forwarded = [t for t in chats.texts(GROUP) if "Merci, à jeudi" in t]
    assert forwarded == [f"💬 Message de la personne (demande {reference}) :\nMerci, à jeudi"]
    kinds = [e.kind for e in await comptoir.storage.leads.events(lead_id)]
    assert kinds.count("relay_out") == 1 and kinds.count("relay_in") == 1


async def test_html_in_the_idea_and_the_name_reaches_the_card_as_plain_text(
    comptoir: Comptoir,
) -> None:
    chats = chats_of(comptoir)
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    idea = "Une recyclerie <script>alert('x')</script> & <b>atelier</b> vélo"
    _, reference = await file_in_arras(comptoir, idea=idea, name="<i>Sam</i>")
    card = chats.card(GROUP, reference).reply.text
    # The card is plain text: the channel escapes it (Telegram: tests/test_advisors_telegram).
    assert "<script>alert('x')</script> & <b>atelier</b>" in card
    assert "<i>Sam</i>" in card
