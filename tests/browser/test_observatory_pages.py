"""The observatory in a real browser: a citizen's conversation in the web chat joins a seeded
world, staff read the figures as charts beside their tables, on a desktop and on a phone, and
download a view; the screenshots go to tests/artifacts/."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.storage import open_storage
from tests.browser.chat import ARTIFACTS, OpenChat
from tests.browser.desk import Desk, OpenDesk, first_staff
from tests.browser.journeys import file_a_lead
from tests.browser.server import FAST_PACE, WebServer, serving
from tests.observatory_seed import seed

PAGE = "/conseillers/observatoire"
STAFF = "claire@example.org"
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
_ready: dict[str, str] = {}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WebServer]:
    """A server of this module's own, whose SQLite file the test seeds."""
    folder = tmp_path_factory.mktemp("observatory")
    async with serving(folder, **FAST_PACE) as running:
        storage = await open_storage(f"sqlite+aiosqlite:///{folder}/web.sqlite3")
        try:
            await seed(storage)
        finally:
            await storage.close()
        yield running


async def _staff(server: WebServer, open_chat: OpenChat, open_desk: OpenDesk, width: int) -> Desk:
    if "staff" not in _ready:
        http = await first_staff(server, STAFF)
        await http.close()
        chat = await open_chat()
        _ready["staff"] = await file_a_lead(chat)
    desk = await open_desk(width=width, height=900)
    await desk.sign_in(STAFF)
    await desk.open(PAGE)
    return desk


async def test_staff_read_the_observatory_as_charts_beside_their_tables(
    server: WebServer, open_chat: OpenChat, open_desk: OpenDesk
) -> None:
    desk = await _staff(server, open_chat, open_desk, 1280)
    page = desk.page
    await desk.expect_text("Idées qualifiées : 19")  # 18 seeded, and the chat's conversation
    charts = page.locator("svg.chart[role='img']")
    assert await charts.count() == 8
    for index in range(8):
        label = await charts.nth(index).get_attribute("aria-label")
        assert label
    views = page.locator(".view")
    for index in range(await views.count()):
        assert await views.nth(index).locator("table.data").count() == 1
    # Side by side on a wide screen: the table starts to the right of its chart.
    first = views.first
    chart_box = await first.locator("svg").bounding_box()
    table_box = await first.locator("table").bounding_box()
    assert chart_box and table_box and table_box["x"] > chart_box["x"] + chart_box["width"] / 2
    await desk.screenshot("observatory")
    await desk.screenshot("observatory-top", full=False)


async def test_the_observatory_fits_a_phone(
    server: WebServer, open_chat: OpenChat, open_desk: OpenDesk
) -> None:
    for width in (375, 320):
        desk = await _staff(server, open_chat, open_desk, width)
        assert await desk.page.evaluate(OVERFLOW) <= 0, f"scrolls sideways at {width} px"
        await desk.screenshot(f"observatory-{width}", full=False)
    gaps = desk.page.locator("#manques .view").first
    await gaps.screenshot(path=str(ARTIFACTS / "observatory-320-gaps.png"))


async def test_a_territory_is_chosen_and_its_view_downloaded(
    server: WebServer, open_chat: OpenChat, open_desk: OpenDesk
) -> None:
    desk = await _staff(server, open_chat, open_desk, 1280)
    page = desk.page
    await page.get_by_label("Territoire", exact=True).select_option(label="59 — Nord")
    await page.get_by_role("button", name="Afficher").click()
    await desk.expect_text("Idées qualifiées : 6")
    await desk.expect_text("Nord (59)")
    link = page.get_by_role("link", name="Télécharger « Idées qualifiées par département » (CSV)")
    async with page.expect_download() as started:
        await link.click()
    download = await started.value
    assert download.suggested_filename == "observatoire-idees-departements-59.csv"
    text = (await download.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines() == ["Département;Idées qualifiées", "Nord (59);6"]
