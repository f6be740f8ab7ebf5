"""Leads' notifications go through the outbox: 429s, 5xx and a SIGKILL delay, never lose them."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sqlite3
import sys
import time
from collections import Counter
from contextlib import closing
from dataclasses import replace
from pathlib import Path

from bot.core.workdays import add_working_days
from bot.services.cards import PARIS
from bot.services.clock import utc_now
from bot.services.reminders import Reminders
from tests.advisors import ARRAS_COUNTER
from tests.fakes.telegram import Call, ChatMessage, FakeTelegram
from tests.serve import ROOT, TOKEN, Server
from tests.telegram_stack import running

GROUP = -1001  # the Arras counter's advisors' group
ADVISOR = 9001  # Camille Martin's Telegram account
CITIZENS = range(8101, 8109)
CARD = "📋 Demande "
TAKEN = "Statut : Pris en charge par Camille"
TOLD = "Bonne nouvelle"
FAST = {"COMPTOIR_TELEGRAM_PER_GROUP_INTERVAL": "0.02"}


def reference_in(text: str | None) -> str | None:
    word = next((w for w in (text or "").split() if w.startswith("CPT-")), None)
    return None if word is None else word.strip(".,;:()«»")


def references(fake: FakeTelegram, chat_id: int) -> list[str]:
    """The references in a citizen's messages, one per message, the « taken » notice aside."""
    return [r for t in fake.texts(chat_id) if TOLD not in t and (r := reference_in(t))]


def cards(fake: FakeTelegram) -> list[ChatMessage]:
    """The cards sent to the group, in the order sent, as they show now (edits applied)."""
    return [
        fake.messages[GROUP][m.message_id]
        for m in fake.sent(GROUP)
        if (m.text or "").startswith(CARD)
    ]


def card_references(fake: FakeTelegram) -> list[str]:
    return [str(reference_in(c.text)) for c in cards(fake)]


def take_button(card: ChatMessage) -> str | None:
    labelled = (b for row in card.buttons for b in row if b.get("text") == "Je prends")
    return next((str(b["callback_data"]) for b in labelled), None)


def repeats(fake: FakeTelegram, chat_id: int) -> dict[str, int]:
    """Texts the bot sent to a chat more than once."""
    return {t: n for t, n in Counter(fake.texts(chat_id)).items() if n > 1}


def redone(fake: FakeTelegram) -> list[Call]:
    """Telegram's refusals of a keyboard removal done again (the send after it had failed, or
    the server was killed): « message is not modified », a no-op the bot expects."""
    return [
        v
        for v in fake.violations
        if v.method == "editMessageReplyMarkup" and "not modified" in (v.description or "")
    ]


IDEA = "On veut ouvrir une recyclerie pour réparer et revendre des objets"


def steps(contact: str) -> list[tuple[str, str, str]]:
    """Filing in Arras with a call back: what the bot shows last, then what the citizen does."""
    return [
        ("Bonjour, je suis Comptoir", "press", "Oui"),
        ("Racontez-moi votre idée", "say", IDEA),
        ("votre projet touche à", "press", "Valider"),
        ("Dans quelle commune", "say", "Arras"),
        ("Qui porte le projet", "press", "Une association"),
        ("Où en est votre projet", "press", "Ça prend forme"),
        ("De quoi avez-vous besoin", "press", "Un financement"),
        ("✅ Un financement", "press", "Valider"),
        ("De quel montant", "say", "15 000 €"),
        ("Avant vos résultats, une proposition facultative", "press", "Non"),
        ("qu'un conseiller vous recontacte", "press", "Oui"),
        ("Quel est votre prénom", "say", "Sam"),
        ("Votre e-mail ou votre numéro", "say", contact),
        ("À quel moment", "press", "Peu importe"),
    ]


def showing(fake: FakeTelegram, chat_id: int, shown: str) -> ChatMessage | None:
    """The bot's last text message in the chat (edits applied), if it shows `shown`."""
    last = next((m for m in reversed(fake.sent(chat_id)) if m.text is not None), None)
    current = None if last is None else fake.messages[chat_id][last.message_id]
    if current is not None and (shown in (current.text or "") or shown in current.button_texts):
        return current
    return None


async def file(fake: FakeTelegram, chat_id: int) -> None:
    """A citizen files in Arras up to the recap to confirm, each answer to its question.

    Each step waits for its question: under faults, a reply may still be on its way, and a
    text typed before its question shows is not taken as its answer.
    """
    fake.user_message(chat_id, "/start")
    for shown, action, what in steps(f"sam.{chat_id}@example.org"):
        message = await fake.wait_for(lambda: showing(fake, chat_id, shown), timeout=40)  # noqa: B023
        if action == "say":
            fake.user_message(chat_id, what)
            continue
        label = next(t for t in message.button_texts if t.lstrip("✅ ").startswith(what))
        fake.user_press(chat_id, message.message_id, message.callback_data(label))
    await fake.wait_for(lambda: showing(fake, chat_id, "Voici le récapitulatif"), timeout=40)


def confirm_all(fake: FakeTelegram, chats: range = CITIZENS) -> None:
    for chat_id in chats:
        message = showing(fake, chat_id, "Voici le récapitulatif")
        assert message is not None, fake.texts(chat_id)
        fake.user_press(chat_id, message.message_id, message.callback_data("Confirmer"))


async def test_under_twenty_percent_of_429_and_5xx_every_notification_arrives_once(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as stack:
        fake = stack.fake
        code = await stack.comptoir.accounts.counter_code(ARRAS_COUNTER)
        fake.group_message(GROUP, f"/lier {code}", user_id=ADVISOR, first_name="Camille")
        _, personal = await stack.comptoir.accounts.add_person(
            "camille.martin@example.org", "Camille Martin", "advisor", [ARRAS_COUNTER]
        )
        fake.user_message(ADVISOR, f"/lier {personal}", first_name="Camille")
        await fake.wait_for(lambda: any("C'est fait" in t for t in fake.texts(GROUP)))
        await fake.wait_for(lambda: any("C'est fait" in t for t in fake.texts(ADVISOR)))

        # One send or edit in five fails: 429 (retry after 1 s), 500 or 502, from filing on.
        fake.fault_rate(0.2, statuses=(429, 500, 502), retry_after=1, seed=2026)
        await asyncio.gather(*(file(fake, c) for c in CITIZENS))
        confirm_all(fake)

        taken: set[str] = set()  # the advisor takes each lead once its card shows up
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 40
        while len(taken) < len(CITIZENS):
            for card in cards(fake):
                reference, data = str(reference_in(card.text)), take_button(card)
                if reference not in taken and data is not None:
                    taken.add(reference)
                    fake.group_press(
                        GROUP, card.message_id, data, user_id=ADVISOR, first_name="Camille"
                    )
            assert loop.time() < deadline, f"cards: {card_references(fake)}"
            await asyncio.sleep(0.05)

        def all_told() -> bool:
            shown = cards(fake)
            return (
                len(shown) >= len(CITIZENS)
                and all(TAKEN in (c.text or "") for c in shown)
                and all(any(TOLD in t for t in fake.texts(c)) for c in CITIZENS)
            )

        await fake.wait_for(all_told, timeout=40)
        await asyncio.sleep(2.0)  # what is still being retried would show by now
        fake.fault_rate(0)

        given = [r for chat_id in CITIZENS for r in references(fake, chat_id)]
        assert len(set(given)) == len(given) == len(CITIZENS)  # each citizen told theirs once
        assert sorted(card_references(fake)) == sorted(given)  # one card per lead, sent once
        for chat_id, reference in zip(CITIZENS, given, strict=True):
            told = [t for t in fake.texts(chat_id) if TOLD in t]
            assert len(told) == 1 and reference in told[0] and "Camille" in told[0]
            assert repeats(fake, chat_id) == {}, chat_id
        assert repeats(fake, GROUP) == {}
        edits = [
            c
            for c in fake.calls_to("editMessageText")
            if c.params.get("chat_id") == GROUP and c.response_status == 200
        ]
        assert len(edits) >= len(CITIZENS)  # each card edited in place, not sent again
        injected = Counter(c.response_status for c in fake.calls if c.injected)
        assert injected[429] >= 3 and injected[500] + injected[502] >= 10, injected
        assert fake.violations == redone(fake)
        assert fake.unanswered_callbacks() == []


async def link_code(database: str) -> str:
    """The counter's one-time group code, from `comptoir counters link-code … --json`."""
    env = {**os.environ, "COMPTOIR_PSEUDONYM_KEY": "5e" * 32}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "counters", "link-code", ARRAS_COUNTER, "--json",
        "--database", database, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    return str(json.loads(out)["code"])


def recorded(path: Path) -> tuple[set[str], set[str]]:
    """What the dead server had recorded: the cards it knew sent, the references still queued."""
    with closing(sqlite3.connect(path)) as db:
        shown = db.execute(
            "SELECT p.reference FROM lead_cards c JOIN pre_applications p ON p.id = c.lead_id"
            " WHERE c.chat_id = ?",
            (GROUP,),
        )
        waiting = db.execute(
            "SELECT payload FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL"
            " AND recipient LIKE 'telegram:%'"
        )
        queued = {reference_in(json.loads(p).get("reply", {}).get("text")) for (p,) in waiting}
        return {r for (r,) in shown}, {r for r in queued if r is not None}


def accepted(fake: FakeTelegram, chat_id: int, reference: str) -> list[Call]:
    """The sends of a message giving `reference` that Telegram accepted in this chat."""
    return [
        c
        for c in fake.calls_to("sendMessage")
        if c.params.get("chat_id") == chat_id
        and c.response_status == 200
        and reference_in(str(c.params.get("text"))) == reference
        and TOLD not in str(c.params.get("text"))
    ]


async def test_a_sigkill_while_cards_and_references_go_out_loses_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "serve.sqlite3"
    database = f"sqlite+aiosqlite:///{path}"
    async with FakeTelegram(token=TOKEN) as fake:
        server = await Server.start(
            fake, tmp_path, database=database, per_chat_interval=0.02, extra=FAST
        )
        fake.group_message(GROUP, f"/lier {await link_code(database)}", user_id=ADVISOR)
        await fake.wait_for(lambda: any("C'est fait" in t for t in fake.texts(GROUP)), timeout=20)
        await asyncio.gather(*(file(fake, c) for c in CITIZENS))
        await server.stop()

        # A slow Telegram: 4 messages a second overall, one every 0.5 s in the group. The
        # 8 references and 8 cards take 4 s at least: the kill falls in the middle.
        slow = {"COMPTOIR_TELEGRAM_PER_GROUP_INTERVAL": "0.5"}
        server = await Server.start(
            fake, tmp_path, database=database, overall_per_second=4, extra=slow
        )
        confirm_all(fake)
        await fake.wait_for(lambda: cards(fake), timeout=30)
        await asyncio.sleep(0.3)
        server.kill()
        killed = time.monotonic()
        await server.wait()
        shown, queued = recorded(path)
        before = len(cards(fake)) + sum(bool(references(fake, c)) for c in CITIZENS)
        assert 0 < before < 2 * len(CITIZENS)  # killed mid-delivery
        assert queued or len(shown) < len(CITIZENS)

        server = await Server.start(
            fake, tmp_path, database=database, per_chat_interval=0.02, extra=FAST
        )
        await fake.wait_for(
            lambda: (
                len(set(card_references(fake))) == len(CITIZENS)
                and all(references(fake, c) for c in CITIZENS)
            ),
            timeout=30,
        )
        await asyncio.sleep(1.5)  # a repeat would show by now
        code, _ = await server.stop()
        assert code == 0

        given = {c: references(fake, c)[0] for c in CITIZENS}
        assert len(set(given.values())) == len(CITIZENS)
        assert sorted(set(card_references(fake))) == sorted(given.values())
        # What the outbox (or the cards' table) had recorded as sent never goes again. What it
        # had not may go twice, only if Telegram had accepted it just before the kill: the
        # send whose answer the kill cut off (bot/services/outbox.py, `_deliver_all`).
        again = []
        for chat_id, reference in [*given.items(), *((GROUP, r) for r in given.values())]:
            sends = accepted(fake, chat_id, reference)
            known = reference in shown if chat_id == GROUP else reference not in queued
            if len(sends) == 1:
                continue
            assert not known and len(sends) == 2, (chat_id, reference, known, len(sends))
            assert sends[0].at <= killed < sends[1].at, (chat_id, reference)
            again.append((chat_id, reference))
        assert len(again) <= 2, again  # a send every 0.25 s: one in flight, two if the host lags
        for chat_id in [*CITIZENS, GROUP]:
            assert set(repeats(fake, chat_id)) <= {
                t for t in fake.texts(chat_id) if (chat_id, reference_in(t)) in again
            }
        assert fake.violations == redone(fake)


async def test_a_burst_of_reminders_paced_by_telegram_is_recorded_sent_as_it_goes(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as stack:
        fake, comptoir = stack.fake, stack.comptoir
        code = await comptoir.accounts.counter_code(ARRAS_COUNTER)
        fake.group_message(GROUP, f"/lier {code}", user_id=ADVISOR)
        await fake.wait_for(lambda: any("C'est fait" in t for t in fake.texts(GROUP)))
        chats = CITIZENS[:4]
        await asyncio.gather(*(file(fake, c) for c in chats))
        confirm_all(fake, chats)
        await fake.wait_for(lambda: len(cards(fake)) == len(chats), timeout=20)

        # Two working days later, nobody took them: one reminder per lead, in one transaction,
        # to a group Telegram lets the bot write to once every 1.5 s (3 s in production).
        today = utc_now().astimezone(PARIS).date()
        later = dt.datetime.combine(add_working_days(today, 2, "62"), dt.time(10), PARIS)
        offset = later - utc_now()
        comptoir.leads.clock = comptoir.courier.clock = lambda: utc_now() + offset
        sender = comptoir.courier.outbound("telegram").sender  # type: ignore[union-attr]
        sender.pace = replace(sender.pace, per_group_interval=1.5)
        assert await Reminders(comptoir.leads).once() == len(chats)

        def reminded() -> list[str]:
            return [t for t in fake.texts(GROUP) if t.startswith("⏰ Rappel")]

        for count in range(1, len(chats) + 1):
            await fake.wait_for(lambda: len(reminded()) >= count, timeout=10)  # noqa: B023
            await asyncio.sleep(0.5)  # the next one waits its turn for another second
            # What Telegram accepted is recorded at once, not when the next one goes: a crash
            # now would repeat none of them.
            waiting = await stack.storage.outbox.queued(
                f"telegram:{GROUP}", comptoir.courier.clock(), 50
            )
            assert len(waiting) == len(chats) - count, (count, len(reminded()))
        assert sorted(r for t in reminded() if (r := reference_in(t))) == sorted(
            set(card_references(fake))
        )
