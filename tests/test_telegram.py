"""The real python-telegram-bot against the fake Bot API: polling, webhook, limits, faults."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import aiohttp
import pytest

from bot.web.app import WEBHOOK_PATH
from tests.telegram_stack import SECRET, TelegramCitizen, running


async def test_a_whole_qualification_in_polling_mode(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        citizen = TelegramCitizen(stack.fake, 1001)
        results = await citizen.qualify_arras()
        assert "Budget citoyen du Pas-de-Calais" in results
        assert "Comptoirs à initiatives citoyennes du Pas-de-Calais" in results
        venues = [m.venue for m in stack.fake.sent(1001) if m.kind == "venue"]
        assert venues and venues[0] is not None
        assert "Pas-de-Calais" in venues[0]["title"] and "Arras" in venues[0]["address"]
        await citizen.press("Oui")
        await citizen.say("Camille")
        await citizen.say("camille@example.org")
        await citizen.press("Le matin")
        said = await citizen.press("Confirmer")
        assert "CPT-2026-" in said
        assert stack.fake.violations == []
        assert stack.fake.unanswered_callbacks() == []
        assert {c.params.get("language_code") for c in stack.fake.calls_to("setMyCommands")} == {
            None,
            "en",
        }


async def test_location_sharing_and_answered_keyboards(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        citizen = TelegramCitizen(stack.fake, 1002)
        await citizen.say("/start")
        await citizen.press("Oui")
        said = await citizen.say("Un café associatif dans le bourg")
        await citizen.press("Valider")
        where = stack.fake.sent(1002)[-1]
        assert where.reply_markup and where.reply_markup.get("keyboard"), "a share-location button"
        before = len(stack.fake.sent(1002))
        stack.fake.user_location(1002, 50.2910, 2.7775)
        said = "\n".join(await citizen.settle(before))
        assert "Arras (62)" in said
        consent = stack.fake.sent(1002)[1]
        assert stack.fake.messages[1002][consent.message_id].buttons == []  # answered: gone


async def test_webhook_mode_checks_the_secret_and_converses(tmp_path: Path) -> None:
    async with running(tmp_path, webhook=True) as stack:
        async with aiohttp.ClientSession() as session:
            wrong = await session.post(
                stack.url + WEBHOOK_PATH,
                json={"update_id": 1},
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            )
            assert wrong.status == 403
        citizen = TelegramCitizen(stack.fake, 1003)
        results = await citizen.qualify_arras()
        assert "Budget citoyen du Pas-de-Calais" in results
        assert stack.fake.webhook_deliveries and all(d.ok for d in stack.fake.webhook_deliveries)
        assert stack.fake.violations == []
        assert stack.fake.calls_to("setWebhook")[0].params["secret_token"] == SECRET


async def test_a_webhook_update_delivered_twice_is_handled_once(tmp_path: Path) -> None:
    async with running(tmp_path, webhook=True) as stack:
        citizen = TelegramCitizen(stack.fake, 1004)
        await citizen.say("/start")
        update = stack.fake.user_message(1004, "/aide")
        await citizen.settle(1)
        count = len(stack.fake.sent(1004))
        async with aiohttp.ClientSession() as session:
            again = await session.post(
                stack.url + WEBHOOK_PATH,
                data=json.dumps(update),
                headers={
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                    "Content-Type": "application/json",
                },
            )
            assert again.status == 200
        await asyncio.sleep(0.5)
        assert len(stack.fake.sent(1004)) == count


async def test_under_20_percent_faults_every_reply_arrives_once_and_in_order(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as stack:
        clean = TelegramCitizen(stack.fake, 2001)
        await clean.qualify_arras()
        expected = stack.fake.texts(2001)
        stack.fake.fault_rate(0.2, statuses=(429, 500, 502), seed=7, retry_after=0)
        faulty = TelegramCitizen(stack.fake, 2002)
        await faulty.qualify_arras()
        await stack.fake.wait_for(lambda: len(stack.fake.texts(2002)) >= len(expected), timeout=30)
        await asyncio.sleep(1.0)
        stack.fake.fault_rate(0)
        assert stack.fake.texts(2002) == expected
        assert any(c.response_status in (429, 500, 502) for c in stack.fake.calls)
        assert stack.fake.violations == []


async def test_deep_link_campaign_my_data_and_forget(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        citizen = TelegramCitizen(stack.fake, 1005)
        await citizen.say("/start pas-de-calais")
        await citizen.press("Oui")
        await citizen.say("Une épicerie solidaire")
        await citizen.say("/mesdonnees")
        document = next(m for m in stack.fake.sent(1005) if m.kind == "document")
        assert document.document is not None
        exported = json.loads(document.document.content)["Vos données enregistrées par Comptoir"]
        conversation = exported["Votre conversation"]
        assert conversation["Arrivé(e) par le lien"] == "pas-de-calais"
        assert conversation["Vos réponses"]["Votre idée"] == "Une épicerie solidaire"
        assert "telegram" not in document.document.content.decode()  # no internals
        await citizen.say("/oublier")
        said = await citizen.press("Oui")
        assert "effacées" in said
        assert (await stack.storage.privacy.export("telegram:1005")).conversation is None


async def test_stickers_photos_edits_get_a_kind_answer_and_groups_are_ignored(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as stack:
        citizen = TelegramCitizen(stack.fake, 1006)
        await citizen.say("/start")
        before = len(stack.fake.sent(1006))
        stack.fake.user_sticker(1006)
        said = "\n".join(await citizen.settle(before))
        assert "que du texte" in said
        before = len(stack.fake.sent(1006))
        stack.fake.user_photo(1006)
        assert "que du texte" in "\n".join(await citizen.settle(before))
        stack.fake.group_message(-100, "bonjour le bot")
        await asyncio.sleep(0.5)
        assert stack.fake.sent(-100) == []


async def test_a_double_tap_files_one_pre_application(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        citizen = TelegramCitizen(stack.fake, 1007)
        await citizen.qualify_arras()
        await citizen.call_me_back("Sam", "0612345678", "Peu importe")
        message, data = citizen.last_with("Confirmer")
        stack.fake.user_press(1007, message.message_id, data)
        stack.fake.user_press(1007, message.message_id, data, check=False)
        await stack.fake.wait_for(lambda: any("CPT-2026-" in t for t in stack.fake.texts(1007)))
        await asyncio.sleep(0.5)
        assert sum("CPT-2026-" in t for t in stack.fake.texts(1007)) == 1
        exported = await stack.storage.privacy.export("telegram:1007")
        assert len(exported.pre_applications) == 1
        assert stack.fake.unanswered_callbacks() == []


@pytest.mark.parametrize("language", ["en"])
async def test_an_english_speaker_is_answered_in_english(tmp_path: Path, language: str) -> None:
    async with running(tmp_path) as stack:
        citizen = TelegramCitizen(stack.fake, 1008, language=language)
        said = await citizen.say("/start")
        assert "data" in said.lower()


async def test_a_stale_button_is_answered_and_the_question_asked_again(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        citizen = TelegramCitizen(stack.fake, 1009)
        await citizen.say("/start")
        consent = stack.fake.sent(1009)[-1]
        yes, no = consent.callback_data("Oui, d'accord"), consent.callback_data("Non merci")
        await citizen.press("Oui")
        before = len(stack.fake.sent(1009))
        stack.fake.user_press(1009, consent.message_id, yes, check=False)  # a double tap
        await asyncio.sleep(0.5)
        assert len(stack.fake.sent(1009)) == before  # the same answer again: nothing to say
        stack.fake.user_press(1009, consent.message_id, no, check=False)  # an old client
        said = "\n".join(await citizen.settle(before))
        assert "Ce bouton n'est plus actif — reprenons ici" in said
        assert "Étape 1 sur 6" in said
        assert stack.fake.unanswered_callbacks() == []


async def test_typing_is_shown_while_matching(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        await TelegramCitizen(stack.fake, 1010).qualify_arras()
        actions = stack.fake.calls_to("sendChatAction")
        assert actions and actions[0].params["action"] == "typing"


async def test_without_a_token_the_server_still_serves(tmp_path: Path) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.config import Settings
    from bot.web.app import create_app

    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/web.sqlite3"))
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/readyz")).status == 200
        assert (await client.post(WEBHOOK_PATH, json={})).status == 404


async def test_retry_after_is_waited_as_told_and_the_message_arrives_once(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        citizen = TelegramCitizen(stack.fake, 1011)
        stack.fake.fail_next("sendMessage", status=429, retry_after=1)
        said = await citizen.say("/start")
        assert said.count("Bonjour") == 1
        refused = [c for c in stack.fake.calls_to("sendMessage") if c.response_status == 429]
        accepted = [c for c in stack.fake.calls_to("sendMessage") if c.response_status == 200]
        assert refused and accepted[0].at - refused[0].at >= 0.9


async def test_a_publication_changing_the_commands_changes_the_menu(tmp_path: Path) -> None:
    async with running(tmp_path) as stack:
        calls = stack.fake.calls_to
        assert len(calls("setMyCommands")) == 2  # at start: French (default) and English
        content = stack.comptoir.content
        first = content.commands[0]
        renamed = first.model_copy(
            update={"description": first.description.model_copy(update={"fr": "Tout reprendre"})}
        )
        dialog = content.dialog.model_copy(update={"commands": (renamed, *content.commands[1:])})

        stack.comptoir.publish(dataclasses.replace(content, dialog=dialog))
        for _ in range(100):
            if len(calls("setMyCommands")) == 4:
                break
            await asyncio.sleep(0.02)

        menus = calls("setMyCommands")
        assert len(menus) == 4
        french = menus[2].params["commands"]
        assert {"command": first.command, "description": "Tout reprendre"} in french
        stack.comptoir.publish(stack.comptoir.content)  # the same commands: the menu stays
        await asyncio.sleep(0.2)
        assert len(calls("setMyCommands")) == 4
