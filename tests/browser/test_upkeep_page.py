"""The staff's upkeep page in a real browser: its sections, the last link check, small screens.

The check button is not pressed here (this server's links are the real ones: no request may
leave the machine); tests/test_upkeep_page.py presses it against a local site. A finished check
is written into the server's database instead, as a replica that ran it would have.
"""

from __future__ import annotations

import datetime as dt
import re

from playwright.async_api import expect

from bot.core.catalog import Catalog
from bot.core.links import LinkOutcome, LinkResult, LinkTarget
from bot.storage import open_storage
from tests.browser.desk import OpenDesk, first_staff
from tests.browser.server import WebServer

STAFF = "claire@example.org"
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


async def _a_finished_check(server: WebServer) -> None:
    """Results of an earlier check: a broken scheme page and a counter's page moved."""
    knowledge = Catalog.load().knowledge
    dla = next(s for s in knowledge.schemes if s.id == "dla")
    tag35 = next(c for c in knowledge.counters if c.id == "tag35")
    folder = server.server.log.parent
    storage = await open_storage(f"sqlite+aiosqlite:///{folder}/web.sqlite3")
    try:
        at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
        check = await storage.upkeep.start_check("Claire Dupont", at)
        assert check is not None
        results = [
            LinkResult(
                LinkTarget(dla.url, "scheme", dla.id, "url"),
                LinkOutcome.BROKEN,
                "page introuvable (404)",
                404,
            ),
            LinkResult(
                LinkTarget(tag35.url, "counter", tag35.id, "url"),
                LinkOutcome.REDIRECTED,
                "redirigé",
                200,
                tag35.url.rstrip("/") + "/nouvelle-adresse",
            ),
        ]
        await storage.upkeep.finish_check(check, results, at + dt.timedelta(minutes=3))
    finally:
        await storage.close()


async def test_staff_read_the_upkeep_list_and_its_last_link_check(
    server: WebServer, open_desk: OpenDesk
) -> None:
    staff = await first_staff(server, STAFF)
    await staff.close()
    await _a_finished_check(server)
    desk = await open_desk(width=1280, height=900)
    await desk.sign_in(STAFF)
    await desk.page.get_by_role("link", name="Entretien").click()
    page = desk.page
    await expect(page).to_have_url(re.compile(r"/conseillers/entretien$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Entretien de la base de connaissances"
    )
    navigation = page.get_by_role("navigation", name="Navigation principale")
    await expect(navigation.get_by_role("link", name="Entretien")).to_have_attribute(
        "aria-current", "page"
    )
    for title in ("Fiches à vérifier", "Calendriers à revoir", "Liens cassés", "Liens redirigés"):
        await expect(
            page.get_by_role("heading", level=2, name=re.compile(f"^{title}"))
        ).to_be_visible()
    await desk.expect_text("Dernière vérification terminée le ")
    await desk.expect_text("(lancée par Claire Dupont) : 2 liens, 1 cassé, 1 redirigé.")
    broken = page.locator("section[aria-labelledby='broken_links']")
    await expect(broken).to_contain_text(
        "Lien cassé (adresse principale) : page introuvable (404)."
    )
    await expect(broken.get_by_role("link").first).to_have_attribute(
        "href", "/conseillers/contenu/dispositifs/dla"
    )
    await expect(page.get_by_role("button", name="Vérifier les liens maintenant")).to_be_visible()
    await desk.screenshot("staff-upkeep")
    await desk.screenshot("staff-upkeep-top", full=False)
    await page.get_by_role("link", name=re.compile("^Calendriers à revoir")).click()
    await expect(page).to_have_url(re.compile("#calendar$"))
    await desk.screenshot("staff-upkeep-calendars", full=False)

    for width in (375, 320):
        narrow = await open_desk(width=width, height=800)
        await narrow.sign_in(STAFF)
        await narrow.open("/conseillers/entretien")
        await narrow.expect_text("Entretien de la base de connaissances")
        assert await narrow.page.evaluate(OVERFLOW) <= 0, f"scrolls sideways at {width} px"
        await narrow.screenshot(f"staff-upkeep-{width}-top", full=False)
