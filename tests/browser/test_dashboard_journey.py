"""A citizen files in the web chat; an advisor takes the lead on the dashboard and writes back."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.chat import REFERENCE, OpenChat
from tests.browser.desk import ARRAS_COUNTER, OpenDesk, setup_link
from tests.browser.journeys import FILED, to_the_recap, to_the_results
from tests.browser.server import WebServer


async def test_an_advisor_takes_notes_and_writes_and_the_citizen_answers(
    server: WebServer, open_chat: OpenChat, open_desk: OpenDesk
) -> None:
    staff = await open_desk()
    await staff.create_first_staff(setup_link(server), "Claire Dupont", "claire@example.org")
    await staff.expect_text("Bienvenue Claire")
    await staff.screenshot("dashboard-empty-list")
    link = await staff.invite("Camille Martin", "camille@example.org", ARRAS_COUNTER)
    await staff.screenshot("dashboard-team")

    camille = await open_desk()
    await camille.accept(link)
    await camille.expect_text("votre mot de passe est enregistré")

    citizen = await open_chat()
    await to_the_results(citizen)
    await to_the_recap(citizen, name="Sam")
    filed = await citizen.press("Confirmer", expect=FILED)
    found = REFERENCE.search(filed)
    assert found, filed
    reference = found.group(0)

    await camille.until_listed(reference)
    await camille.screenshot("dashboard-list")
    await camille.find("recyclerie")
    await camille.expect_text(f"Demande {reference}")
    await camille.expect_text("visibles dès la prise en charge")
    await camille.press("Je prends")
    await camille.expect_text("Pris en charge par Camille")
    await camille.expect_text("camille@example.org")  # the contact, now that it is taken
    await camille.note("Appel prévu jeudi matin.")
    await camille.expect_text("note de Camille")
    await camille.write("Bonjour Sam, je vous appelle jeudi à 10 h ?")
    await camille.expect_text("Message transmis à la personne")

    said = await citizen.wait_reply(0, containing="je vous appelle jeudi")
    assert "Camille" in said
    await citizen.send("Oui, jeudi 10 h me va très bien")
    await citizen.screenshot("dashboard-relay-in-the-chat")

    for _ in range(50):  # the answer reaches the timeline through the outbox
        await camille.page.reload()
        if "jeudi 10 h me va" in await camille.timeline():
            break
        await camille.page.wait_for_timeout(100)
    timeline = await camille.timeline()
    assert "message de Camille à la personne" in timeline
    assert "Bonjour Sam, je vous appelle jeudi" in timeline
    assert "message de la personne" in timeline and "jeudi 10 h me va très bien" in timeline
    await camille.screenshot("dashboard-lead")

    await staff.open()  # the staff see it too, and the same events
    await staff.find(reference)
    await expect(staff.page.locator(".timeline")).to_contain_text("prise en charge par Camille")
