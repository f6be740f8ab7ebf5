"""A Telegram citizen and a dashboard advisor: the message reaches Telegram, the answer the page."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser

from tests.browser.chat import REFERENCE
from tests.browser.desk import Desk, advisor_account, first_staff
from tests.browser.server import WebServer
from tests.browser.watch import Watch
from tests.fakes.telegram import FakeTelegram
from tests.serve import TOKEN, Server
from tests.telegram_stack import TelegramCitizen

ARRAS = "pas-de-calais-comptoirs-initiatives-citoyennes"
SAM = 5301


async def test_a_telegram_citizen_reads_the_advisors_message_and_answers_it(
    browser: Browser, tmp_path: Path
) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        server = await Server.start(fake, tmp_path, per_chat_interval=0.02)
        web = WebServer(server)
        context = await browser.new_context(locale="fr-FR")
        watch = Watch(web, chat=False)
        try:
            staff = await first_staff(web, "claire@example.org")
            camille = await advisor_account(
                staff, web.url, "Camille Martin", "camille@example.org", ARRAS
            )
            await staff.close()
            await camille.close()
            citizen = TelegramCitizen(fake, SAM)
            await citizen.qualify_arras()
            await citizen.call_me_back("Sam", "sam@example.org", "Le matin")
            found = REFERENCE.search(await citizen.press("Confirmer"))
            assert found, fake.texts(SAM)
            reference = found.group(0)

            await watch.attach(context)
            page = await context.new_page()
            watch.attach_page(page)
            desk = Desk(page, web.url)
            await desk.sign_in("camille@example.org")
            await desk.until_listed(reference)
            await desk.open(f"/conseillers/demandes/{reference}")
            await desk.press("Je prends")
            await desk.expect_text("Pris en charge par Camille")
            await desk.write("Bonjour Sam, pouvez-vous passer jeudi ?")
            await desk.expect_text("Message transmis à la personne")
            await fake.wait_for(
                lambda: any("pouvez-vous passer jeudi" in t for t in fake.texts(SAM)), timeout=20
            )
            told = next(t for t in fake.texts(SAM) if "pouvez-vous passer jeudi" in t)
            assert "Camille" in told and "camille@example.org" not in told
            await citizen.say("Oui, jeudi à 10 h")
            for _ in range(100):
                await page.reload()
                if "jeudi à 10 h" in await desk.timeline():
                    break
                await page.wait_for_timeout(100)
            assert "message de la personne" in await desk.timeline()
            assert "Oui, jeudi à 10 h" in await desk.timeline()
        finally:
            await context.close()
            code, _ = await server.stop()
            assert code == 0, server.output()
        watch.check()
