"""Who may see and do what on the dashboard: every URL and action of another counter is a 404."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio
from playwright.async_api import Browser

from tests.browser.chat import Chat
from tests.browser.desk import Http, advisor_account, first_staff
from tests.browser.journeys import ASKS_CONSENT, file_a_lead
from tests.browser.server import WebServer
from tests.browser.watch import Watch

ARRAS = "pas-de-calais-comptoirs-initiatives-citoyennes"
OTHER = "cress-bretagne"


@dataclass
class World:
    """A staff member, an advisor of the lead's counter (A), one of another counter (B)."""

    staff: Http
    a: Http
    b: Http
    reference: str


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(browser: Browser, server: WebServer) -> AsyncIterator[World]:
    """The accounts, and a lead filed in the web chat in Arras (routed to A's counter)."""
    staff = await first_staff(server, "claire@example.org")
    a = await advisor_account(staff, server.url, "Camille Martin", "camille@example.org", ARRAS)
    b = await advisor_account(staff, server.url, "Dominique Petit", "dominique@example.org", OTHER)
    context = await browser.new_context(locale="fr-FR")
    watch = Watch(server)
    await watch.attach(context)
    page = await context.new_page()
    watch.attach_page(page)
    chat = Chat(page, server.url)
    await chat.open(expect=ASKS_CONSENT)
    reference = await file_a_lead(chat)
    await context.close()
    watch.check()
    for _ in range(100):  # routed through the outbox
        if reference in (await a.get("/conseillers/"))[1]:
            break
        await asyncio.sleep(0.1)
    yield World(staff, a, b, reference)
    for http in (staff, a, b):
        await http.close()


async def _timeline(world: World) -> str:
    status, page = await world.staff.get(f"/conseillers/demandes/{world.reference}")
    assert status == 200
    timeline = page[page.index('class="timeline"') :]
    return timeline[: timeline.index("</ol>")] + (await world.staff.get("/conseillers/"))[1]


async def test_another_counters_advisor_gets_404_on_every_url_and_action(world: World) -> None:
    lead = f"/conseillers/demandes/{world.reference}"
    before = await _timeline(world)
    assert (await world.a.get(lead))[0] == 200
    assert (await world.b.get(lead))[0] == 404
    for action in ("take", "propose", "redirect", "decline", "unreachable", "reopen"):
        status, _ = await world.b.post(f"{lead}/action", {"action": action, "words": "x"})
        assert status == 404, action
    for path, data in (
        (f"{lead}/note", {"text": "une note pirate"}),
        (f"{lead}/message", {"text": "un message pirate"}),
        (f"{lead}/reaffecter", {"counter": OTHER, "reason": "pirate"}),
    ):
        assert (await world.b.post(path, data))[0] == 404, path
    _, listed = await world.b.get(f"/conseillers/?q={world.reference}")
    assert lead not in listed and "Aucune demande" in listed
    _, listed = await world.b.get(f"/conseillers/?structure={ARRAS}")
    assert lead not in listed
    _, exported = await world.b.get(f"/conseillers/export.csv?structure={ARRAS}")
    assert world.reference not in exported
    assert (await world.b.get("/conseillers/demandes/CPT-2026-999999"))[0] == 404
    assert await _timeline(world) == before  # nothing changed


async def test_advisors_get_404_on_the_staff_pages(world: World) -> None:
    assert (await world.a.get("/conseillers/equipe"))[0] == 404
    for path in ("/conseillers/equipe/inviter", "/conseillers/equipe/1/lien"):
        status, _ = await world.a.post(path, {"name": "X Y", "email": "x@example.org"})
        assert status == 404, path
    assert (await world.a.post("/conseillers/equipe/1/desactiver", {}))[0] == 404
    lead = f"/conseillers/demandes/{world.reference}"
    assert (await world.a.post(f"{lead}/reaffecter", {"counter": OTHER}))[0] == 404
    assert (await world.staff.get("/conseillers/equipe"))[0] == 200


async def test_a_form_without_the_sessions_token_or_from_another_site_is_refused(
    world: World,
) -> None:
    lead = f"/conseillers/demandes/{world.reference}"
    before = await _timeline(world)
    await world.a.get(lead)
    assert (await world.a.post(f"{lead}/note", {"text": "sans jeton"}, csrf=""))[0] == 403
    wrong = await world.a.post(f"{lead}/note", {"text": "mauvais jeton"}, csrf="x" * 43)
    assert wrong[0] == 403
    foreign = await world.a.post(
        f"{lead}/note", {"text": "autre site"}, Origin="https://evil.example"
    )
    assert foreign[0] == 403
    assert await _timeline(world) == before
    stolen = Http(world.a.url)  # another browser with A's token but not A's cookie
    try:
        stolen.csrf = world.a.csrf
        status, where = await stolen.post(f"{lead}/note", {"text": "volé"})
        assert status == 303 and where.startswith("/conseillers/connexion")
    finally:
        await stolen.close()
    assert await _timeline(world) == before


async def test_a_disabled_accounts_session_cookie_is_refused(
    world: World, server: WebServer
) -> None:
    http = await advisor_account(world.staff, server.url, "Alex Durand", "alex@example.org", ARRAS)
    try:
        assert (await http.get("/conseillers/"))[0] == 200
        cookie = http.cookie()
        _, team = await world.staff.get("/conseillers/equipe")
        person = team.split("alex@example.org")[1].split("/conseillers/equipe/")[1].split("/")[0]
        assert (await world.staff.post(f"/conseillers/equipe/{person}/desactiver", {}))[0] == 303
        replay = Http(server.url)
        try:
            replay.session.cookie_jar.update_cookies({"comptoir_conseillers": cookie})
            assert (await replay.get("/conseillers/"))[0] == 303
            lead = f"/conseillers/demandes/{world.reference}"
            assert (await replay.get(lead))[0] == 303  # to the sign-in page, nothing shown
        finally:
            await replay.close()
        assert await http.sign_in("alex@example.org") == 401
    finally:
        await http.close()


async def test_closing_every_session_refuses_the_cookies_of_other_devices(
    world: World, server: WebServer
) -> None:
    laptop = await advisor_account(world.staff, server.url, "Lou Bernard", "lou@example.org", ARRAS)
    phone = Http(server.url)
    try:
        assert await phone.sign_in("lou@example.org") == 303
        assert (await phone.get("/conseillers/"))[0] == 200
        status, _ = await laptop.post("/conseillers/deconnexion", {"partout": "1"})
        assert status == 200
        assert (await phone.get("/conseillers/"))[0] == 303  # signed out there too
        assert (await laptop.get("/conseillers/"))[0] == 303
    finally:
        await phone.close()
        await laptop.close()
