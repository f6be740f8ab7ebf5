"""The chat with the keyboard only: Tab, Shift+Tab, Enter, Space and the arrows."""

from __future__ import annotations

from tests.browser.chat import Chat, OpenChat
from tests.browser.journeys import (
    ASKS_CARRIER,
    ASKS_COMMUNE,
    ASKS_IDEA,
    ASKS_NEEDS,
    ASKS_STAGE,
    ASKS_THEMES,
    IDEA,
)

FOCUS_RING = """() => {
    const style = getComputedStyle(document.activeElement);
    return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
}"""


async def key(chat: Chat, name: str, expect: str | None = None) -> str:
    """Press a key; with `expect`, the bot's reply that says it."""
    seq = await chat.newest_seq()
    await chat.page.keyboard.press(name)
    return await chat.wait_reply(seq, expect) if expect else ""


async def assert_focus_on(chat: Chat, *, button: str | None = None, input: bool = False) -> None:
    focused = await chat.focused()
    assert focused is not None
    if input:
        assert focused["id"] == "input", f"focus on {focused}, not on the input"
    else:
        assert focused["tag"] == "button" and focused["text"].startswith(button or ""), focused
    assert await chat.page.evaluate(FOCUS_RING), f"no visible focus on {focused}"


async def test_a_citizen_answers_with_the_keyboard_only(chat: Chat) -> None:
    page = chat.page
    # The welcome question has the focus on its first button: Enter answers it.
    await assert_focus_on(chat, button="Oui, d'accord")
    await key(chat, "Enter", expect=ASKS_IDEA)

    # A question without buttons puts the focus in the input: type, Enter sends.
    await assert_focus_on(chat, input=True)
    await page.keyboard.type(IDEA)
    await key(chat, "Enter", expect=ASKS_THEMES)

    # A multiple choice: Tab to an option, Space ticks it, Space again unticks it, Shift+Tab
    # goes back; Tab to « Valider » and Enter.
    await assert_focus_on(chat, button="Réemploi")
    await chat.tab_to("Alimentation")
    await page.keyboard.press("Space")
    await chat.page.locator("#log button[aria-pressed=true]", has_text="Alimentation").wait_for()
    await assert_focus_on(chat, button="Alimentation")
    await page.keyboard.press("Space")
    await chat.page.locator("#log button[aria-pressed=false]", has_text="Alimentation").wait_for()
    await page.keyboard.press("Shift+Tab")
    await assert_focus_on(chat, button="Réemploi")
    await chat.tab_to("Valider")
    await key(chat, "Enter", expect=ASKS_COMMUNE)

    # The commune: type its start, ArrowDown through the suggestions, Enter picks one.
    await assert_focus_on(chat, input=True)
    await page.keyboard.type("Boulogne-sur")
    await chat.suggestions.first.wait_for()
    assert await chat.input.get_attribute("aria-expanded") == "true"
    for _ in range(8):
        await page.keyboard.press("ArrowDown")
        if await chat.active_suggestion() == "Boulogne-sur-Mer (62)":
            break
    assert await chat.active_suggestion() == "Boulogne-sur-Mer (62)"
    said = await key(chat, "Enter", expect=ASKS_CARRIER)
    assert "Boulogne-sur-Mer (62)" in said

    # Buttons again: Tab forward and Enter, then Space on the focused first button.
    await assert_focus_on(chat, button="Moi, à titre personnel")
    await chat.tab_to("Une association")
    await key(chat, "Enter", expect=ASKS_STAGE)
    await assert_focus_on(chat, button="Juste une idée")
    await key(chat, "Space", expect=ASKS_NEEDS)
    citizen = chat.page.locator("#log li.msg.citizen").last
    assert (await citizen.inner_text()).strip() == "Juste une idée"


FOCUS_IN_SIGHT = """() => {
    const focused = document.activeElement;
    if (!focused || focused === document.body) return 'nothing has the focus';
    const r = focused.getBoundingClientRect();
    const log = document.getElementById('log');
    const area = log.contains(focused) ? log.getBoundingClientRect()
        : {top: 0, bottom: window.innerHeight};
    return r.top >= area.top - 1 && r.bottom <= area.bottom + 1 ? ''
        : `« ${focused.textContent.trim()} » has the focus out of sight`;
}"""


async def test_the_focus_given_to_a_new_question_is_in_sight_on_a_phone(
    open_chat: OpenChat,
) -> None:
    chat = await open_chat(width=375, height=740)
    assert await chat.page.evaluate(FOCUS_IN_SIGHT) == ""  # the welcome's first button
    await key(chat, "Enter", expect=ASKS_IDEA)
    await chat.page.keyboard.type(IDEA)
    await key(chat, "Enter", expect=ASKS_THEMES)  # a question taller than the screen
    assert await chat.page.evaluate(FOCUS_IN_SIGHT) == ""
    await chat.tab_to("Valider")
    await key(chat, "Enter", expect=ASKS_COMMUNE)
    await chat.page.keyboard.type("Arras")
    await chat.page.keyboard.press("Escape")
    await key(chat, "Enter", expect=ASKS_CARRIER)
    assert await chat.page.evaluate(FOCUS_IN_SIGHT) == ""
