"""A citizen's whole journey in the web chat, to a filed pre-application, on a desk and a phone."""

from __future__ import annotations

from tests.browser.chat import Chat, OpenChat, label_pattern
from tests.browser.journeys import (
    ASKS_CARRIER,
    ASKS_COMMUNE,
    ASKS_CONSENT,
    ASKS_NAME,
    ASKS_NEEDS,
    ASKS_STAGE,
    ASKS_THEMES,
    ASKS_WHICH,
    IDEA,
    RECAP,
    file,
    from_the_needs_to_the_results,
    to_the_commune,
    to_the_idea,
    to_the_recap,
)

OSM = "https://www.openstreetmap.org/?mlat="

NO_HORIZONTAL_SCROLL = """() => document.documentElement.scrollWidth
    <= document.documentElement.clientWidth"""


async def shoot(chat: Chat, name: str | None, screen: str) -> None:
    if name is not None:
        await chat.screenshot(f"{name}-{screen}")


async def walk_to_a_filed_pre_application(chat: Chat, shots: str | None = None) -> None:
    """The whole journey, with every kind of answer, a back, a reload and an edit."""
    assert ASKS_CONSENT in await chat.question()
    await shoot(chat, shots, "1-welcome")
    await to_the_idea(chat)
    await chat.send(IDEA, expect=ASKS_THEMES)

    # A multiple choice: the detected theme comes ticked, another one can be ticked and unticked,
    # and the state is what aria-pressed says.
    assert await chat.button("Réemploi").get_attribute("aria-pressed") == "true"
    assert await chat.button("Alimentation").get_attribute("aria-pressed") == "false"
    assert await chat.toggle("Alimentation") is True
    ticked = chat.page.locator("#log li.msg.bot .buttons button[aria-pressed=true]")
    assert await ticked.count() == 2
    for label in await ticked.all_inner_texts():
        assert "✅" not in label, f"a second check mark in « {label} »: the CSS draws one"
    await chat.button("Réemploi").scroll_into_view_if_needed()  # the ticked ones in the picture
    await shoot(chat, shots, "2-multiple-choice")
    assert await chat.toggle("Alimentation") is False
    assert await chat.button("Réemploi").get_attribute("aria-pressed") == "true"
    await chat.press("Valider", expect=ASKS_COMMUNE)

    # A commune typed: suggestions as one types; the name is shared, the bot asks which one.
    offered = await chat.suggest("Boulogne")
    assert {"Boulogne-sur-Mer (62)", "Boulogne-Billancourt (92)"} <= set(offered), offered
    await shoot(chat, shots, "3-commune-suggestions")
    await chat.input.press("Escape")
    assert await chat.page.locator("#suggestions").is_hidden()
    seq = await chat.newest_seq()
    await chat.input.press("Enter")
    said = await chat.wait_reply(seq, ASKS_WHICH)
    assert "Boulogne-sur-Mer (62)" in said and "Boulogne-Billancourt (92)" in said
    said = await chat.press("Boulogne-sur-Mer (62)", expect=ASKS_CARRIER)
    assert "Boulogne-sur-Mer (62)" in said

    # Back: the commune is asked again, and a new answer replaces the first one.
    await chat.send("/retour", expect=ASKS_COMMUNE)
    said = await chat.send("Arras", expect=ASKS_CARRIER)
    assert "Arras (62)" in said
    await chat.press("Une association", expect=ASKS_STAGE)

    # A reload mid-way: the conversation is shown again, once, and goes on where it stood.
    before = await chat.transcript()
    await chat.reload()
    await chat.page.wait_for_function("() => document.getElementById('status').textContent === ''")
    assert await chat.transcript() == before
    seqs = await chat.seqs()
    assert len(seqs) == len(set(seqs)), seqs
    assert ASKS_STAGE in await chat.question()
    focused = await chat.focused()  # the current question's first answer, ready for the keyboard
    assert focused is not None and focused["text"] == "Juste une idée", focused
    await chat.press("Ça prend forme", expect=ASKS_NEEDS)

    await from_the_needs_to_the_results(chat)
    card = chat.page.locator("#log li.msg.bot .place").first
    await card.scroll_into_view_if_needed()
    assert await card.locator(".name").inner_text()
    map_link = card.locator("a.map")
    assert await map_link.inner_text() == "Voir sur la carte"
    assert (await map_link.get_attribute("href") or "").startswith(OSM)
    for link in await chat.page.locator("#log li.msg.bot .text a").all():
        assert await link.get_attribute("target") == "_blank"
        assert set((await link.get_attribute("rel") or "").split()) >= {"noopener", "noreferrer"}
    await shoot(chat, shots, "4-results-counter-card")

    # The recap, an edit from it, and the filing.
    recap = await to_the_recap(chat, name="Camille")
    assert "Commune : Arras (62)" in recap and "Prénom : Camille" in recap, recap
    assert "Boulogne" not in recap
    await chat.page.locator("#log li.msg.bot", has_text=RECAP).last.evaluate(
        "(li) => li.scrollIntoView({block: 'start'})"
    )  # the answers in the picture, not only the buttons under them
    await shoot(chat, shots, "5-recap")
    await chat.press("Modifier : Prénom", expect=ASKS_NAME)
    recap = await chat.send("Dominique", expect=RECAP)
    assert "Prénom : Dominique" in recap and "Camille" not in recap, recap
    await file(chat)
    await chat.page.locator("#log strong.reference").last.scroll_into_view_if_needed()
    await shoot(chat, shots, "6-filed")


async def test_a_citizen_files_a_pre_application_in_the_web_chat(chat: Chat) -> None:
    await walk_to_a_filed_pre_application(chat)


async def test_a_citizen_files_a_pre_application_on_a_375_px_phone(open_chat: OpenChat) -> None:
    chat = await open_chat(width=375, height=740)
    await walk_to_a_filed_pre_application(chat, shots="375")
    assert await chat.page.evaluate(NO_HORIZONTAL_SCROLL)


async def test_the_buttons_of_a_question_left_behind_can_no_longer_be_pressed(
    chat: Chat,
) -> None:
    await to_the_idea(chat)  # tapped, then a question without buttons
    assert await enabled(chat, "Oui, d'accord") == 0
    await chat.send(IDEA, expect=ASKS_THEMES)
    await chat.press("Valider", expect=ASKS_COMMUNE)
    assert await enabled(chat, "Valider") == 0
    await chat.send("Arras", expect=ASKS_CARRIER)
    await chat.send("/retour", expect=ASKS_COMMUNE)  # back to a question without buttons
    assert await enabled(chat, "Une association") == 0
    assert await chat.page.locator("#log li.msg.bot .buttons button:enabled").count() == 0


async def enabled(chat: Chat, label: str) -> int:
    """How many buttons labelled so can still be pressed."""
    buttons = chat.page.locator("#log li.msg.bot .buttons button:enabled")
    return await buttons.filter(has_text=label_pattern(label)).count()


async def composer_usable(chat: Chat) -> None:
    assert await chat.page.evaluate(NO_HORIZONTAL_SCROLL), "the page scrolls sideways"
    for control in ("#input", "#send"):
        box = await chat.page.locator(control).bounding_box()
        assert box is not None, f"{control} is not shown"
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, f"{control} overflows: {box}"
        assert box["y"] >= 0 and box["y"] + box["height"] <= 640, f"{control} off screen: {box}"


async def test_the_chat_is_usable_at_320_px(open_chat: OpenChat) -> None:
    chat = await open_chat(width=320, height=640)
    await composer_usable(chat)
    await to_the_commune(chat)
    await chat.suggest("Saint-Étienne")  # long names beside their postcodes
    await composer_usable(chat)
    box = await chat.page.locator("#suggestions").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, box
    await chat.input.press("Escape")
    await chat.send("Arras", expect=ASKS_CARRIER)
    await chat.press("Une association", expect=ASKS_STAGE)
    await chat.press("Ça prend forme", expect=ASKS_NEEDS)
    await from_the_needs_to_the_results(chat)  # long texts, links, a counter's card
    await composer_usable(chat)
    await chat.page.locator("#log .place").first.scroll_into_view_if_needed()
    await composer_usable(chat)
    await chat.screenshot("320-results")
