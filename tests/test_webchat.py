"""The web chat end to end: the real app on 127.0.0.1, a citizen speaking the /ws protocol."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.core.conversation import Inbound
from bot.core.money import format_number
from bot.web.app import COMPTOIR
from bot.web.chat import COOKIE, ROOM, chat_ref
from tests.postgres import fresh_database
from tests.telegram_stack import free_port
from tests.webchat_client import Served, WebCitizen, cookie_of, serving, web_settings

POSTGRES = os.environ.get("COMPTOIR_TEST_POSTGRES_URL")
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not POSTGRES, reason="COMPTOIR_TEST_POSTGRES_URL is not set"))]  # fmt: skip
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=DATABASES)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/web.sqlite3"
        return
    assert POSTGRES is not None
    async with fresh_database(POSTGRES) as url:
        yield url


def _pseudonym(database: str) -> dict[str, str]:
    return {"pseudonym_key": "5e" * 32} if database.startswith("postgresql") else {}


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with serving(web_settings(tmp_path)) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as opened:
        yield opened


async def _page(served: Served, session: aiohttp.ClientSession) -> None:
    async with session.get(served.url("/")) as response:
        assert response.status == 200


# -- a whole conversation ---------------------------------------------------------------------


async def test_a_whole_conversation_over_the_socket_files_a_pre_application(
    database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    settings = web_settings(tmp_path, database, **_pseudonym(database))
    async with serving(settings) as served:
        await _page(served, session)
        async with WebCitizen.connect(served, session) as citizen:
            assert citizen.conversation is None  # the cookie identifies it
            welcome = citizen.messages
            assert "Bonjour" in welcome[0]["text"] and welcome[-1]["buttons"]
            results = await citizen.qualify_arras()
            assert "Budget citoyen du Pas-de-Calais" in results
            frames = citizen.frames
            first_result = next(
                i for i, f in enumerate(frames) if "Budget citoyen" in f.get("text", "")
            )
            assert any(f["type"] == "typing" for f in frames[:first_result])
            places = [f["place"] for f in citizen.messages if f["place"]]
            assert places and places[0]["map_url"].startswith(
                "https://www.openstreetmap.org/?mlat="
            )
            await citizen.press("Oui")
            await citizen.say("Camille")
            await citizen.say("camille@example.org")
            await citizen.press("Le matin")
            said = await citizen.press("Confirmer")
            reference = re.search(r"CPT-2026-\d{6}", said)
            assert reference is not None
            seqs = [f["seq"] for f in citizen.messages]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)

            exported = await citizen.send({"type": "text", "text": "/mesdonnees"})
            document = next(f["document"] for f in exported if f.get("document"))
            assert document["filename"].endswith(".json")
            assert document["media_type"] == "application/json"
            assert reference.group(0) in document["content"]
        token = cookie_of(session)
        assert token is not None
        data = await served.app[COMPTOIR].storage.privacy.export(chat_ref(token).key)
        assert [p.reference for p in data.pre_applications] == [reference.group(0)]
        key = chat_ref(token).key
        assert key == "web:" + hashlib.sha256(token.encode()).hexdigest()[:32]
        assert data.queued == 0  # every reply acknowledged, none left in the outbox


async def test_a_multiple_choice_toggle_updates_the_question_in_place(
    served: Served, session: aiohttp.ClientSession
) -> None:
    await _page(served, session)
    async with WebCitizen.connect(served, session) as citizen:
        await citizen.press("Oui")
        frames = await citizen.send(
            {"type": "text", "text": "Une épicerie solidaire avec un café associatif"}
        )
        question = [f for f in frames if f["type"] == "message"][-1]
        assert question["multiple"] and not question["replaces"]
        ticked = [b for row in question["buttons"] for b in row if b["selected"]]
        assert ticked and not any(b["label"].startswith("✅") for b in ticked)
        option = next(b for row in question["buttons"] for b in row if not b["selected"])
        (toggled,) = [
            f for f in await citizen.send({"type": "button", "value": option["value"]})
            if f["type"] == "message"
        ]  # fmt: skip
        assert toggled["replaces"] and toggled["multiple"]
        again = {b["value"]: b for row in toggled["buttons"] for b in row}
        assert again[option["value"]]["selected"] is True
        assert again[option["value"]]["label"] == option["label"]
        assert toggled["seq"] > question["seq"]


async def test_the_commune_question_expects_a_commune_and_a_position_answers_it(
    served: Served, session: aiohttp.ClientSession
) -> None:
    await _page(served, session)
    async with WebCitizen.connect(served, session) as citizen:
        await citizen.press("Oui")
        await citizen.say("Un café associatif dans le bourg")
        frames = await citizen.send({"type": "button", "value": citizen.button("Valider")})
        question = [f for f in frames if f["type"] == "message"][-1]
        assert question["expects"] == "commune"
        assert question["location"]  # the label of a « share my position » button
        said = await citizen.send({"type": "location", "latitude": 50.291, "longitude": 2.7775})
        assert any("Arras (62)" in f.get("text", "") for f in said)
        assert all(f.get("expects") is None for f in said if f["type"] == "message")


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("arr", "Arras (62)"),
        ("62000", "Arras (62)"),
        ("st etienne", "Saint-Étienne (42)"),
        ("saint-étienne", "Saint-Étienne (42)"),
        ("SAINT ETIENNE", "Saint-Étienne (42)"),
    ],
)
async def test_communes_are_suggested_best_first(
    served: Served, session: aiohttp.ClientSession, query: str, first: str
) -> None:
    async with session.get(served.url("/api/communes"), params={"q": query}) as response:
        assert response.status == 200
        communes = (await response.json())["communes"]
    assert communes[0]["label"] == first
    assert set(communes[0]) == {"code", "name", "label", "department", "postcode"}
    assert 1 <= len(communes) <= 8


async def test_communes_need_two_characters_and_at_most_twenty_come(
    served: Served, session: aiohttp.ClientSession
) -> None:
    async with session.get(served.url("/api/communes"), params={"q": "a"}) as response:
        assert (await response.json()) == {"communes": []}
    async with session.get(served.url("/api/communes"), params={"q": "sa", "limit": "500"}) as r:
        assert len((await r.json())["communes"]) == 20
    async with session.get(served.url("/api/communes"), params={"q": "62000"}) as r:
        assert (await r.json())["communes"][0] == {
            "code": "62041",
            "name": "Arras",
            "label": "Arras (62)",
            "department": "62",
            "postcode": "62000",
        }


# -- identification and headers ----------------------------------------------------------------


async def test_the_page_sets_one_opaque_http_only_lax_cookie_and_strict_headers(
    served: Served, session: aiohttp.ClientSession
) -> None:
    async with session.get(served.url("/")) as response:
        page = await response.text()
        cookies = response.headers.getall("Set-Cookie")
        headers = response.headers
    assert '<html lang="fr">' in page and 'id="log"' in page and 'id="composer"' in page
    (cookie,) = cookies
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith(f"{COOKIE}=")
    assert {"httponly", "path", "max-age", "samesite"} <= attributes
    assert "samesite=lax" in cookie.lower() and "secure" not in attributes
    assert "max-age=31536000" in cookie.lower()
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 43
    csp = headers["Content-Security-Policy"]
    for rule in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'self'",
                 "base-uri 'none'", "form-action 'self'", "connect-src 'self'"):  # fmt: skip
        assert rule in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    async with session.get(served.url("/")) as again:  # the cookie is kept, not renewed
        assert "Set-Cookie" not in again.headers
    for asset in ("/static/chat.js", "/static/chat.css", "/static/favicon.svg"):
        async with session.get(served.url(asset)) as response:
            assert response.status == 200
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("overrides", "headers"),
    [
        ({"public_url": "https://comptoir.example.org"}, {}),
        ({"trust_proxy": True}, {"X-Forwarded-Proto": "https"}),
    ],
)
async def test_the_cookie_is_secure_behind_https(
    tmp_path: Path, overrides: dict[str, object], headers: dict[str, str]
) -> None:
    settings = web_settings(tmp_path, **overrides)
    async with (
        serving(settings) as served,
        aiohttp.ClientSession() as session,
        session.get(served.url("/"), headers=headers) as response,
    ):
        cookie = response.headers["Set-Cookie"]
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


async def test_a_forwarded_proto_is_ignored_without_trust_proxy(served: Served) -> None:
    forwarded = {"X-Forwarded-Proto": "https"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(served.url("/"), headers=forwarded) as r,
    ):
        assert "secure" not in r.headers["Set-Cookie"].lower()


async def test_without_a_cookie_the_token_is_given_and_resumes_the_conversation(
    served: Served,
) -> None:
    async with aiohttp.ClientSession() as first, WebCitizen.connect(served, first) as citizen:
        token = citizen.conversation
        assert token is not None and len(token) >= 43
        await citizen.press("Oui")
        asked = citizen.messages[-1]["text"]
    async with aiohttp.ClientSession() as second:
        hello = {"type": "hello", "last": 0, "conversation": token}
        async with WebCitizen.connect(served, second, hello=hello) as again:
            assert again.conversation == token
            assert again.messages[-1]["text"] == asked  # the current question again


async def test_a_foreign_origin_is_refused_and_our_own_or_none_accepted(tmp_path: Path) -> None:
    settings = web_settings(tmp_path, web_origins="https://www.pas-de-calais.fr")
    async with serving(settings) as served, aiohttp.ClientSession() as session:
        own = served.url("/").rstrip("/")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(served.url("/ws"), headers={"Origin": "https://evil.example"})
        assert refused.value.status == 403
        for origin in (own, "https://www.pas-de-calais.fr", None):
            headers = {"Origin": origin} if origin else {}
            async with WebCitizen.connect(served, session, headers=headers) as citizen:
                assert citizen.messages  # welcomed


# -- refusals -----------------------------------------------------------------------------------


async def test_bad_frames_are_refused_kindly_and_the_socket_keeps_working(
    served: Served, session: aiohttp.ClientSession
) -> None:
    await _page(served, session)
    async with WebCitizen.connect(served, session) as citizen:
        await citizen.press("Oui")
        limit = served.app[ROOM].max_text
        cases = [
            ({"type": "text", "text": "x" * (limit + 1), "id": "c1"}, "too_long"),
            ({"type": "button", "value": 12, "id": "c2"}, "malformed"),
            ({"type": "teleport", "id": "c3"}, "unknown_type"),
            ({"type": "location", "latitude": 123.0, "longitude": 2.0, "id": "c4"}, "malformed"),
        ]
        for frame, reason in cases:
            (refused,) = await citizen.send(frame)
            assert refused["type"] == "refused" and refused["reason"] == reason
            assert refused["id"] == frame["id"] and refused["text"]
            if reason == "too_long":  # the limit written as people write numbers
                assert f"au plus {format_number(limit)} caractères" in refused["text"]
        for raw, reason in (("{not json", "malformed"), ("x" * 70_000, "too_long")):
            before = len(citizen.frames)
            await citizen.ws.send_str(raw)
            await citizen.until(lambda before=before: len(citizen.frames) > before)
            assert citizen.frames[-1]["reason"] == reason
        await citizen.ws.send_bytes(b"\x00\x01")
        await citizen.until(lambda: citizen.frames[-1].get("reason") == "malformed")
        said = await citizen.say("Une recyclerie pour réparer et revendre des objets")
        assert "Étape 2" in said  # the conversation went on


async def test_frames_before_hello_are_refused(served: Served) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(served.url("/ws"))
        await ws.send_json({"type": "text", "text": "Bonjour", "id": "c1"})
        refused = await ws.receive_json(timeout=10)
        assert (refused["type"], refused["reason"], refused["id"]) == ("refused", "malformed", "c1")
        await ws.send_json({"type": "hello", "last": 0})
        assert (await ws.receive_json(timeout=10))["type"] == "ready"
        await ws.close()


async def test_too_fast_is_refused_with_when_to_try_again_then_accepted(tmp_path: Path) -> None:
    # A slow refill (one token every half second): a loaded machine's pauses between the two
    # frames never give back the token that the second one must lack.
    settings = web_settings(tmp_path, web_rate_per_connection=2.0, web_burst_per_connection=2)
    async with (
        serving(settings) as served,
        aiohttp.ClientSession() as session,
        WebCitizen.connect(served, session) as citizen,  # its hello takes one token
    ):
        await citizen.ws.send_json({"type": "text", "text": "/aide", "id": "c1"})
        await citizen.ws.send_json({"type": "text", "text": "/aide", "id": "c2"})
        refused = await citizen.wait_for(lambda f: f.get("id") == "c2")
        assert refused["reason"] == "too_fast" and refused["retry_after"] > 0
        assert "patientez" in refused["text"]
        await served.idle()
        await asyncio.sleep(1.1)  # two tokens back at 2 a second (the burst is two)
        said = await citizen.send({"type": "text", "text": "/aide", "id": "c3"})
        assert not [f for f in said if f["type"] == "refused"]


async def test_every_socket_of_one_address_shares_its_pace(tmp_path: Path) -> None:
    settings = web_settings(tmp_path, web_rate_per_address=0.01, web_burst_per_address=3)
    async with (
        serving(settings) as served,
        aiohttp.ClientSession() as session,
        WebCitizen.connect(served, session) as one,
        WebCitizen.connect(served, session) as two,  # the two hellos and one text: three
    ):
        await two.ws.send_json({"type": "text", "text": "/aide", "id": "t1"})
        await two.wait_for(lambda f: f.get("id") == "t1" or f["type"] == "message")
        await one.ws.send_json({"type": "text", "text": "/aide", "id": "o1"})
        refused = await one.wait_for(lambda f: f.get("id") == "o1")
        assert refused["reason"] == "too_fast"


# -- delivery guarantees ------------------------------------------------------------------------


async def test_two_sockets_of_one_chat_both_get_each_message(
    served: Served, session: aiohttp.ClientSession
) -> None:
    await _page(served, session)
    async with WebCitizen.connect(served, session) as tab:
        shown = tab.messages[-1]["seq"]
        async with WebCitizen.connect(served, session, last=shown) as other:
            assert other.messages == []  # it showed everything already: nothing asked again
            await tab.press("Oui")
            await other.until(lambda: len(other.messages) >= 1)
            assert other.messages[-1]["seq"] == tab.messages[-1]["seq"]
            assert other.messages[-1]["text"] == tab.messages[-1]["text"]
            said = await other.say("Une recyclerie pour réparer et revendre des objets")
            assert "Étape 2" in said
            await tab.until(lambda: tab.messages[-1]["seq"] == other.messages[-1]["seq"])


async def test_a_message_not_acknowledged_comes_again_with_its_seq_after_a_reconnect(
    database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async with serving(web_settings(tmp_path, database, **_pseudonym(database))) as served:
        await _page(served, session)
        async with WebCitizen.connect(served, session) as tab:
            shown = tab.messages[-1]["seq"]
            tab.acking = False  # the tab dies before it acknowledges what comes next
            await tab.ws.send_json({"type": "button", "value": tab.button("Oui")})
            await tab.until(lambda: len(tab.messages) > 2)
            lost = tab.messages[2]
        await served.idle()
        webchat = served.app[ROOM].webchat
        assert webchat.connected(chat_ref(str(cookie_of(session))).chat_id) == 0
        async with WebCitizen.connect(served, session, last=shown) as again:
            await again.until(lambda: bool(again.messages))
            assert again.messages[0]["seq"] == lost["seq"]
            assert again.messages[0]["text"] == lost["text"]
            assert all(m["seq"] > shown for m in again.messages)  # nothing shown is repeated
            assert len({m["seq"] for m in again.messages}) == len(again.messages)


async def test_replies_waiting_at_a_restart_arrive_on_the_next_connection(
    database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    settings = web_settings(tmp_path, database, **_pseudonym(database))
    async with serving(settings) as served:
        await _page(served, session)
        async with WebCitizen.connect(served, session) as tab:
            shown = tab.messages[-1]["seq"]
            tab.acking = False
            await tab.ws.send_json({"type": "button", "value": tab.button("Oui")})
            await tab.until(lambda: len(tab.messages) > 2)
            unacknowledged = [m["seq"] for m in tab.messages if m["seq"] > shown]
    async with (
        serving(settings) as restarted,  # a new process on the same database
        WebCitizen.connect(restarted, session, last=shown) as again,
    ):
        await again.until(lambda: len(again.messages) >= len(unacknowledged))
        assert [m["seq"] for m in again.messages] == unacknowledged
        assert [m["text"] for m in again.messages] == [
            m["text"] for m in tab.messages if m["seq"] > shown
        ]


async def test_comptoir_serve_without_a_token_serves_the_chat(tmp_path: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMPTOIR_")} | {
        "PYTHONUNBUFFERED": "1",
        "COMPTOIR_PORT": str(port),
        "COMPTOIR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/serve.sqlite3",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve",
            cwd=ROOT, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    try:
        async with aiohttp.ClientSession() as session:
            page = None
            for _ in range(600):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/") as response:
                        page = await response.text()
                        break
                except aiohttp.ClientConnectionError:
                    assert process.returncode is None, log.read_text()
                    await asyncio.sleep(0.1)
            assert page is not None and "Comptoir" in page, log.read_text()
            ws = await session.ws_connect(f"http://127.0.0.1:{port}/ws")
            await ws.send_json({"type": "hello", "last": 0})
            assert (await ws.receive_json(timeout=30))["type"] == "ready"
            welcome = await ws.receive_json(timeout=30)
            assert welcome["type"] == "message" and "Bonjour" in welcome["text"]
            await ws.close()
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 20)
    assert process.returncode == 0
    assert "Traceback" not in log.read_text()


async def test_a_citizen_who_left_is_no_outage_their_replies_wait_for_their_return(
    served: Served,
) -> None:
    outbox = served.app[COMPTOIR].storage.outbox
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as away:
        await _page(served, away)
        async with WebCitizen.connect(served, away) as tab:
            tab.acking = False
            await tab.ws.send_json({"type": "button", "value": tab.button("Oui")})
            await tab.until(lambda: len(tab.messages) > 2)
        await served.idle()
        key = chat_ref(str(cookie_of(away))).key
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
            await _page(served, other)
            async with WebCitizen.connect(served, other) as present:
                await present.press("Oui")  # deliveries to others go on…
                await present.say("Une recyclerie pour réparer et revendre des objets")
        now = served.app[COMPTOIR].courier.clock()
        assert key not in await outbox.recipients("web:", now, 100)  # …and never retry them
        waiting = await outbox.queued(key, now + dt.timedelta(hours=1), 10)
        assert waiting and waiting[0].attempts == 1  # tried once, when they left
        async with WebCitizen.connect(served, away, last=tab.messages[1]["seq"]) as back:
            await back.until(lambda: len(back.messages) >= 1)
            assert back.messages[0]["seq"] == waiting[0].id


async def test_a_late_ack_from_a_slow_tab_lets_what_waited_behind_it_go(
    served: Served, session: aiohttp.ClientSession
) -> None:
    served.app[ROOM].webchat.ack_seconds = 0.3  # a tab in the background, throttled
    outbox = served.app[COMPTOIR].storage.outbox
    await _page(served, session)
    async with WebCitizen.connect(served, session) as tab:
        key = chat_ref(str(cookie_of(session))).key
        tab.acking = False
        await tab.ws.send_json({"type": "button", "value": tab.button("Oui")})
        await tab.until(lambda: len(tab.messages) > 2)
        slow = tab.messages[2]
        await served.idle()  # given up: it waits in the outbox, with what came after it
        assert (await outbox.queued(key, dt.datetime.max.replace(tzinfo=dt.UTC), 10))[0].id == (
            slow["seq"]
        )
        tab.acking = True
        await tab.ws.send_json({"type": "ack", "seq": slow["seq"]})  # it was shown after all
        await tab.until(lambda: [m["seq"] for m in tab.messages].count(slow["seq"]) == 2)
        await served.idle()
        assert await outbox.queued(key, dt.datetime.max.replace(tzinfo=dt.UTC), 10) == []


async def test_a_new_conversation_may_start_in_english(served: Served) -> None:
    async with aiohttp.ClientSession() as session:
        hello = {"type": "hello", "last": 0, "language": "en"}
        async with WebCitizen.connect(served, session, hello=hello) as citizen:
            assert citizen.messages[0]["text"].startswith("Hello, I'm Comptoir")
            assert citizen.messages[-1]["buttons"]


async def test_a_turn_that_fails_is_refused_by_its_id_and_the_message_can_be_sent_again(
    served: Served, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    await _page(served, session)
    async with WebCitizen.connect(served, session) as citizen:
        await citizen.press("Oui")
        service = served.app[COMPTOIR].conversations
        handle = service.handle
        calls = 0

        async def failing_once(inbound: Inbound) -> bool:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise ConnectionError("the database went away")
            return await handle(inbound)

        service.handle = failing_once  # type: ignore[method-assign]
        idea = "Une recyclerie pour réparer et revendre des objets"
        refused = await citizen.send({"type": "text", "text": idea, "id": "c9"})
        assert [(f["type"], f["reason"], f["id"]) for f in refused] == [
            ("refused", "unavailable", "c9")
        ]
        assert "renvoyez-le" in refused[0]["text"]
        assert "Étape 2" in await citizen.say(idea)  # sent again, it is answered
    assert idea not in caplog.text
