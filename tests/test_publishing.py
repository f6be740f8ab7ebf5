"""Publishing content: loaded and checked aside, swapped at once, followed by every replica."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.bootstrap import Comptoir
from bot.cli import main
from bot.config import Settings
from bot.core.content import SHIPPED_DIALOGS
from bot.services.publishing import Published, Refused
from bot.web.app import COMPTOIR, create_app
from bot.web.publication import RELOAD_PATH, reload_token
from tests.clients import Citizen
from tests.contracts import POSTGRES_URL, SQL_KINDS
from tests.postgres import fresh_database
from tests.serve import Server

KEY = "5e" * 32
DLA = "schemes/dla.yaml"
DLA_NAME = 'name: "Dispositif local d\'accompagnement (DLA)"'


@pytest.fixture
def folders(tmp_path: Path, knowledge_copy: Path) -> tuple[Path, Path]:
    dialogs = tmp_path / "dialogs"
    shutil.copytree(SHIPPED_DIALOGS, dialogs)
    return knowledge_copy, dialogs


def settings_for(folders: tuple[Path, Path], url: str, **more: Any) -> Settings:
    knowledge, dialogs = folders
    return Settings(
        knowledge_dir=knowledge,
        dialogs_dir=dialogs,
        database_url=url,
        pseudonym_key=SecretStr(KEY),
        **more,
    )


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Comptoir]:
    comptoir = await Comptoir.start(settings)
    try:
        yield comptoir
    finally:
        await comptoir.close()


def rename_dla(knowledge: Path, name: str) -> None:
    path = knowledge / DLA
    text = path.read_text(encoding="utf-8")
    assert DLA_NAME in text
    path.write_text(text.replace(DLA_NAME, f'name: "{name}"'), encoding="utf-8")


def dla_name(comptoir: Comptoir) -> str:
    return next(s.name for s in comptoir.content.catalog.knowledge.schemes if s.id == "dla")


async def test_a_broken_file_keeps_the_running_content_and_names_its_line(
    tmp_path: Path, folders: tuple[Path, Path]
) -> None:
    settings = settings_for(folders, f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3")
    async with running(settings) as comptoir:
        before = comptoir.content
        path = folders[0] / DLA
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        line = next(n for n, text in enumerate(lines, 1) if text.startswith("kind:"))
        lines[line - 1] = "kind: subvention-magique\n"
        path.write_text("".join(lines), encoding="utf-8")

        outcome = await comptoir.publisher.publish("Claire Martin")

        assert isinstance(outcome, Refused)
        assert any(p.startswith(f"knowledge/{DLA}:{line}: kind:") for p in outcome.problems)
        assert comptoir.content is before
        assert comptoir.publisher.version == 0
        assert await comptoir.storage.content_log.published() is None


async def test_a_publication_is_served_from_the_next_turn_and_a_conversation_goes_on(
    tmp_path: Path, folders: tuple[Path, Path]
) -> None:
    settings = settings_for(folders, f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3")
    async with running(settings) as comptoir:
        citizen = Citizen(comptoir)
        await citizen.send("/start")
        await citizen.press("Oui")
        await citizen.send("Un jardin partagé entre voisins au pied des immeubles")
        rename_dla(folders[0], "Accompagnement DLA, nouvelle fiche")

        outcome = await comptoir.publisher.publish("Claire Martin")

        assert isinstance(outcome, Published)
        assert outcome.publication.version == 1
        assert outcome.publication.author == "Claire Martin"
        assert dla_name(comptoir) == "Accompagnement DLA, nouvelle fiche"
        # The conversation started before goes on where it was, to the results.
        await citizen.press("Valider")
        await citizen.send("Liévin")
        await citizen.press("Une association")
        await citizen.press("Ça prend forme")
        await citizen.press("Être accompagné")
        await citizen.press("Valider")
        said = await citizen.results()
        assert "Accompagnement DLA, nouvelle fiche" in said


async def test_a_changed_dialog_resumes_a_conversation_at_the_nearest_node_it_visited(
    tmp_path: Path, folders: tuple[Path, Path]
) -> None:
    settings = settings_for(folders, f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3")
    async with running(settings) as comptoir:
        citizen = Citizen(comptoir)
        await citizen.send("/start")
        await citizen.press("Oui")
        dialog = folders[1] / "qualification.yaml"
        text = dialog.read_text(encoding="utf-8")
        version = next(line for line in text.splitlines() if line.startswith("version:"))
        dialog.write_text(text.replace(version, 'version: "publication-test"'), encoding="utf-8")

        assert isinstance(await comptoir.publisher.publish("Claire Martin"), Published)
        await citizen.send("Un jardin partagé entre voisins au pied des immeubles")

        # The question on screen still exists: the idea is taken there, and the next comes.
        assert citizen.button("Valider")
        assert "Liévin" in await citizen.press("Valider") or citizen.replies


@pytest.fixture
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'replicas.sqlite3'}"
    else:
        async with fresh_database(POSTGRES_URL) as url:
            yield url


@pytest.mark.parametrize("database", SQL_KINDS, indirect=True)
async def test_every_replica_serves_a_publication_within_its_poll_interval(
    folders: tuple[Path, Path], database: str
) -> None:
    settings = settings_for(folders, database)
    async with running(settings) as first, running(settings) as second:
        following = asyncio.create_task(second.publisher.follow(0.1))
        try:
            rename_dla(folders[0], "Accompagnement DLA, publié ailleurs")
            outcome = await first.publisher.publish("Claire Martin")
            assert isinstance(outcome, Published)
            async with asyncio.timeout(30):
                while dla_name(second) != "Accompagnement DLA, publié ailleurs":
                    await asyncio.sleep(0.05)
            assert second.publisher.version == outcome.publication.version
        finally:
            following.cancel()


Client = TestClient[web.Request, web.Application]


async def test_the_reload_route_wants_the_token_and_answers_version_or_problems(
    tmp_path: Path, folders: tuple[Path, Path]
) -> None:
    settings = settings_for(folders, f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3")
    async with TestClient(TestServer(create_app(settings))) as client:
        token = reload_token(client.app[COMPTOIR].storage.keys)
        refused = await client.post(RELOAD_PATH, headers={"Authorization": "Bearer nope"})
        assert refused.status == 401
        anonymous = await client.post(RELOAD_PATH)
        assert anonymous.status == 401

        bearer = {"Authorization": f"Bearer {token}"}
        published = await client.post(RELOAD_PATH, headers=bearer)
        assert published.status == 200
        assert await published.json() == {"version": 1}

        (folders[0] / DLA).write_text("id: dla\nname: [\n", encoding="utf-8")
        broken = await client.post(RELOAD_PATH, headers=bearer)
        assert broken.status == 422
        problems = (await broken.json())["problems"]
        assert problems and all(p.startswith(f"knowledge/{DLA}:") for p in problems)


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 60) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.1)


async def test_kb_reload_and_sighup_publish_on_the_running_server(
    tmp_path: Path, folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    database = f"sqlite+aiosqlite:///{tmp_path}/serve.sqlite3"
    knowledge, dialogs = folders
    extra = {"COMPTOIR_KNOWLEDGE_DIR": str(knowledge), "COMPTOIR_DIALOGS_DIR": str(dialogs)}
    server = await Server.start(None, tmp_path, database=database, extra=extra)
    try:
        for name, value in {"DATABASE_URL": database, "PSEUDONYM_KEY": KEY, **extra}.items():
            monkeypatch.setenv(name if name.startswith("COMPTOIR_") else f"COMPTOIR_{name}", value)
        rename_dla(knowledge, "Accompagnement DLA, rechargé")
        assert await asyncio.to_thread(main, ["kb", "reload", "--url", server.url]) == 0
        assert "Contenu publié : version 1." in capsys.readouterr().out

        (knowledge / DLA).write_text("id: dla\n", encoding="utf-8")
        assert await asyncio.to_thread(main, ["kb", "reload", "--url", server.url]) == 1
        said = capsys.readouterr().out
        assert "Contenu refusé, le serveur garde le contenu en cours :" in said
        assert f"knowledge/{DLA}:1:" in said

        shutil.copy(Path(__file__).parents[1] / "knowledge" / DLA, knowledge / DLA)
        os.kill(server.process.pid, signal.SIGHUP)

        async def published() -> bool:
            return "content version 2 published" in server.output()

        await _until(published)
    finally:
        await server.stop()
