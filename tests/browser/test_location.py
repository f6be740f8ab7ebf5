"""The commune answered by the browser's position, once the citizen presses the button."""

from __future__ import annotations

from tests.browser.chat import OpenChat
from tests.browser.journeys import ASKS_CARRIER, ASKS_COMMUNE, ASKS_THEMES, IDEA, to_the_idea

ARRAS = {"latitude": 50.2910, "longitude": 2.7775}


async def test_the_commune_is_answered_by_the_shared_position(open_chat: OpenChat) -> None:
    chat = await open_chat(width=375, height=740, geolocation=ARRAS)
    share = chat.page.locator("#share-location")
    await to_the_idea(chat)
    assert await share.is_hidden()
    await chat.send(IDEA, expect=ASKS_THEMES)
    await chat.press("Valider", expect=ASKS_COMMUNE)
    await share.wait_for()
    assert await share.get_attribute("type") == "button"
    assert (await share.inner_text()).strip() == "Partager ma position"
    await chat.screenshot("375-commune-location")
    seq = await chat.newest_seq()
    await share.click()
    said = await chat.wait_reply(seq, ASKS_CARRIER)
    assert "Arras (62)" in said, said
    assert await share.is_hidden()
