"""What a citizen types stays text; the socket refuses foreign sites and oversized messages."""

from __future__ import annotations

import aiohttp
from playwright.async_api import expect

from tests.browser.chat import Chat, plain
from tests.browser.journeys import (
    ASKS_CARRIER,
    ASKS_COMMUNE,
    ASKS_CONTACT,
    ASKS_NAME,
    ASKS_NEEDS,
    ASKS_STAGE,
    ASKS_THEMES,
    ASKS_WHEN,
    OFFERS_CALLBACK,
    OFFERS_SELF_ASSESSMENT,
    RECAP,
    to_the_idea,
)
from tests.browser.server import WebServer

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
SVG = '"><svg onload=alert(3)>'
IDEA = f"Une recyclerie {IMG} {SCRIPT} {SVG} pour réparer des objets"
NAME = "<img src=x onerror=alert(4)>"

INJECTED = """() => document.querySelectorAll(
    '#log img, #log script, #log svg, [onerror], [onload]').length"""


async def assert_shown_as_text(chat: Chat, *payloads: str) -> None:
    log = plain(await chat.log.inner_text())
    for payload in payloads:
        assert payload in log, f"« {payload} » not shown as typed"
    assert await chat.page.evaluate(INJECTED) == 0, "an element came out of the citizen's text"


async def test_html_and_script_typed_by_a_citizen_come_out_as_text(chat: Chat) -> None:
    await to_the_idea(chat)
    await chat.send(IDEA, expect=ASKS_THEMES)
    await assert_shown_as_text(chat, IDEA)
    await chat.send(SVG, expect=ASKS_THEMES)  # not a theme: said so, the question asked again
    await assert_shown_as_text(chat, SVG)
    await chat.press("Valider", expect=ASKS_COMMUNE)
    await chat.send("Arras", expect=ASKS_CARRIER)
    await chat.press("Une association", expect=ASKS_STAGE)
    await chat.press("Ça prend forme", expect=ASKS_NEEDS)
    await chat.toggle("Un local")
    await chat.press("Valider", expect=OFFERS_SELF_ASSESSMENT)
    await chat.press("Non", expect=OFFERS_CALLBACK)
    await chat.press("Oui", expect=ASKS_NAME)
    await chat.send(NAME, expect=ASKS_CONTACT)
    await chat.send("camille@example.org", expect=ASKS_WHEN)
    recap = await chat.press("Le matin", expect=RECAP)
    assert IDEA in recap and f"Prénom : {NAME}" in recap, recap
    await assert_shown_as_text(chat, IDEA, NAME, f"Prénom : {NAME}")
    # The page itself is not changed: no script ran (the watch checks that no dialog opened).
    assert await chat.page.title() == "Comptoir — orienter votre idée"


async def open_socket(server: WebServer, headers: dict[str, str]) -> int:
    """The HTTP status of an upgrade to /ws with these headers (101 when it is accepted)."""
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(server.ws_url, headers=headers) as ws:
                await ws.send_json({"type": "hello", "last": 0})
                ready = await ws.receive_json(timeout=10)
                assert ready["type"] == "ready"
                return 101
        except aiohttp.WSServerHandshakeError as error:
            return error.status


async def test_a_foreign_origin_is_refused_on_the_socket_while_the_page_s_own_works(
    chat: Chat, server: WebServer
) -> None:
    assert await open_socket(server, {"Origin": "https://evil.example"}) == 403
    assert await open_socket(server, {"Origin": "http://127.0.0.1.evil.example"}) == 403
    assert await open_socket(server, {"Origin": server.origin}) == 101
    assert await open_socket(server, {}) == 101  # not a browser: nothing to protect
    await to_the_idea(chat)  # the page's own socket, from its own origin, works


async def test_an_oversized_message_gets_a_clear_refusal_and_the_socket_survives(
    chat: Chat,
) -> None:
    await to_the_idea(chat)
    await chat.input.fill("Une recyclerie. " * 6250)  # 100 000 characters pasted
    kept = (await chat.input.input_value()).strip()  # what the field took of them
    await chat.input.press("Enter")
    notice = chat.notices.last
    await notice.wait_for()
    assert "trop long" in await notice.inner_text(), await notice.inner_text()
    await expect(notice).to_be_in_viewport(ratio=1)
    refused = chat.page.locator("#log li.msg.citizen.refused").last
    assert "Non envoyé" in await refused.inner_text()
    assert await chat.input.input_value() == kept  # given back, to be shortened
    said = await chat.send("Une recyclerie pour réparer des objets", expect=ASKS_THEMES)
    assert "Réemploi" in said  # the same socket answers the next message
    await chat.press("Valider", expect=ASKS_COMMUNE)
