"""/healthz and /readyz: JSON, 200 when the process can serve, 503 saying why it cannot."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.config import Settings
from bot.services.ports import Notice
from bot.web.app import COMPTOIR, create_app
from tests.telegram_stack import free_port

Client = TestClient[web.Request, web.Application]


@asynccontextmanager
async def serving(tmp_path: Path, **settings: Any) -> AsyncIterator[Client]:
    configured = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/health.sqlite3",
        pseudonym_key=SecretStr("5e" * 32),
        **settings,
    )
    async with TestClient(TestServer(create_app(configured))) as client:
        yield client


async def ready(client: Client) -> tuple[int, dict[str, object]]:
    response = await client.get("/readyz")
    assert response.content_type == "application/json"
    return response.status, await response.json()


async def test_healthz_says_ok_and_readyz_says_ready_with_each_part(tmp_path: Path) -> None:
    async with serving(tmp_path) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
        assert await ready(client) == (
            200,
            {
                "status": "ready",
                "database": "ok",
                "content": "ok",
                "outbox_backlog": 0,
                "telegram": "disabled",
            },
        )


async def test_a_closed_database_makes_readyz_503_unreachable(tmp_path: Path) -> None:
    async with serving(tmp_path) as client:
        await client.app[COMPTOIR].storage.database.close()
        status, body = await ready(client)
        assert status == 503
        assert body["status"] == "not ready"
        assert body["database"] == "unreachable"
        assert body["outbox_backlog"] is None
        response = await client.get("/healthz")  # the process itself is still up
        assert response.status == 200


async def test_a_backlog_over_the_threshold_makes_readyz_503(tmp_path: Path) -> None:
    async with serving(tmp_path, ready_max_backlog=2) as client:
        storage = client.app[COMPTOIR].storage
        now: Callable[[], dt.datetime] = client.app[COMPTOIR].courier.clock
        # Replies to a channel this server does not serve: they wait, due.
        for count in (1, 2):
            async with storage.conversations.chat("telegram:42") as session:
                await session.enqueue([Notice("reply", "telegram:42", {"text": "Bonjour"})], now())
            status, body = await ready(client)
            assert (status, body["outbox_backlog"], body["status"]) == (200, count, "ready")
        async with storage.conversations.chat("telegram:42") as session:
            await session.enqueue([Notice("reply", "telegram:42", {"text": "Encore"})], now())
        status, body = await ready(client)
        assert status == 503
        assert body == {
            "status": "not ready",
            "database": "ok",
            "content": "ok",
            "outbox_backlog": 3,
            "telegram": "disabled",
        }
        # The load balancer's question: the queue is the cluster's, this replica can serve.
        response = await client.get("/readyz?traffic")
        assert response.status == 200
        assert (await response.json())["outbox_backlog"] == 3


async def test_a_telegram_bot_that_has_not_started_makes_readyz_503_starting(
    tmp_path: Path,
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens there
    async with serving(
        tmp_path, telegram_token=SecretStr("5550001:AAHcomptoirTESTtokenNOTsecretXYZ0123456"),
        telegram_base_url=nowhere,
    ) as client:  # fmt: skip
        status, body = await ready(client)
        assert status == 503
        assert (body["telegram"], body["database"], body["status"]) == (
            "starting",
            "ok",
            "not ready",
        )
