"""`comptoir serve` as an operator sees it: the lines once it listens, a port in use, JSON logs."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

import aiohttp

from tests.fakes.telegram import FakeTelegram
from tests.serve import ROOT, TOKEN, Server
from tests.telegram_stack import TelegramCitizen, free_port

CHAT_ID = 7_412_345


async def test_without_a_token_it_says_where_everything_is_and_sigterm_exits_0(
    tmp_path: Path,
) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        server = await Server.start(fake, tmp_path, token=None)
        base = server.url
        async with aiohttp.ClientSession() as session, session.get(base + "/readyz") as ready:
            assert (await ready.json())["telegram"] == "disabled"
        code, took = await server.stop()
        output = server.output()
        assert code == 0, output
        assert took < 10, output
        for line in (
            f"Comptoir is serving on {base}/",
            f"  Chat:      {base}/",
            f"  Health:    {base}/healthz  {base}/readyz",
            f"  Metrics:   {base}/metrics",
            "  Telegram:  off (set COMPTOIR_TELEGRAM_TOKEN to serve the Telegram bot)",
            f"  Database:  SQLite, {tmp_path}/serve.sqlite3",
        ):
            assert line in output.splitlines(), output
        assert "Traceback" not in output
        assert fake.calls == []  # no token: Telegram is never called


async def test_with_a_token_it_says_telegram_is_on_and_how(tmp_path: Path) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        server = await Server.start(fake, tmp_path)
        code, _ = await server.stop()
        assert code == 0
        assert "  Telegram:  on, polling" in server.output().splitlines()


async def test_a_port_in_use_is_one_clear_line_and_exit_1(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--port", str(port),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={"PATH": "/usr/bin:/bin", "COMPTOIR_DATABASE_URL":
                 f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3"},
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert out == b""
    lines = err.decode().splitlines()
    assert lines == [
        f"Le port {port} est déjà utilisé : arrêtez l'autre serveur ou choisissez "
        f"COMPTOIR_PORT / --port. / Port {port} is already in use."
    ]
    assert not (tmp_path / "db.sqlite3").exists()  # said before anything was opened


async def test_json_logs_are_one_object_a_line_without_token_chat_id_or_text(
    tmp_path: Path,
) -> None:
    idea = "Une ressourcerie solidaire rue des Capucins"
    async with FakeTelegram(token=TOKEN) as fake:
        # A tiny backlog threshold and a failing send: warnings get logged too.
        extra = {"COMPTOIR_LOG_FORMAT": "json", "COMPTOIR_READY_MAX_BACKLOG": "1"}
        server = await Server.start(fake, tmp_path, per_chat_interval=0.02, extra=extra)
        citizen = TelegramCitizen(fake, CHAT_ID)
        await citizen.say("/start")
        fake.fail_next("sendMessage", status=500, count=4)
        await citizen.press("Oui")
        await fake.wait_for(lambda: any("idée" in t for t in fake.texts(CHAT_ID)), timeout=30)
        await citizen.say(idea)
        code, _ = await server.stop()
    output = server.output()
    assert code == 0, output
    lines = output.splitlines()
    assert len(lines) > 5
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys(), entry
    messages = [entry["message"] for entry in entries]
    assert f"Chat:      {server.url}/" in messages
    assert any("not delivered on telegram" in m for m in messages), messages
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert str(CHAT_ID) not in output
    assert idea not in output and "Capucins" not in output
    assert "127.0.0.1:" not in output.replace(server.url, "")  # no client address
