"""What a screen reader, a small screen and weak eyesight need from the chat page."""

from __future__ import annotations

import re

from playwright.async_api import Locator

from tests.browser.chat import Chat, OpenChat
from tests.browser.journeys import (
    ASKS_CARRIER,
    ASKS_COMMUNE,
    ASKS_NEEDS,
    ASKS_STAGE,
    ASKS_THEMES,
    IDEA,
    from_the_needs_to_the_results,
    to_the_commune,
    to_the_idea,
)

AA = 4.5

# The WCAG 2 contrast ratio of an element's text on what is painted behind it: colours read from
# the computed styles (any CSS colour syntax, through a canvas), backgrounds composed up the tree.
CONTRAST = """(element) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const paint = canvas.getContext('2d', {willReadFrequently: true});
    const rgba = (css) => {
        paint.clearRect(0, 0, 1, 1);
        paint.fillStyle = css;
        paint.fillRect(0, 0, 1, 1);
        const [r, g, b, a] = paint.getImageData(0, 0, 1, 1).data;
        return [r, g, b, a / 255];
    };
    const over = ([r, g, b, a], [R, G, B]) => [r * a + R * (1 - a), g * a + G * (1 - a),
                                              b * a + B * (1 - a)];
    const layers = [];
    const images = [];
    for (let node = element; node; node = node.parentElement) {
        const style = getComputedStyle(node);
        if (style.backgroundImage !== 'none') images.push(node.tagName);
        const colour = rgba(style.backgroundColor);
        if (colour[3] > 0) layers.push(colour);
        if (colour[3] === 1) break;
    }
    let ground = [255, 255, 255];
    for (const layer of layers.reverse()) ground = over(layer, ground);
    const ink = over(rgba(getComputedStyle(element).color), ground);
    const luminance = (rgb) => {
        const [r, g, b] = rgb.map((v) => {
            const c = v / 255;
            return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [light, dark] = [luminance(ink), luminance(ground)].sort((x, y) => y - x);
    return {ratio: (light + 0.05) / (dark + 0.05), images,
            ink: ink.map(Math.round), ground: ground.map(Math.round)};
}"""

SETTLED = "(element) => element.getAnimations().every((a) => a.playState !== 'running')"


async def test_the_log_the_input_and_the_buttons_speak_to_screen_readers(chat: Chat) -> None:
    page = chat.page
    assert await page.locator("html").get_attribute("lang") == "fr"
    log = page.locator("main#chat > ol#log")
    assert await log.get_attribute("role") == "log"
    assert await log.get_attribute("aria-live") == "polite"
    assert await log.get_attribute("aria-label") == "Conversation"
    assert await page.locator("#status").get_attribute("role") == "status"
    assert await page.get_by_label("Votre message").get_attribute("id") == "input"
    assert await page.get_by_role("button", name="Envoyer").get_attribute("id") == "send"

    await to_the_commune(chat)
    # The commune question: the input is a combobox over a listbox of suggestions.
    attributes = {
        name: await chat.input.get_attribute(name)
        for name in ("role", "aria-autocomplete", "aria-controls", "aria-expanded")
    }
    assert attributes == {
        "role": "combobox",
        "aria-autocomplete": "list",
        "aria-controls": "suggestions",
        "aria-expanded": "false",
    }
    await chat.suggest("Arr")
    assert await chat.input.get_attribute("aria-expanded") == "true"
    assert await page.locator("#suggestions").get_attribute("role") == "listbox"
    ids = [await option.get_attribute("id") for option in await page.get_by_role("option").all()]
    assert ids and all(re.fullmatch(r"sug-\d+", i or "") for i in ids), ids
    await chat.pick_suggestion("Arr", "Arras (62)", expect=ASKS_CARRIER)
    assert await chat.input.get_attribute("role") is None  # a plain textbox again

    buttons = await page.locator("button").all()
    assert len(buttons) > 10
    for button in buttons:
        if await button.is_visible():
            name = await button.evaluate("(b) => b.textContent.trim() || b.ariaLabel || ''")
            assert name, await button.evaluate("(b) => b.outerHTML")
            assert await button.get_attribute("type") in {"button", "submit"}
    group = page.locator("#log li.msg.bot .buttons").last
    assert await group.get_attribute("role") == "group"


# Where the newest message stands in the log's visible area, and what covers it if anything.
NEWEST_IN_VIEW = """() => {
    const log = document.getElementById('log').getBoundingClientRect();
    const composer = document.getElementById('composer').getBoundingClientRect();
    const items = document.querySelectorAll('#log li.msg');
    const li = items[items.length - 1];
    const r = li.getBoundingClientRect();
    const tall = r.height > log.height - 2;
    const shownBottom = Math.min(r.bottom, log.bottom);
    const top = document.elementFromPoint(r.left + Math.min(20, r.width / 2), shownBottom - 4);
    return {
        logAboveComposer: log.bottom <= composer.top + 1,
        tall,
        whole: r.top >= log.top - 1 && r.bottom <= log.bottom + 1,
        fromItsStart: r.top >= log.top - 1 && r.top <= log.top + 48,
        covered: top && !li.contains(top) ? top.outerHTML.slice(0, 120) : null,
        box: [r.top, r.bottom], log: [log.top, log.bottom],
    };
}"""


async def assert_newest_message_in_view(chat: Chat) -> None:
    """The newest message is in the log's visible area above the composer, covered by nothing.

    A message taller than that area is shown from its start (its question, its first answers).
    """
    seen = await chat.page.evaluate(NEWEST_IN_VIEW)
    assert seen["logAboveComposer"], f"the conversation goes under the composer: {seen}"
    if seen["tall"]:
        assert seen["fromItsStart"], f"a tall newest message is not shown from its start: {seen}"
    else:
        assert seen["whole"], f"the newest message is not wholly in view: {seen}"
    assert seen["covered"] is None, f"the newest message is covered by {seen['covered']}"


async def test_the_newest_message_is_always_shown_above_the_composer(
    open_chat: OpenChat,
) -> None:
    chat = await open_chat(width=375, height=667)
    await assert_newest_message_in_view(chat)
    await to_the_idea(chat)
    await assert_newest_message_in_view(chat)
    await chat.send(IDEA, expect=ASKS_THEMES)  # a long list of options
    await assert_newest_message_in_view(chat)
    await chat.toggle("Alimentation")
    await assert_newest_message_in_view(chat)
    await chat.press("Valider", expect=ASKS_COMMUNE)
    await assert_newest_message_in_view(chat)  # the dock grew: a « share my position » button
    await chat.send("Arras", expect=ASKS_CARRIER)
    await assert_newest_message_in_view(chat)
    await chat.press("Une association", expect=ASKS_STAGE)
    await chat.press("Ça prend forme", expect=ASKS_NEEDS)
    await from_the_needs_to_the_results(chat)  # a long result, then the call-back offer
    await assert_newest_message_in_view(chat)
    await chat.send("Un message assez long pour occuper plusieurs lignes du téléphone " * 4)
    await assert_newest_message_in_view(chat)


async def contrast(button: Locator) -> dict[str, object]:
    await button.page.wait_for_function(SETTLED, arg=await button.element_handle())
    measured: dict[str, object] = await button.evaluate(CONTRAST)
    return measured


async def assert_readable(button: Locator, state: str) -> None:
    measured = await contrast(button)
    label = (await button.inner_text()).strip()
    assert not measured["images"], f"« {label} » {state}: a background image, cannot judge"
    ratio = measured["ratio"]
    assert isinstance(ratio, float | int)
    assert ratio >= AA, f"« {label} » {state}: contrast {ratio:.2f} < {AA} ({measured})"


async def test_text_on_buttons_is_readable_in_every_state(chat: Chat) -> None:
    page = chat.page
    await to_the_idea(chat)
    await chat.send(IDEA, expect=ASKS_THEMES)
    buttons = page.locator("#log li.msg.bot .buttons").last.locator("button")
    ticked = buttons.and_(page.locator("[aria-pressed=true]")).first
    unticked = buttons.and_(page.locator("[aria-pressed=false]")).first
    validate = buttons.filter(has_text="Valider").last
    controls = [ticked, unticked, validate, page.locator("#send")]

    await page.mouse.move(1, 1)
    for button in await buttons.all():
        await assert_readable(button, "at rest")
    await assert_readable(page.locator("#send"), "at rest")
    for button in controls:
        await button.hover()
        await assert_readable(button, "under the mouse")
    await page.mouse.move(1, 1)
    for button in controls[:3]:
        await chat.tab_to((await button.inner_text()).strip())
        await assert_readable(button, "with the keyboard focus")
        await button.hover()
        await assert_readable(button, "focused and under the mouse")
        await page.mouse.move(1, 1)
    for disabled in await page.locator("#log li.msg.bot .buttons button:disabled").all():
        await assert_readable(disabled, "of an older question")  # still read back by people
