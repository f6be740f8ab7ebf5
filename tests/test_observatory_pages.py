"""The observatory's pages through the real application: staff only, every chart an accessible
SVG with its data table beside it, every view a CSV download, the period and territory form."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.config import Settings
from bot.core.observatory.tables import VIEWS
from bot.services.ports_advisors import Role
from bot.web.app import COMPTOIR, create_app
from tests.observatory_seed import EMAIL, seed

Client = TestClient[web.Request, web.Application]
PASSWORD = "une phrase assez longue"
STAFF, ADVISOR = "claire@example.org", "camille@example.org"
PAGE = "/conseillers/observatoire"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", re.S)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[Client]:
    """A server on a seeded SQLite file, with a staff member and an advisor."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/observatory.sqlite3",
        pseudonym_key=SecretStr("5e" * 32),
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        comptoir = client.app[COMPTOIR]
        await seed(comptoir.storage)
        people: list[tuple[str, str, Role, list[str]]] = [
            (STAFF, "Claire Dupont", "staff", []),
            (ADVISOR, "Camille Martin", "advisor", ["pas-de-calais-actif"]),
        ]
        for email, name, role, counters in people:
            person, _ = await comptoir.accounts.add_person(email, name, role, counters)
            await comptoir.signin.set_password(person, PASSWORD)
        yield client


async def signed_in(client: Client, email: str) -> Client:
    page = await (await client.get("/conseillers/connexion")).text()
    found = CSRF.search(page)
    assert found
    answer = await client.post(
        "/conseillers/connexion",
        data={"csrf": found.group(1), "email": email, "password": PASSWORD},
        allow_redirects=False,
    )
    assert answer.status == 303
    return client


async def test_staff_see_every_figure_as_a_chart_beside_its_table(app: Client) -> None:
    client = await signed_in(app, STAFF)
    response = await client.get(PAGE)
    assert response.status == 200
    page = await response.text()
    for title in ("Idées qualifiées : 18", "Le parcours, question par question", "Manques"):
        assert title in page
    drawings = SVG.findall(page)
    assert len(drawings) == 8
    for drawing in drawings:
        assert 'role="img"' in drawing and 'aria-label="' in drawing and "<title>" in drawing
        assert "<script" not in drawing and "href" not in drawing
    assert page.count('<div class="view">') == 8
    assert page.count('<table class="data">') >= 8
    assert "&lt; 5" in page  # « < 5 », escaped
    assert "<script" not in page and "http://" not in page.split("</head>")[0]
    assert "Pas-de-Calais (62)" in page and "Alimentation, circuits courts" in page
    assert "[e-mail]" in page and EMAIL not in page  # an idea's contact is masked
    assert "CPT-" not in page and "Camille" not in page.replace("Camille Martin", "")


async def test_the_form_narrows_to_a_territory_and_a_period(app: Client) -> None:
    client = await signed_in(app, STAFF)
    page = await (await client.get(f"{PAGE}?du=2026-03-01&au=2026-03-31&territoire=dep-62")).text()
    assert "Idées qualifiées : 7" in page
    assert 'value="dep-62" selected' in page
    assert "seules comptent les conversations dont la recherche a eu lieu" in page
    region = await (await client.get(f"{PAGE}?territoire=reg-32")).text()
    assert "Idées qualifiées : 16" in region and "région Hauts-de-France" in region
    ignored = await (await client.get(f"{PAGE}?territoire=dep-00&du=hier")).text()
    assert "Idées qualifiées : 18" in ignored  # what the form cannot send is ignored


async def test_every_view_downloads_as_csv_for_a_french_spreadsheet(app: Client) -> None:
    client = await signed_in(app, STAFF)
    page = await (await client.get(f"{PAGE}?territoire=dep-62")).text()
    links = set(re.findall(r'href="(/conseillers/observatoire/[a-z-]+\.csv[^"]*)"', page))
    assert {link.split(".csv")[0].rsplit("/", 1)[1] for link in links} == set(VIEWS)
    for link in sorted(links):
        response = await client.get(link.replace("&amp;", "&"))
        assert response.status == 200, link
        assert response.content_type == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        raw = await response.read()
        assert raw.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        assert rows and all(len(row) == len(rows[0]) for row in rows), link
    themes = await (await client.get(f"{PAGE}/idees-themes.csv")).read()
    assert themes.decode("utf-8-sig").splitlines() == [
        "Thème;Idées qualifiées",
        "Alimentation, circuits courts et aide alimentaire;10",
        "Culture, sport et loisirs;< 5",
        "Numérique, logiciel libre et inclusion numérique;< 5",
    ]
    ideas = (await (await client.get(f"{PAGE}/manques-idees.csv")).read()).decode("utf-8-sig")
    assert "[e-mail]" in ideas and EMAIL not in ideas
    assert (await client.get(f"{PAGE}/nimporte.csv")).status == 404


async def test_advisors_and_strangers_never_see_the_observatory(app: Client) -> None:
    stranger = await app.get(PAGE, allow_redirects=False)
    assert stranger.status == 303 and "/conseillers/connexion" in stranger.headers["Location"]
    client = await signed_in(app, ADVISOR)
    for path in (PAGE, f"{PAGE}/manques.csv", f"{PAGE}/demandes.csv?territoire=dep-62"):
        response = await client.get(path)
        assert response.status == 404, path
        assert "Page introuvable" in await response.text()
