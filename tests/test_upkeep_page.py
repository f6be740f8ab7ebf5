"""The staff's upkeep page (`/conseillers/entretien`): who sees it, its sections, the link check
(every address sent to a local site: no request leaves the machine)."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.core.catalog import Catalog
from bot.core.conversation import Event
from bot.core.links import link_targets
from bot.services.links import LinkChecker, LinkCheckRun, Politeness
from bot.services.ports_advisors import Role
from bot.web.app import COMPTOIR, create_app
from bot.web.dashboard.upkeep import LINKS
from tests.browser.desk import PASSWORD, Http
from tests.local_links import LocalProbe, Sites
from tests.webchat_client import web_settings

PAGE = "/conseillers/entretien"
STAFF = "claire.dupont@exemple.fr"
ADVISOR = "camille.martin@exemple.fr"
LINKED = "cress-bretagne"  # the advisor's counter
SHOWN = "prets-d-honneur"  # a scheme a citizen was shown
FAST = Politeness(concurrency=8, per_host=8, pause=0.0, timeout=5.0)


@dataclass
class Served:
    """The server, its people signed in, and the way its link check goes."""

    staff: Http
    advisor: Http
    gate: asyncio.Event
    run: LinkCheckRun
    broken_url: str
    moved_url: str


def section(page: str, name: str) -> str:
    """The HTML of one section of the page."""
    start = page.index(f'<section aria-labelledby="{name}"')
    end = page.find("</section>", start)
    return html.unescape(page[start:end])


@pytest.fixture
async def served(tmp_path: Path, catalog: Catalog) -> AsyncIterator[Served]:
    knowledge = catalog.knowledge
    broken_url = next(s.url for s in knowledge.schemes if s.id == "dla")
    moved_url = next(c.url for c in knowledge.counters if c.id == "tag35")
    gate = asyncio.Event()
    async with Sites().running() as [site]:
        paths = {broken_url: "/missing", moved_url: "/moved"}
        probe = LocalProbe(lambda url: site.url(paths.get(url, "/ok")), gate)
        run = LinkCheckRun(LinkChecker(probe, FAST))
        app = create_app(web_settings(tmp_path))
        app[LINKS] = run  # before the start: the page's check is this one
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        url = str(server.make_url("")).rstrip("/")
        staff, advisor = Http(url), Http(url)
        try:
            comptoir = app[COMPTOIR]
            people: list[tuple[str, str, Role, list[str]]] = [
                (STAFF, "Claire Dupont", "staff", []),
                (ADVISOR, "Camille Martin", "advisor", [LINKED]),
            ]
            for email, name, role, counters in people:
                person, _ = await comptoir.accounts.add_person(email, name, role, counters)
                await comptoir.signin.set_password(person, PASSWORD)
            shown = Event("match_run", "results", {"scheme_ids": [SHOWN], "counter_ids": [LINKED]})
            async with comptoir.storage.conversations.chat("web:citoyen") as session:
                await session.log([shown], comptoir.leads.clock())
            assert await staff.sign_in(STAFF) == 303
            assert await advisor.sign_in(ADVISOR) == 303
            yield Served(staff, advisor, gate, run, broken_url, moved_url)
        finally:
            gate.set()
            await run.wait()
            await staff.close()
            await advisor.close()
            await server.close()


async def test_advisors_do_not_see_the_upkeep_page_nor_its_check(served: Served) -> None:
    status, body = await served.advisor.get(PAGE)
    assert status == 404 and "Page introuvable" in body
    assert (await served.advisor.post(f"{PAGE}/liens", {}))[0] == 404
    assert not served.run.running
    status, body = await served.advisor.get("/conseillers/")
    assert status == 200 and f'href="{PAGE}"' not in body  # not in their navigation either


async def test_staff_see_every_section_with_its_count_and_where_to_fix(served: Served) -> None:
    status, body = await served.staff.get(PAGE)
    assert status == 200
    page = html.unescape(body)
    assert "<h1>Entretien de la base de connaissances</h1>" in page
    for title in ("Fiches à vérifier", "Calendriers à revoir", "Liens cassés"):
        assert title in page
    calendars = section(body, "calendar")
    assert 'href="/conseillers/contenu/dispositifs/pas-de-calais-budget-citoyen"' in calendars
    assert "<code>knowledge/schemes/pas-de-calais-budget-citoyen.yaml:" in calendars
    assert re.search(r'<h2 id="calendar">Calendriers à revoir <span class="badge">\d+</span>', page)
    unlinked = section(body, "unlinked")
    assert "/conseillers/contenu/structures/tag35" in unlinked
    assert f"/conseillers/contenu/structures/{LINKED}" not in unlinked  # it has its advisor
    unmatched = section(body, "unmatched")
    assert "Proposé à personne depuis le " in unmatched
    assert f'/dispositifs/{SHOWN}"' not in unmatched
    assert f'/structures/{LINKED}"' not in unmatched
    assert "Les liens n'ont encore jamais été vérifiés." in page
    assert "Aucune vérification des liens terminée pour l'instant." in section(body, "broken_links")


async def test_the_check_runs_in_the_background_once_and_lists_what_it_found(
    served: Served, catalog: Catalog
) -> None:
    staff = served.staff
    await staff.get(PAGE)
    assert await staff.post(f"{PAGE}/liens", {}, csrf="faux") == (403, "")
    assert not served.run.running

    assert await staff.post(f"{PAGE}/liens", {}) == (303, PAGE)
    _, body = await staff.get(PAGE)
    page = html.unescape(body)
    assert re.search(r"Vérification de \d+ liens lancée : elle prend quelques minutes\.", page)
    assert "Vérification en cours</strong>, lancée le " in page and "par Claire Dupont" in page
    assert "Vérifier les liens maintenant" not in page  # no second button while it runs

    assert await staff.post(f"{PAGE}/liens", {}) == (303, PAGE)  # a second one is refused
    _, body = await staff.get(PAGE)
    assert "Une vérification des liens est déjà en cours" in html.unescape(body)

    served.gate.set()
    await served.run.wait()
    _, body = await staff.get(PAGE)
    page = html.unescape(body)
    assert "Vérification en cours" not in page
    assert re.search(
        r"Dernière vérification terminée le \d\d/\d\d/\d{4} à \d\d:\d\d \(lancée par Claire "
        r"Dupont\) : \d+ liens, \d+ cassés?, \d+ redirigés?\.",
        page,
    )
    broken = section(body, "broken_links")
    assert 'href="/conseillers/contenu/dispositifs/dla"' in broken
    assert "Lien cassé (adresse principale) : page introuvable (404)." in broken
    assert f'href="{served.broken_url}"' in broken
    moved = section(body, "redirected_links")
    assert 'href="/conseillers/contenu/structures/tag35"' in moved
    carrying = [t for t in link_targets(catalog.knowledge) if t.url == served.moved_url]
    assert moved.count(f'Lien : <a href="{served.moved_url}"') == len(carrying)  # only those
    assert "Vérifier les liens maintenant" in page
