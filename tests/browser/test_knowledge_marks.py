"""In the web chat a card says what is not verified: facts « à vérifier », an unofficial link."""

from __future__ import annotations

from tests.browser.chat import Chat
from tests.browser.journeys import (
    ASKS_CARRIER,
    ASKS_COMMUNE,
    ASKS_NEEDS,
    ASKS_STAGE,
    ASKS_THEMES,
    from_the_needs_to_the_results,
    to_the_idea,
)

ALERT_APP = (
    "Une application qui alerte des bénévoles formés quand quelqu'un fait un arrêt cardiaque"
)


async def test_a_moselle_card_reads_its_unverified_facts_and_its_unofficial_link(
    chat: Chat,
) -> None:
    await to_the_idea(chat)
    await chat.send(ALERT_APP, expect=ASKS_THEMES)
    await chat.press("Valider", expect=ASKS_COMMUNE)
    await chat.send("Metz", expect=ASKS_CARRIER)
    await chat.press("Une association", expect=ASKS_STAGE)
    await chat.press("Ça prend forme", expect=ASKS_NEEDS)
    await from_the_needs_to_the_results(chat)
    card = chat.page.locator("#log li.msg.bot", has_text="Innovation sociale en Moselle").first
    text = await card.inner_text()
    # a broad call: the theme is a check, never a near miss (a health app was a laureate)
    assert "vérifiez que votre projet y entre" in text
    assert "Pas de page officielle connue, voir\u00a0:" in text
    link = card.locator("a[href^='https://essor-grandest.org/']")
    assert await link.count() == 1
    garantie = chat.page.locator("#log li.msg.bot", has_text="Garantie France Active").first
    said = await garantie.inner_text()
    assert "Une garantie ne verse pas d'argent" in said and "(à vérifier)" in said
    await card.scroll_into_view_if_needed()
    await chat.screenshot("results-unverified-card")
