"""The dashboard's services on every store: lists by role, search, actions, notes, the relay."""

from __future__ import annotations

import datetime as dt

from bot.bootstrap import Comptoir
from bot.core.leads import Action
from bot.services.ports_advisors import Person
from bot.services.ports_dashboard import LeadQuery
from tests.advisors import (
    ARRAS_COUNTER,
    CRESS,
    advisor,
    chats_of,
    file_in_arras,
    link_group,
    settle,
)
from tests.clients import Citizen

CAMILLE, DOMINIQUE = 7101, 7102
GROUP = -1101
ALL = LeadQuery(scope=None)


async def _web_advisor(comptoir: Comptoir, name: str, counters: list[str]) -> Person:
    """An advisor with a dashboard password and no Telegram account."""
    email = f"{name.split()[0].lower()}@example.org"
    person, _ = await comptoir.accounts.add_person(email, name, "advisor", counters)
    await comptoir.signin.set_password(person, "une phrase assez longue")
    found = await comptoir.storage.accounts.person(person.id)
    assert found is not None and found.dashboard
    return found


async def _file(comptoir: Comptoir, idea: str, commune: str, name: str) -> str:
    citizen = Citizen(comptoir)
    await citizen.qualify(
        idea, commune, "Une association", "Ça prend forme", ["Un financement"], "15 000 €"
    )
    await citizen.results()
    await citizen.call_me_back(name, f"{name.lower()}@example.org", "Le matin")
    said = await citizen.press("Confirmer")
    await settle(comptoir)
    return next(w.strip(".,;:()«»") for w in said.split() if w.startswith("CPT-"))


async def test_a_dashboard_only_advisor_receives_the_leads_of_their_counter(
    comptoir: Comptoir,
) -> None:
    await _web_advisor(comptoir, "Camille Martin", [ARRAS_COUNTER])
    _, reference = await file_in_arras(comptoir)
    lead = await comptoir.storage.leads.find(reference)
    assert lead is not None and lead.counter_id == ARRAS_COUNTER


async def test_the_list_shows_only_the_counters_leads_and_searches_without_accents(
    comptoir: Comptoir,
) -> None:
    camille = await _web_advisor(comptoir, "Camille Martin", [ARRAS_COUNTER])
    other = await _web_advisor(comptoir, "Dominique Petit", [CRESS])
    recyclerie = await _file(comptoir, "Une recyclerie à Arras, rue des Lilas", "Arras", "Sam")
    epicerie = await _file(comptoir, "Une épicerie solidaire pour les étudiants", "Lens", "Léa")
    worklist = comptoir.worklist
    mine = await worklist.page(camille, ALL, 1, 25)
    assert {line.reference for line in mine.lines} == {recyclerie, epicerie}
    assert mine.total == 2 and mine.lines[0].reference == epicerie  # newest first
    assert (await worklist.page(other, ALL, 1, 25)).total == 0

    async def found(**filters: object) -> set[str]:
        page = await worklist.page(camille, LeadQuery(scope=None, **filters), 1, 25)  # type: ignore[arg-type]
        return {line.reference for line in page.lines}

    assert await found(text="EPICERIE etudiants") == {epicerie}
    assert await found(text="lea") == {epicerie}  # the first name, accents folded
    assert await found(text="lilas arras") == {recyclerie}
    assert await found(text=recyclerie.lower()) == {recyclerie}
    assert await found(text="lilas lens") == set()  # every word must be found
    assert await found(text="100%_") == set()  # LIKE's wildcards are plain characters
    assert await found(department="62") == {recyclerie, epicerie}
    assert await found(department="59") == set()
    assert await found(statuses=("nouveau",)) == {recyclerie, epicerie}
    assert await found(statuses=("pris_en_charge",)) == set()
    assert await found(counter=ARRAS_COUNTER) == {recyclerie, epicerie}
    assert await found(counter="") == set()  # the staff queue is not theirs
    today = comptoir.leads.clock().date()
    assert await found(since=today, until=today) == {recyclerie, epicerie}
    assert await found(since=today + dt.timedelta(days=1)) == set()
    lead = await comptoir.storage.leads.find(recyclerie)
    assert lead is not None
    theme = lead.filing.profile.themes[0]
    assert recyclerie in await found(theme=theme)
    assert await found(theme="no-such-theme") == set()
    paged = await worklist.page(camille, ALL, 2, 1)
    assert [line.reference for line in paged.lines] == [recyclerie] and paged.pages == 2
    assert await worklist.departments(camille) == ["62"]
    assert await worklist.departments(other) == []
    exported = [line.reference async for chunk in worklist.export(camille, ALL) for line in chunk]
    assert exported == [epicerie, recyclerie]


async def test_actions_notes_and_messages_from_the_dashboard_are_the_lead_events(
    comptoir: Comptoir,
) -> None:
    camille = await _web_advisor(comptoir, "Camille Martin", [ARRAS_COUNTER])
    citizen, reference = await file_in_arras(comptoir)
    worklist = comptoir.worklist
    lead = await worklist.open(camille, reference)
    assert lead is not None
    refused = await worklist.write(camille, lead.id, "Bonjour", "f-0")
    assert refused.refused and "Je prends" in (refused.text or "")
    for _ in range(2):  # a double click
        taken = await worklist.act(camille, lead.id, Action.TAKE, "", "f-1")
        assert not taken.refused
    for _ in range(2):
        await worklist.note(camille, lead.id, "Appelée le 3/12, rappeler jeudi", "f-2")
    for _ in range(2):
        sent = await worklist.write(camille, lead.id, "Bonjour, je vous appelle jeudi ?", "f-3")
        assert not sent.refused
    await settle(comptoir)
    told = [r.text for r in citizen.recorder.replies(citizen.chat.chat_id)]
    assert sum("je vous appelle jeudi" in t for t in told) == 1
    await citizen.send("Oui, jeudi matin")
    await settle(comptoir)
    timeline = await worklist.timeline(lead)
    kinds = [m.event.kind for m in timeline]
    assert kinds == ["routed", "taken", "note", "relay_out", "relay_in"]
    texts = {m.event.kind: m.event.text for m in timeline}
    assert texts["note"] == "Appelée le 3/12, rappeler jeudi"
    assert texts["relay_out"] == "Bonjour, je vous appelle jeudi ?"
    assert texts["relay_in"] == "Oui, jeudi matin"
    assert [m.what for m in timeline][1:3] == ["prise en charge par Camille", "note de Camille"]
    no_reason = await worklist.act(camille, lead.id, Action.REDIRECT, "  ", "f-4")
    assert no_reason.refused and "réorienté" in (no_reason.text or "")
    redirected = await worklist.act(camille, lead.id, Action.REDIRECT, "la CRESS", "f-5")
    assert not redirected.refused
    stale = await worklist.act(camille, lead.id, Action.PROPOSE, "", "f-6")
    assert stale.refused
    after = await comptoir.storage.leads.get(lead.id)
    assert after is not None and after.status == "reoriente"


async def test_another_counters_advisor_can_neither_see_nor_change_a_lead(
    comptoir: Comptoir,
) -> None:
    await _web_advisor(comptoir, "Camille Martin", [ARRAS_COUNTER])
    other = await _web_advisor(comptoir, "Dominique Petit", [CRESS])
    _, reference = await file_in_arras(comptoir)
    lead = await comptoir.storage.leads.find(reference)
    assert lead is not None
    worklist = comptoir.worklist
    assert await worklist.open(other, reference) is None
    assert worklist.allowed(other, lead) == ()
    for answer in (
        await worklist.act(other, lead.id, Action.TAKE, "", "x-1"),
        await worklist.note(other, lead.id, "pirate", "x-2"),
        await worklist.write(other, lead.id, "pirate", "x-3"),
        await worklist.reassign(other, lead, CRESS, "pirate"),
    ):
        assert answer.refused
    after = await comptoir.storage.leads.get(lead.id)
    assert after is not None and after.version == lead.version
    assert [e.kind for e in await comptoir.storage.leads.events(lead.id)] == ["routed"]


async def test_erasure_clears_the_timeline_texts_and_the_private_search(
    comptoir: Comptoir,
) -> None:
    camille = await _web_advisor(comptoir, "Camille Martin", [ARRAS_COUNTER])
    citizen, reference = await file_in_arras(comptoir, idea="Une recyclerie rue des Lilas")
    worklist = comptoir.worklist
    lead = await worklist.open(camille, reference)
    assert lead is not None
    await worklist.act(camille, lead.id, Action.TAKE, "", "e-1")
    await worklist.note(camille, lead.id, "Sam habite rue des Lilas", "e-2")
    await worklist.write(camille, lead.id, "Bonjour Sam", "e-3")
    await settle(comptoir)
    await citizen.send("/oublier")
    await citizen.press("Oui")
    await settle(comptoir)
    timeline = await worklist.timeline(lead)
    assert [m.event.text for m in timeline] == [None] * len(timeline)
    assert "note" in [m.event.kind for m in timeline]  # what happened stays, not its words
    assert (await worklist.page(camille, LeadQuery(scope=None, text="lilas"), 1, 5)).total == 0
    assert (await worklist.page(camille, LeadQuery(scope=None, text="sam"), 1, 5)).total == 0
    found = await worklist.page(camille, LeadQuery(scope=None, text=reference), 1, 5)
    assert found.total == 1 and found.lines[0].idea is None and found.lines[0].first_name is None


async def test_staff_see_every_lead_and_the_staff_queue(comptoir: Comptoir) -> None:
    staff = await advisor(comptoir, CAMILLE, "Claude Bernard", [], role="staff")
    _, reference = await file_in_arras(comptoir)  # no advisor anywhere: the staff queue
    queue = await comptoir.worklist.page(staff, LeadQuery(scope=None, counter=""), 1, 5)
    assert [line.reference for line in queue.lines] == [reference]
    assert await comptoir.worklist.open(staff, reference) is not None


async def test_the_dashboard_and_telegram_show_the_same_events(comptoir: Comptoir) -> None:
    chats = chats_of(comptoir)
    await link_group(comptoir, GROUP, ARRAS_COUNTER)
    camille = await _web_advisor(comptoir, "Camille Martin", [ARRAS_COUNTER])
    dominique = await advisor(comptoir, DOMINIQUE, "Dominique Petit", [ARRAS_COUNTER])
    _, reference = await file_in_arras(comptoir)
    lead = await comptoir.worklist.open(camille, reference)
    assert lead is not None
    await comptoir.worklist.act(camille, lead.id, Action.TAKE, "", "t-1")
    await settle(comptoir)
    card = chats.card(GROUP, reference).reply.text
    assert "Pris en charge par Camille" in card and "sam@example.org" in card
    await comptoir.worklist.note(camille, lead.id, "Rendez-vous fixé", "t-2")
    await settle(comptoir)
    assert "Dernière action : note de Camille" in chats.card(GROUP, reference).reply.text
    card_id = chats.card(GROUP, reference).message_id
    await comptoir.leads.press(DOMINIQUE, GROUP, card_id, lead.id, Action.PROPOSE)
    await settle(comptoir)
    moments = [m.what for m in await comptoir.worklist.timeline(lead)]
    assert moments[-1] == f"Accompagnement proposé ({dominique.first_name})"
