"""The staff's content pages over HTTP: edit, verify, create, publish, history, CSV import."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.bootstrap import Comptoir
from bot.config import Settings
from bot.core.content import SHIPPED_DIALOGS
from bot.core.editing.fields import form_values
from bot.services.clock import FRANCE
from bot.services.editing import CHANGED_MEANWHILE
from bot.web.app import COMPTOIR, create_app

Client = TestClient[web.Request, web.Application]
PASSWORD = "une phrase assez longue"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
EXPECTED = re.compile(r'name="expected" value="([^"]*)"')
DLA = "schemes/dla.yaml"
DLA_PAGE = "/conseillers/contenu/dispositifs/dla"


@dataclass
class Desk:
    """A signed-in person's HTTP client, with the page's CSRF token."""

    client: Client
    csrf: str = ""

    async def get(self, path: str) -> tuple[int, str]:
        response = await self.client.get(path, allow_redirects=False)
        body = await response.text()
        found = CSRF.search(body)
        if found:
            self.csrf = found.group(1)
        return response.status, body

    async def post(
        self, path: str, fields: Mapping[str, str | list[str]], file: str | None = None
    ) -> tuple[int, str, str]:
        form = aiohttp.FormData()
        form.add_field("csrf", self.csrf)
        for name, value in fields.items():
            for one in [value] if isinstance(value, str) else value:
                form.add_field(name, one)
        if file is not None:
            form.add_field("fichier", file.encode("utf-8"), filename="fiches.csv")
        response = await self.client.post(path, data=form, allow_redirects=False)
        return response.status, response.headers.get("Location", ""), await response.text()


@pytest.fixture
async def app(tmp_path: Path, knowledge_copy: Path) -> AsyncIterator[Client]:
    dialogs = tmp_path / "dialogs"
    shutil.copytree(SHIPPED_DIALOGS, dialogs)
    settings = Settings(
        knowledge_dir=knowledge_copy,
        dialogs_dir=dialogs,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/pages.sqlite3",
        pseudonym_key=SecretStr("5e" * 32),
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def signed_in(client: Client, email: str, role: str, counters: list[str]) -> Desk:
    comptoir = client.app[COMPTOIR]
    person, _ = await comptoir.accounts.add_person(email, "Claire Martin", role, counters)  # type: ignore[arg-type]
    await comptoir.signin.set_password(person, PASSWORD)
    desk = Desk(client)
    await desk.get("/conseillers/connexion")
    status, _, _ = await desk.post("/conseillers/connexion", {"email": email, "password": PASSWORD})
    assert status == 303
    await desk.get("/conseillers/")
    return desk


@pytest.fixture
async def staff(app: Client) -> Desk:
    return await signed_in(app, "claire@example.org", "staff", [])


def comptoir_of(desk: Desk) -> Comptoir:
    return desk.client.app[COMPTOIR]


def knowledge_dir(desk: Desk) -> Path:
    editor = comptoir_of(desk).editor
    assert editor is not None
    return editor.knowledge_dir


def dla_values(desk: Desk, **changes: str | list[str]) -> dict[str, str | list[str]]:
    editor = comptoir_of(desk).editor
    assert editor is not None
    record = editor.draft("scheme", "dla")
    assert record is not None
    values = dict(form_values(record))
    values.update(changes)
    return values


def served_dla_name(desk: Desk) -> str:
    schemes = comptoir_of(desk).content.catalog.knowledge.schemes
    return next(s.name for s in schemes if s.id == "dla")


async def test_an_edit_is_saved_with_its_comments_audited_and_served_once_published(
    staff: Desk,
) -> None:
    path = knowledge_dir(staff) / DLA
    before = path.read_text(encoding="utf-8")
    status, page = await staff.get(DLA_PAGE)
    assert status == 200 and "Dispositif local d&#39;accompagnement (DLA)" in page
    expected = EXPECTED.search(page)
    assert expected is not None

    values = dla_values(staff, name="DLA : accompagnement des structures d'utilité sociale")
    status, where, body = await staff.post(DLA_PAGE, {**values, "expected": expected.group(1)})

    assert (status, where) == (303, DLA_PAGE), re.findall(r'field-error"[^>]*>([^<]*)', body)
    after = path.read_text(encoding="utf-8")
    assert 'name: "DLA : accompagnement des structures d\'utilité sociale"' in after
    old_lines, new_lines = before.splitlines(), after.splitlines()
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert len(changed) == 1 and old_lines[changed[0]].startswith("name:")
    assert [line for line in old_lines if line.startswith("#")] == [
        line for line in new_lines if line.startswith("#")
    ]
    history = await comptoir_of(staff).storage.content_log.history("dla")
    assert [(c.action, c.author, c.path) for c in history] == [("changed", "Claire Martin", DLA)]
    assert '+name: "DLA : accompagnement' in history[0].diff
    assert served_dla_name(staff) == "Dispositif local d'accompagnement (DLA)"  # not yet

    _, listing = await staff.get("/conseillers/contenu")
    assert "1 modification enregistrée" in listing
    status, where, _ = await staff.post("/conseillers/contenu/publier", {})
    assert (status, where) == (303, "/conseillers/contenu")
    assert served_dla_name(staff) == "DLA : accompagnement des structures d'utilité sociale"
    _, listing = await staff.get("/conseillers/contenu")
    assert "Contenu publié (version 1)" in listing
    assert "Aucune modification en attente de publication." in listing


async def test_an_invalid_field_is_refused_next_to_it_in_french_and_nothing_is_written(
    staff: Desk,
) -> None:
    path = knowledge_dir(staff) / DLA
    before = path.read_text(encoding="utf-8")
    await staff.get(DLA_PAGE)
    status, _, page = await staff.post(
        DLA_PAGE, dla_values(staff, name="ab", url="pas une adresse")
    )
    assert status == 422
    assert 'id="erreur-name"' in page and 'id="erreur-url"' in page
    assert 'aria-invalid="true"' in page
    assert "La fiche n'a pas été enregistrée" in page
    assert path.read_text(encoding="utf-8") == before
    assert await comptoir_of(staff).storage.content_log.history() == []


async def test_a_form_older_than_its_file_is_refused_instead_of_overwriting(staff: Desk) -> None:
    _, page = await staff.get(DLA_PAGE)
    expected = EXPECTED.search(page)
    assert expected is not None
    first = dla_values(staff, name="Premier nom du DLA")
    assert (await staff.post(DLA_PAGE, {**first, "expected": expected.group(1)}))[0] == 303
    await staff.get(DLA_PAGE)
    second = dla_values(staff, name="Second nom du DLA")
    status, _, page = await staff.post(DLA_PAGE, {**second, "expected": expected.group(1)})
    assert status == 422
    assert CHANGED_MEANWHILE.replace("'", "&#39;") in page
    assert "Premier nom du DLA" in (knowledge_dir(staff) / DLA).read_text(encoding="utf-8")


async def test_verified_today_records_who_when_and_the_page(staff: Desk) -> None:
    await staff.get(DLA_PAGE)
    page = "https://www.associatif.gouv.fr/dla"
    status, where, _ = await staff.post(f"{DLA_PAGE}/verifie", {"page": page, "note": ""})
    assert (status, where) == (303, DLA_PAGE)
    editor = comptoir_of(staff).editor
    assert editor is not None
    record = editor.draft("scheme", "dla")
    assert record is not None and record.verified is not None
    assert record.verified.on == dt.datetime.now(FRANCE).date()
    assert record.verified.by == "Claire Martin"
    assert str(record.verified.page).rstrip("/") == page
    history = await comptoir_of(staff).storage.content_log.history("dla")
    assert history[0].action == "verified"


async def test_a_record_created_from_the_template_is_written_and_listed(staff: Desk) -> None:
    status, page = await staff.get("/conseillers/contenu/structures/nouveau")
    assert status == 200 and "<h1>Nouvelle structure</h1>" in page
    assert (
        "<h1>Nouveau dispositif</h1>"
        in (await staff.get("/conseillers/contenu/dispositifs/nouveau"))[1]
    )
    editor = comptoir_of(staff).editor
    assert editor is not None
    base = editor.draft("counter", "dla")
    assert base is not None
    values = dict(form_values(base))
    values.update(id="comptoir-test-arras", name="Comptoir d'essai d'Arras")
    status, where, _ = await staff.post("/conseillers/contenu/structures/nouveau", values)
    assert (status, where) == (303, "/conseillers/contenu/structures/comptoir-test-arras")
    created = knowledge_dir(staff) / "counters" / "comptoir-test-arras.yaml"
    assert created.is_file()
    _, listing = await staff.get("/conseillers/contenu?q=essai")
    assert "Comptoir d&#39;essai d&#39;Arras" in listing
    again = await staff.post("/conseillers/contenu/structures/nouveau", values)
    assert again[0] == 422 and "Une fiche porte déjà cet identifiant" in again[2]


async def test_a_broken_file_makes_publishing_refuse_with_its_line(staff: Desk) -> None:
    (knowledge_dir(staff) / DLA).write_text("id: dla\nname: [\n", encoding="utf-8")
    status, _, page = await staff.post("/conseillers/contenu/publier", {})
    assert status == 422
    assert "Publication refusée" in page and f"knowledge/{DLA}:" in page
    assert served_dla_name(staff) == "Dispositif local d'accompagnement (DLA)"


async def test_a_spreadsheet_shows_its_changes_first_then_applies_them_audited(
    staff: Desk,
) -> None:
    response = await staff.client.get("/conseillers/contenu/export.csv?type=dispositifs")
    assert response.status == 200
    text = (await response.read()).decode("utf-8")
    assert text.startswith("\ufeff")
    changed = text.replace("Dispositif local d'accompagnement (DLA)", "DLA, par tableur", 1)
    await staff.get("/conseillers/contenu/import")

    status, _, page = await staff.post(
        "/conseillers/contenu/import", {"type": "dispositifs"}, file=changed
    )
    assert status == 200
    assert "DLA, par tableur" in page and "Appliquer ces changements" in page
    path = knowledge_dir(staff) / DLA
    assert "DLA, par tableur" not in path.read_text(encoding="utf-8")

    status, where, _ = await staff.post(
        "/conseillers/contenu/import",
        {"type": "dispositifs", "appliquer": "1", "contenu": changed},
    )
    assert (status, where) == (303, "/conseillers/contenu")
    assert 'name: "DLA, par tableur"' in path.read_text(encoding="utf-8")
    history = await comptoir_of(staff).storage.content_log.history()
    assert [(c.record_id, c.action) for c in history] == [("dla", "imported")]


async def test_every_content_page_is_a_404_for_an_advisor(app: Client) -> None:
    advisor = await signed_in(
        app, "camille@example.org", "advisor", ["pas-de-calais-comptoirs-initiatives-citoyennes"]
    )
    for path in (
        "/conseillers/contenu",
        DLA_PAGE,
        "/conseillers/contenu/dispositifs/nouveau",
        "/conseillers/contenu/historique",
        "/conseillers/contenu/import",
        "/conseillers/contenu/export.csv?type=dispositifs",
    ):
        assert (await advisor.get(path))[0] == 404, path
    for path in (DLA_PAGE, f"{DLA_PAGE}/verifie", "/conseillers/contenu/publier"):
        assert (await advisor.post(path, {"name": "x", "page": "https://x.fr"}))[0] == 404, path
