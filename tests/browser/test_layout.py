"""What a phone shows: a one-line composer, the option pressed in sight, nothing said twice."""

from __future__ import annotations

from tests.browser.chat import Chat, OpenChat
from tests.browser.journeys import (
    ASKS_CARRIER,
    ASKS_COMMUNE,
    ASKS_THEMES,
    IDEA,
    to_the_idea,
    to_the_recap,
    to_the_results,
)

IN_VIEW = """(element) => {
    const r = element.getBoundingClientRect();
    const log = document.getElementById('log').getBoundingClientRect();
    return r.top >= log.top - 1 && r.bottom <= log.bottom + 1;
}"""


async def composer_height(chat: Chat) -> float:
    box = await chat.input.bounding_box()
    assert box is not None
    return box["height"]


async def assert_one_line(chat: Chat, one_line: float, where: str) -> None:
    assert await chat.input.input_value() == ""
    height = await composer_height(chat)
    assert abs(height - one_line) <= 2, f"the empty composer grew {where}: {height} px"
    fits = await chat.input.evaluate("(i) => i.scrollHeight <= i.clientHeight + 1")
    assert fits, f"the composer's placeholder does not fit on its line {where}"


async def test_the_empty_composer_keeps_one_line_at_every_question_on_a_phone(
    open_chat: OpenChat,
) -> None:
    chat = await open_chat(width=375, height=740)
    await to_the_idea(chat)
    one_line = await composer_height(chat)
    await chat.send(IDEA, expect=ASKS_THEMES)
    await assert_one_line(chat, one_line, "after the idea")
    await chat.press("Valider", expect=ASKS_COMMUNE)
    await assert_one_line(chat, one_line, "at the commune question")
    await chat.send("Arras", expect=ASKS_CARRIER)
    await assert_one_line(chat, one_line, "after the commune")


async def test_an_option_ticked_on_a_phone_stays_in_sight(open_chat: OpenChat) -> None:
    chat = await open_chat(width=375, height=740)
    await to_the_idea(chat)
    await chat.send(IDEA, expect=ASKS_THEMES)
    option = chat.button("Alimentation")
    await option.scroll_into_view_if_needed()
    assert await option.evaluate(IN_VIEW)
    assert await chat.toggle("Alimentation") is True
    assert await chat.button("Alimentation").evaluate(IN_VIEW), (
        "ticking an option scrolled it out of sight: its new state cannot be seen"
    )


async def test_a_counter_s_card_names_the_counter_once(chat: Chat) -> None:
    await to_the_results(chat)
    card = chat.page.locator("#log li.msg.bot:has(.place)").first
    name = (await card.locator(".place .name").inner_text()).strip()
    text = (
        (await card.locator(".text").inner_text()).strip()
        if await card.locator(".text").count()
        else ""
    )
    assert text != name, f"« {name} » is written twice: above its card and in it"


async def test_french_typography_keeps_a_colon_or_a_question_mark_with_its_word(
    open_chat: OpenChat,
) -> None:
    chat = await open_chat(width=320, height=640)
    await to_the_results(chat)
    await to_the_recap(chat)
    shown = await chat.page.locator("#log li.msg.bot .text").last.inner_text()
    assert "Commune\u00a0: Arras" in shown
    assert "15\u202f000\u00a0€" in shown or "15\u202f000 €" in shown
    lines = [line.strip() for line in shown.splitlines()]
    assert not [line for line in lines if line[:1] in {":", "?", "!", ";", "»"}], lines
    assert "  " not in shown  # no terminal indent
