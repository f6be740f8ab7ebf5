"""The citizen's journeys the browser tests walk, written once against the `Chat` driver."""

from __future__ import annotations

from tests.browser.chat import REFERENCE, Chat

IDEA = "On veut ouvrir une recyclerie pour réparer et revendre des objets"
ASKS_CONSENT = "Êtes-vous d'accord"
ASKS_IDEA = "Racontez-moi votre idée"
ASKS_THEMES = "Quels thèmes correspondent"
ASKS_COMMUNE = "Dans quelle commune se trouve votre projet"
ASKS_WHICH = "Plusieurs communes correspondent"
ASKS_CARRIER = "Qui porte le projet"
ASKS_STAGE = "Où en est votre projet"
ASKS_NEEDS = "De quoi avez-vous besoin"
ASKS_AMOUNT = "De quel montant"
OFFERS_SELF_ASSESSMENT = "une proposition facultative"
OFFERS_CALLBACK = "Voulez-vous qu'un conseiller vous recontacte"
ASKS_NAME = "Quel est votre prénom"
ASKS_CONTACT = "Votre e-mail ou votre numéro de téléphone"
ASKS_WHEN = "À quel moment préférez-vous"
RECAP = "Voici le récapitulatif"
FILED = "C'est transmis"


async def to_the_idea(chat: Chat) -> None:
    """From the welcome (already shown) to the idea question: consent given."""
    await chat.press("Oui, d'accord", expect=ASKS_IDEA)


async def to_the_commune(chat: Chat, idea: str = IDEA) -> None:
    """From the welcome to the commune question, themes as detected."""
    await to_the_idea(chat)
    await chat.send(idea, expect=ASKS_THEMES)
    await chat.press("Valider", expect=ASKS_COMMUNE)


async def to_the_results(chat: Chat, commune: str = "Arras") -> str:
    """From the welcome to the call-back offer after the results: what the results said."""
    await to_the_commune(chat)
    await chat.send(commune, expect=ASKS_CARRIER)
    await chat.press("Une association", expect=ASKS_STAGE)
    await chat.press("Ça prend forme", expect=ASKS_NEEDS)
    return await from_the_needs_to_the_results(chat)


async def from_the_needs_to_the_results(chat: Chat) -> str:
    """From the needs question to the call-back offer: what the results said."""
    assert await chat.toggle("Un financement") is True
    await chat.press("Valider", expect=ASKS_AMOUNT)
    await chat.send("15 000 €", expect=OFFERS_SELF_ASSESSMENT)
    return await chat.press("Non", expect=OFFERS_CALLBACK)


async def to_the_recap(chat: Chat, name: str = "Camille") -> str:
    """From the call-back offer to the recap: what the recap said."""
    await chat.press("Oui", expect=ASKS_NAME)
    await chat.send(name, expect=ASKS_CONTACT)
    await chat.send("camille@example.org", expect=ASKS_WHEN)
    return await chat.press("Le matin", expect=RECAP)


async def file(chat: Chat) -> str:
    """Confirm the recap: the filing reference the page shows."""
    said = await chat.press("Confirmer", expect=FILED)
    assert REFERENCE.search(said), said
    reference = chat.page.locator("#log li.msg.bot .text strong.reference").last
    await reference.wait_for()
    shown = await reference.inner_text()
    assert REFERENCE.fullmatch(shown), shown
    return shown


async def file_a_lead(chat: Chat, idea: str = IDEA, name: str = "Sam") -> str:
    """The whole journey in Arras to a filed pre-application, with a call-back: its reference."""
    await to_the_commune(chat, idea)
    await chat.send("Arras", expect=ASKS_CARRIER)
    await chat.press("Une association", expect=ASKS_STAGE)
    await chat.press("Ça prend forme", expect=ASKS_NEEDS)
    await from_the_needs_to_the_results(chat)
    await to_the_recap(chat, name=name)
    filed = await chat.press("Confirmer", expect=FILED)
    found = REFERENCE.search(filed)
    assert found, filed
    return found.group(0)
