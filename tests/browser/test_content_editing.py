"""A staff member edits a scheme in the browser and publishes; the next conversation sees it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.core.content import SHIPPED_DIALOGS
from tests.browser.chat import OpenChat
from tests.browser.desk import OpenDesk, setup_link
from tests.browser.journeys import (
    ASKS_CARRIER,
    ASKS_NEEDS,
    ASKS_STAGE,
    OFFERS_CALLBACK,
    from_the_needs_to_the_results,
    to_the_commune,
)
from tests.browser.server import FAST_PACE, WebServer, serving

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
OLD_NAME = "Budget citoyen du Pas-de-Calais"
NEW_NAME = "Budget citoyen du Pas-de-Calais, fiche revue"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WebServer]:
    """A server whose content folders are copies this module may edit."""
    folder = tmp_path_factory.mktemp("content")
    knowledge = folder / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge, ignore=shutil.ignore_patterns("geo"))
    (knowledge / "geo").symlink_to(KNOWLEDGE / "geo")
    shutil.copytree(SHIPPED_DIALOGS, folder / "dialogs")
    env = {
        **FAST_PACE,
        "COMPTOIR_KNOWLEDGE_DIR": str(knowledge),
        "COMPTOIR_DIALOGS_DIR": str(folder / "dialogs"),
    }
    async with serving(folder, **env) as running:
        yield running


async def test_a_published_edit_reaches_the_next_conversation_and_an_earlier_one_finishes(
    server: WebServer, open_desk: OpenDesk, open_chat: OpenChat
) -> None:
    earlier = await open_chat()
    await to_the_commune(earlier)
    await earlier.send("Arras", expect=ASKS_CARRIER)

    desk = await open_desk()
    await desk.create_first_staff(setup_link(server), "Claire Dupont", "claire@example.org")
    await desk.open("/conseillers/contenu")
    await desk.page.get_by_label("Rechercher une fiche").fill("budget citoyen pas-de-calais")
    await desk.page.get_by_role("button", name="Rechercher").click()
    await desk.page.get_by_role("link", name=OLD_NAME, exact=True).click()
    await desk.page.get_by_label("Nom (obligatoire)", exact=True).fill(NEW_NAME)
    await desk.screenshot("staff-content-record", full=False)
    await desk.page.get_by_role("button", name="Enregistrer la fiche").click()
    assert "Fiche enregistrée" in await desk.notice()

    await desk.open("/conseillers/contenu")
    await desk.expect_text("1 modification enregistrée")
    await desk.screenshot("staff-content-list", full=False)
    await desk.page.get_by_role("button", name="Publier le contenu").click()
    assert "Contenu publié (version 1)" in await desk.notice()
    await desk.open("/conseillers/contenu/historique")
    await desk.page.get_by_text("Voir les différences").first.click()
    await desk.expect_text(f'+name: "{NEW_NAME}"')
    await desk.screenshot("staff-content-history")

    following = await open_chat()
    await to_the_commune(following)
    await following.send("Arras", expect=ASKS_CARRIER)
    await following.press("Une association", expect=ASKS_STAGE)
    await following.press("Ça prend forme", expect=ASKS_NEEDS)
    said = await from_the_needs_to_the_results(following)
    assert NEW_NAME in said

    await earlier.press("Une association", expect=ASKS_STAGE)
    await earlier.press("Ça prend forme", expect=ASKS_NEEDS)
    finished = await from_the_needs_to_the_results(earlier)
    assert OFFERS_CALLBACK in finished
