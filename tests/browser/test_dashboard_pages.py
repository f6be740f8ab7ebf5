"""The dashboard's pages: citizens' text shown as text, the CSV, small screens, the keyboard."""

from __future__ import annotations

import csv
import io
import re

from tests.browser.chat import OpenChat
from tests.browser.desk import Desk, OpenDesk, advisor_account, first_staff
from tests.browser.journeys import file_a_lead
from tests.browser.server import WebServer

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
IDEA = f"=1+1 Une recyclerie {IMG} {SCRIPT} pour réparer des objets"
NAME = '<b onmouseover="alert(3)">Sam</b>'
INJECTED = """() => document.querySelectorAll(
    'main img, main script, main b, [onerror], [onload], [onmouseover]').length"""
ARRAS = "pas-de-calais-comptoirs-initiatives-citoyennes"
DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
_ready: dict[str, str] = {}


async def _world(server: WebServer, open_chat: OpenChat) -> str:
    """Once per module: the accounts and a lead whose idea and name are HTML payloads."""
    if "reference" not in _ready:
        staff = await first_staff(server, "claire@example.org")
        camille = await advisor_account(
            staff, server.url, "Camille Martin", "camille@example.org", ARRAS
        )
        await staff.close()
        await camille.close()
        chat = await open_chat()
        _ready["reference"] = await file_a_lead(chat, idea=IDEA, name=NAME)
    return _ready["reference"]


async def _camille(open_desk: OpenDesk, reference: str, width: int = 1280) -> Desk:
    desk = await open_desk(width=width, height=800)
    await desk.sign_in("camille@example.org")
    await desk.until_listed(reference)
    return desk


async def test_what_citizens_typed_is_shown_as_text_everywhere(
    server: WebServer, open_chat: OpenChat, open_desk: OpenDesk
) -> None:
    reference = await _world(server, open_chat)
    desk = await _camille(open_desk, reference)
    listed = await desk.page.locator("main").inner_text()
    assert IMG in listed and SCRIPT in listed and NAME in listed
    assert await desk.page.evaluate(INJECTED) == 0
    await desk.open(f"/conseillers/demandes/{reference}")
    shown = await desk.page.locator("main").inner_text()
    assert IMG in shown and SCRIPT in shown and NAME in shown
    assert await desk.page.evaluate(INJECTED) == 0
    await desk.note(f"Note {IMG}")
    await desk.expect_text(f"Note {IMG}")
    assert await desk.page.evaluate(INJECTED) == 0


async def test_the_csv_export_is_for_a_french_spreadsheet_and_runs_no_formula(
    server: WebServer, open_chat: OpenChat, open_desk: OpenDesk
) -> None:
    reference = await _world(server, open_chat)
    desk = await _camille(open_desk, reference)
    link = desk.page.get_by_role("link", name="Exporter ces demandes (CSV)")
    async with desk.page.expect_download() as started:
        await link.click()
    download = await started.value
    assert re.fullmatch(r"demandes-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    path = await download.path()
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, line = rows[0], next(r for r in rows[1:] if r and r[0] == reference)
    assert header[:3] == ["Référence", "Déposée le", "Statut"]
    assert "Idée" in header and "Prénom" not in header  # contacts stay on the lead's page
    assert DATE.match(line[1]) and DATE.match(line[3])
    idea = line[header.index("Idée")]
    assert idea.startswith("'=1+1") and IMG in idea
    assert line[header.index("Commune")] == "Arras"
    assert "camille@example.org" not in raw.decode("utf-8")


async def test_the_pages_fit_a_small_screen(
    server: WebServer, open_chat: OpenChat, open_desk: OpenDesk
) -> None:
    reference = await _world(server, open_chat)
    for width in (375, 320):
        desk = await _camille(open_desk, reference, width=width)
        for path, name in (
            ("/conseillers/", "list"),
            (f"/conseillers/demandes/{reference}", "lead"),
        ):
            await desk.open(path)
            overflow = await desk.page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways at {width} px"
            await desk.screenshot(f"dashboard-{name}-{width}")
            await desk.screenshot(f"dashboard-{name}-{width}-top", full=False)
    anonymous = await open_desk(width=320)
    await anonymous.open("/conseillers/connexion")
    await anonymous.screenshot("dashboard-sign-in-320")


async def test_an_advisor_signs_in_and_takes_a_lead_with_the_keyboard_only(
    server: WebServer, open_chat: OpenChat, open_desk: OpenDesk
) -> None:
    reference = await _world(server, open_chat)
    desk = await open_desk()
    await desk.open("/conseillers/connexion")
    keyboard = desk.page.keyboard
    for _ in range(10):  # the e-mail field has the focus (autofocus), or is a few Tabs away
        if await desk.page.evaluate("() => document.activeElement?.id") == "email":
            break
        await keyboard.press("Tab")
    await keyboard.type("camille@example.org")
    await keyboard.press("Tab")
    await keyboard.type("une phrase assez longue")
    await keyboard.press("Enter")
    await desk.expect_text("Bonjour Camille !")
    await desk.until_listed(reference)
    await _tab_to(desk, reference)
    await keyboard.press("Enter")
    await desk.expect_text(f"Demande {reference}")
    await _tab_to(desk, "Je prends")
    focused = await desk.page.evaluate(
        "() => getComputedStyle(document.activeElement).outlineStyle"
    )
    assert focused != "none", "the focused button shows no focus ring"
    await keyboard.press("Enter")
    await desk.expect_text("Pris en charge par Camille")


async def _tab_to(desk: Desk, label: str, limit: int = 80) -> None:
    """Press Tab until the focused element reads `label`."""
    for _ in range(limit):
        await desk.page.keyboard.press("Tab")
        text = await desk.page.evaluate("() => document.activeElement?.innerText ?? ''")
        if label in text:
            return
    raise AssertionError(f"« {label} » not reached with Tab")
