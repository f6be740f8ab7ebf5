"""The fake Telegram Bot API answers the real python-telegram-bot the way Telegram does."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from tests.fakes.telegram import FAKE_TOKEN as TOKEN
from tests.fakes.telegram import FakeTelegram, HtmlError, parse_html

CHAT = 4242


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        yield bot


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


# --------------------------------------------------------------------------- identity, sending


async def test_initialize_learns_the_bot_identity_from_get_me(fake: FakeTelegram, bot: Bot) -> None:
    assert bot.username == "comptoir_test_bot"
    assert bot.id == 123
    me = await bot.get_me()
    assert me.is_bot and me.can_join_groups is True
    assert [c.method for c in fake.calls][:1] == ["getMe"]


async def test_sent_message_is_recorded_with_its_keyboard_and_returned_as_telegram_does(
    fake: FakeTelegram, bot: Bot
) -> None:
    markup = keyboard([("Oui", "yes"), ("Non", "no")])
    message = await bot.send_message(CHAT, "Vous avez un projet ?", reply_markup=markup)

    assert message.text == "Vous avez un projet ?"
    assert message.chat.id == CHAT and message.chat.type == "private"
    assert message.from_user is not None and message.from_user.is_bot
    assert message.reply_markup == markup
    assert abs(message.date.timestamp() - dtm.datetime.now(dtm.UTC).timestamp()) < 5

    [sent] = fake.sent(CHAT)
    assert sent.message_id == message.message_id
    assert sent.text == "Vous avez un projet ?"
    assert sent.button_texts == ["Oui", "Non"]
    assert sent.callback_data("Non") == "no"
    assert fake.texts(CHAT) == ["Vous avez un projet ?"]
    assert fake.violations == []


async def test_a_text_that_looks_like_json_stays_a_string(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(CHAT, "42")
    await bot.send_message(CHAT, "[1, 2]")
    assert fake.texts(CHAT) == ["42", "[1, 2]"]


async def test_message_ids_increase_per_chat(fake: FakeTelegram, bot: Bot) -> None:
    first = await bot.send_message(CHAT, "un")
    second = await bot.send_message(CHAT, "deux")
    other = await bot.send_message(CHAT + 1, "ailleurs")
    assert second.message_id == first.message_id + 1
    assert other.message_id == 1


@pytest.mark.parametrize("text", ["", "   \n ", "x" * 4097])
async def test_text_empty_or_over_4096_characters_is_a_bad_request(
    fake: FakeTelegram, bot: Bot, text: str
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(CHAT, text)
    assert fake.sent(CHAT) == []
    assert len(fake.violations) == 1


async def test_4096_characters_are_accepted(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(CHAT, "é" * 4096)
    assert fake.violations == []


async def test_callback_data_is_limited_to_64_bytes_not_characters(
    fake: FakeTelegram, bot: Bot
) -> None:
    await bot.send_message(CHAT, "ok", reply_markup=keyboard([("A", "é" * 32)]))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "trop", reply_markup=keyboard([("A", "é" * 33)]))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "vide", reply_markup=keyboard([("A", "")]))
    assert len(fake.sent(CHAT)) == 1


async def test_keyboards_are_limited_to_8_per_row_and_100_buttons(
    fake: FakeTelegram, bot: Bot
) -> None:
    row_of_8 = [(str(i), str(i)) for i in range(8)]
    await bot.send_message(CHAT, "ok", reply_markup=keyboard(*[row_of_8] * 12, row_of_8[:4]))
    with pytest.raises(BadRequest):
        await bot.send_message(CHAT, "large", reply_markup=keyboard([*row_of_8, ("9", "9")]))
    with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
        await bot.send_message(CHAT, "long", reply_markup=keyboard(*[row_of_8] * 13))
    assert len(fake.sent(CHAT)) == 1
    assert len(fake.violations) == 2


# --------------------------------------------------------------------------- HTML


async def test_valid_html_is_displayed_without_tags_and_with_entities(
    fake: FakeTelegram, bot: Bot
) -> None:
    html = (
        '<b>Gras</b> <i>it</i> <a href="https://www.avise.org/">Avise</a> '
        '<span class="tg-spoiler">s</span> <blockquote>q</blockquote> &lt;3 &amp; &quot;'
    )
    message = await bot.send_message(CHAT, html, parse_mode="HTML")
    assert message.text == 'Gras it Avise s q <3 & "'
    assert [e.type for e in message.entities] == [
        "bold",
        "italic",
        "text_link",
        "spoiler",
        "blockquote",
    ]
    [sent] = fake.sent(CHAT)
    assert sent.raw_text == html
    assert sent.text == message.text


@pytest.mark.parametrize(
    "html",
    [
        "<b>pas fermé",
        "<h1>titre</h1>",
        "<b>mal</i>",
        "1 < 2",
        "Dupont & fils",
        "<span>sans classe</span>",
        "</b>",
        "<a href=x",
    ],
)
async def test_malformed_html_is_a_bad_request(fake: FakeTelegram, bot: Bot, html: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(CHAT, html, parse_mode="HTML")
    assert fake.sent(CHAT) == []


async def test_html_made_only_of_tags_is_an_empty_text(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "<b> </b>", parse_mode="HTML")


async def test_length_is_counted_after_parsing_html(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert fake.violations == []


def test_html_parser_reports_telegram_wording_and_utf16_offsets() -> None:
    text, entities = parse_html('😀 <b>é</b> <pre><code class="language-py">x</code></pre>')
    assert text == "😀 é x"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 1},
        {"type": "pre", "offset": 5, "length": 1, "language": "py"},
    ]
    with pytest.raises(HtmlError, match='Unsupported start tag "h1" at byte offset 0'):
        parse_html("<h1>x</h1>")
    with pytest.raises(HtmlError, match='Can\'t find end tag corresponding to start tag "b"'):
        parse_html("<b>x")
    assert parse_html("AT&T", strict_ampersand=False) == ("AT&T", [])


# --------------------------------------------------------------------------- edits, presses


async def test_edit_replaces_text_and_drops_the_keyboard_when_not_given_again(
    fake: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(CHAT, "Question ?", reply_markup=keyboard([("Oui", "y")]))
    edited = await bot.edit_message_text("Question ? Oui", chat_id=CHAT, message_id=sent.message_id)
    assert isinstance(edited, object) and fake.violations == []
    current = fake.messages[CHAT][sent.message_id]
    assert current.text == "Question ? Oui"
    assert current.reply_markup is None
    assert current.edits == 1 and current.edit_date is not None
    assert fake.sent(CHAT)[0].text == "Question ?"  # as it was sent


async def test_editing_with_identical_content_is_not_modified(fake: FakeTelegram, bot: Bot) -> None:
    markup = keyboard([("Oui", "y")])
    sent = await bot.send_message(CHAT, "Même", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "Même", chat_id=CHAT, message_id=sent.message_id, reply_markup=markup
        )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=markup)
    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=None)
    assert fake.messages[CHAT][sent.message_id].reply_markup is None


async def test_editing_an_unknown_message_is_not_found(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=999)


async def test_press_is_answered_once_and_only_once(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Choix", reply_markup=keyboard([("A", "a"), ("B", "b")]))
    update = Update.de_json(fake.user_press(CHAT, sent.message_id, "b"), bot)
    assert update.callback_query is not None
    assert update.callback_query.data == "b"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id
    assert [q.id for q in fake.unanswered_callbacks()] == [update.callback_query.id]

    assert await bot.answer_callback_query(update.callback_query.id, text="Noté")
    assert fake.unanswered_callbacks() == []
    assert fake.callback_queries[update.callback_query.id].answer_text == "Noté"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(update.callback_query.id)
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await bot.answer_callback_query("0")


async def test_callback_answer_text_is_limited_to_200_characters(
    fake: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(CHAT, "Choix", reply_markup=keyboard([("A", "a")]))
    query_id = fake.user_press(CHAT, sent.message_id, "a")["callback_query"]["id"]
    with pytest.raises(BadRequest):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="x" * 200)


async def test_a_button_no_longer_on_the_message_cannot_be_pressed(
    fake: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(CHAT, "Choix", reply_markup=keyboard([("A", "a")]))
    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=None)
    with pytest.raises(ValueError, match="no button"):
        fake.user_press(CHAT, sent.message_id, "a")
    assert fake.user_press(CHAT, sent.message_id, "forged", check=False)["callback_query"]


# --------------------------------------------------------------------------- other methods


async def test_venue_location_document_and_chat_action_are_recorded(
    fake: FakeTelegram, bot: Bot
) -> None:
    await bot.send_chat_action(CHAT, "typing")
    venue = await bot.send_venue(
        CHAT, latitude=50.29, longitude=2.78, title="France Active", address="Arras"
    )
    location = await bot.send_location(CHAT, latitude=48.85, longitude=2.35)
    document = await bot.send_document(
        CHAT,
        b"%PDF-1.4 dossier",
        filename="dossier.pdf",
        caption="Votre <b>dossier</b>",
        parse_mode="HTML",
    )
    assert venue.venue is not None and venue.venue.title == "France Active"
    assert location.location is not None and location.location.latitude == 48.85
    assert document.document is not None and document.document.file_name == "dossier.pdf"
    assert document.caption == "Votre dossier"
    assert [e.type for e in document.caption_entities] == ["bold"]

    kinds = [m.kind for m in fake.sent(CHAT)]
    assert kinds == ["venue", "location", "document"]
    sent_venue, sent_location, sent_document = fake.sent(CHAT)
    assert sent_venue.venue is not None and sent_venue.venue["address"] == "Arras"
    assert sent_location.location == {"latitude": 48.85, "longitude": 2.35}
    assert sent_document.document is not None
    assert sent_document.document.filename == "dossier.pdf"
    assert sent_document.document.content == b"%PDF-1.4 dossier"

    file = await bot.get_file(document.document.file_id)
    assert await file.download_as_bytearray() == bytearray(b"%PDF-1.4 dossier")
    assert fake.violations == []


async def test_commands_are_stored_per_language(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Commencer")], language_code="fr")
    await bot.set_my_commands([("start", "Start")])
    assert fake.commands["fr"] == [{"command": "start", "description": "Commencer"}]
    assert fake.commands[""] == [{"command": "start", "description": "Start"}]
    assert [c.description for c in await bot.get_my_commands(language_code="fr")] == ["Commencer"]
    await bot.delete_my_commands(language_code="fr")
    assert "fr" not in fake.commands
    with pytest.raises(BadRequest):
        await bot.set_my_commands([("Start", "Majuscule")])


async def test_unknown_method_and_wrong_token_answer_like_telegram(
    fake: FakeTelegram, bot: Bot
) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")
    assert fake.calls[-1].response_status == 404
    assert fake.calls[-1].response == {"ok": False, "error_code": 404, "description": "Not Found"}
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=fake.base_url):
            pass


async def test_blocked_citizen_answers_forbidden(fake: FakeTelegram, bot: Bot) -> None:
    fake.block(CHAT)
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await bot.send_message(CHAT, "Bonjour")
    assert fake.sent(CHAT) == []


# --------------------------------------------------------------------------- faults


async def test_injected_429_is_retry_after_and_delivers_nothing(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "Bonjour")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert fake.sent(CHAT) == []
    assert fake.calls[-1].response["parameters"] == {"retry_after": 3}
    assert fake.violations == []

    await bot.send_message(CHAT, "Bonjour")
    assert fake.texts(CHAT) == ["Bonjour"]


async def test_injected_server_errors_are_network_errors(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next(status=502, count=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "x")
    assert [c.response_status for c in fake.calls_to("sendMessage")] == [502, 502, 200]
    assert [c.injected for c in fake.calls_to("sendMessage")] == [True, True, False]


async def test_random_faults_with_retries_deliver_each_message_exactly_once(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.fault_rate(0.4, seed=7)
    for n in range(20):
        while True:
            try:
                await bot.send_message(CHAT, f"message {n}")
                break
            except (RetryAfter, NetworkError):
                continue
    assert fake.texts(CHAT) == [f"message {n}" for n in range(20)]
    statuses = {c.response_status for c in fake.calls_to("sendMessage")}
    assert statuses > {200} and statuses <= {200, 429, 500, 502}


async def test_delayed_answers_arrive_late(fake: FakeTelegram, bot: Bot) -> None:
    fake.delay(0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await bot.send_message(CHAT, "lent")
    assert loop.time() - started >= 0.3
    fake.delay(0)


# --------------------------------------------------------------------------- updates


async def test_long_poll_returns_an_update_pushed_meanwhile(fake: FakeTelegram, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.2)
        fake.user_message(CHAT, "Bonjour")

    pusher = asyncio.create_task(later())
    updates = await bot.get_updates(timeout=5)
    await pusher
    [update] = updates
    assert update.message is not None and update.message.text == "Bonjour"
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "fr"

    # Not confirmed yet: served again; confirmed by a higher offset: gone.
    assert [u.update_id for u in await bot.get_updates()] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1) == ()


async def test_long_poll_times_out_empty(fake: FakeTelegram, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == ()
    assert loop.time() - started >= 0.9


async def test_update_ids_increase_and_every_kind_parses(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Choix", reply_markup=keyboard([("A", "a")]))
    raw = [
        fake.user_message(CHAT, "/start"),
        fake.user_location(CHAT, 50.29, 2.78),
        fake.user_sticker(CHAT),
        fake.user_photo(CHAT, caption="Mon local"),
        fake.user_press(CHAT, sent.message_id, "a"),
        fake.group_message(-100, "Salut le groupe"),
    ]
    citizen_message_id = raw[0]["message"]["message_id"]
    raw.append(fake.user_edit(CHAT, citizen_message_id, "/start encore"))
    ids = [u["update_id"] for u in raw]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)

    updates = [Update.de_json(u, bot) for u in raw]
    start = updates[0].message
    assert start is not None and start.text == "/start"
    assert start.entities[0].type == "bot_command"
    assert updates[1].message is not None and updates[1].message.location is not None
    assert updates[2].message is not None and updates[2].message.sticker is not None
    photo = updates[3].message
    assert photo is not None and photo.caption == "Mon local" and photo.photo
    assert await (await bot.get_file(photo.photo[-1].file_id)).download_as_bytearray()
    assert updates[4].callback_query is not None
    group = updates[5].message
    assert group is not None and group.chat.type == "group" and group.chat.id == -100
    assert updates[6].edited_message is not None
    assert updates[6].edited_message.text == "/start encore"
    assert [u.update_id for u in await bot.get_updates()] == ids


async def test_a_second_long_poll_ends_the_first_with_conflict(fake: FakeTelegram) -> None:
    async with (
        Bot(TOKEN, base_url=fake.base_url) as first,
        Bot(TOKEN, base_url=fake.base_url) as second,
    ):
        polling = asyncio.create_task(first.get_updates(timeout=5))
        await fake.wait_for(lambda: fake.waiting_polls == 1)
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
            await polling


# --------------------------------------------------------------------------- webhook


@pytest.fixture
async def webhook_app() -> AsyncIterator[tuple[str, list[tuple[str | None, dict[str, object]]]]]:
    """A tiny bot-side webhook endpoint: first answer 500, then 200."""
    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=500 if len(received) == 1 else 200)

    app = web.Application()
    app.router.add_post("/telegram", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/telegram", received
    await runner.cleanup()


async def test_webhook_receives_updates_with_the_secret_and_retries_on_errors(
    fake: FakeTelegram,
    bot: Bot,
    webhook_app: tuple[str, list[tuple[str | None, dict[str, object]]]],
) -> None:
    url, received = webhook_app
    assert await bot.set_webhook(url, secret_token="s3cret_-X")
    update = fake.user_message(CHAT, "Bonjour")
    await fake.webhook_idle()

    assert received == [("s3cret_-X", update), ("s3cret_-X", update)]
    assert [(d.attempt, d.status) for d in fake.webhook_deliveries] == [(1, 500), (2, 200)]
    info = await bot.get_webhook_info()
    assert info.url == url and info.pending_update_count == 0
    assert info.last_error_message is not None and "500" in info.last_error_message

    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_updates_queued_before_the_webhook_are_sent_to_it(
    fake: FakeTelegram,
    bot: Bot,
    webhook_app: tuple[str, list[tuple[str | None, dict[str, object]]]],
) -> None:
    url, received = webhook_app
    update = fake.user_message(CHAT, "avant")
    await bot.set_webhook(url)
    await fake.webhook_idle()
    assert received[-1] == (None, update)
    fake.redeliver(update)
    await fake.webhook_idle()
    assert [u["update_id"] for _, u in received[-2:]] == [update["update_id"]] * 2
    await bot.delete_webhook()
    fake.user_message(CHAT, "en attente")
    await bot.set_webhook(url, drop_pending_updates=True)
    assert fake.pending_updates == []


@pytest.mark.parametrize("secret", ["avec espace", "base64+/=", "x" * 257])
async def test_webhook_secret_must_be_1_to_256_safe_characters(
    fake: FakeTelegram, bot: Bot, secret: str
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)secret token"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token=secret)
    assert fake.webhook_url is None


# --------------------------------------------------------------------------- with an Application


async def test_a_polling_application_converses_through_the_fake(fake: FakeTelegram) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        await update.effective_message.reply_text(
            f"Reçu : {update.effective_message.text}", reply_markup=keyboard([("OK", "ok")])
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("Merci")
        await update.callback_query.edit_message_text("Validé")

    application = (
        Application.builder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await application.start()

        fake.user_message(CHAT, "Bonjour")
        [reply] = await fake.wait_sent(CHAT, 1)
        assert reply.text == "Reçu : Bonjour"
        fake.user_press(CHAT, reply.message_id, "ok")
        await fake.wait_for(lambda: fake.messages[CHAT][reply.message_id].text == "Validé")

        await application.updater.stop()
        await application.stop()

    assert fake.unanswered_callbacks() == []
    assert fake.violations == []
    assert fake.pending_updates == []  # the last getUpdates confirmed everything


async def test_wait_for_fails_with_the_recent_calls(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(CHAT, "seul")
    with pytest.raises(AssertionError, match="sendMessage -> 200"):
        await fake.wait_sent(CHAT, 2, timeout=0.1)
