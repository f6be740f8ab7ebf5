"""The advisors' dashboard as tests use it: a browser driver, and a plain HTTP client."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
from playwright.async_api import Page, expect

from tests.browser.chat import ARTIFACTS
from tests.browser.server import WebServer

PASSWORD = "une phrase assez longue"
SETUP = re.compile(r"http://\S+/conseillers/premier-acces/[\w-]+")
INVITATION = re.compile(r"http://\S+/conseillers/invitation/[\w-]+")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ARRAS_COUNTER = "Comptoirs à initiatives citoyennes du Pas-de-Calais"


def setup_link(server: WebServer) -> str:
    """The first start's link `comptoir serve` printed (the newest)."""
    found = SETUP.findall(server.output())
    assert found, f"no first-start link in:\n{server.output()}"
    return str(found[-1])


class Desk:
    """One person at the dashboard in a browser tab."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url

    async def open(self, path: str = "/conseillers/") -> None:
        """Load a dashboard page."""
        await self.page.goto(self.url + path)

    async def sign_in(self, email: str, password: str = PASSWORD) -> None:
        """Sign in from the sign-in page."""
        await self.open("/conseillers/connexion")
        await self.page.get_by_label("Adresse e-mail").fill(email)
        await self.page.get_by_label("Mot de passe").fill(password)
        await self.page.get_by_role("button", name="Se connecter").click()

    async def choose_password(self, password: str = PASSWORD) -> None:
        """Fill a password form (first start or invitation) twice and send it."""
        await self.page.get_by_label("Mot de passe", exact=False).first.fill(password)
        await self.page.get_by_label("Le même mot de passe").fill(password)

    async def create_first_staff(self, link: str, name: str, email: str) -> None:
        """Use the first start's link."""
        await self.page.goto(link)
        await self.page.get_by_label("Prénom et nom").fill(name)
        await self.page.get_by_label("Adresse e-mail").fill(email)
        await self.choose_password()
        await self.page.get_by_role("button", name="Créer le compte").click()

    async def invite(self, name: str, email: str, counter: str | None) -> str:
        """Invite an advisor of a counter (None: a staff member); the link to give them."""
        await self.open("/conseillers/equipe")
        await self.page.get_by_label("Prénom et nom").fill(name)
        await self.page.get_by_label("Adresse e-mail").fill(email)
        if counter is None:
            await self.page.get_by_label("Équipe du Département").check()
        else:
            await self.page.get_by_label("Structures").select_option(label=counter)
        await self.page.get_by_role("button", name="Créer le compte et obtenir le lien").click()
        notice = await self.page.locator(".notice").first.inner_text()
        found = INVITATION.search(notice)
        assert found, notice
        return found.group(0)

    async def accept(self, link: str, password: str = PASSWORD) -> None:
        """Use an invitation: choose the password."""
        await self.page.goto(link)
        await self.choose_password(password)
        await self.page.get_by_role("button", name="Enregistrer le mot de passe").click()

    async def find(self, text: str) -> None:
        """Search the list and open the first lead found."""
        await self.open("/conseillers/")
        await self.page.get_by_label("Rechercher").fill(text)
        await self.page.get_by_role("button", name="Filtrer").click()
        await self.page.locator(".lead .head a").first.click()

    async def press(self, label: str) -> None:
        """A lifecycle button of the lead's page."""
        await self.page.get_by_role("button", name=label, exact=True).click()

    async def note(self, text: str) -> None:
        """Add a note."""
        await self.page.get_by_label("Ajouter une note").fill(text)
        await self.page.get_by_role("button", name="Enregistrer la note").click()

    async def write(self, text: str) -> None:
        """Write to the citizen."""
        await self.page.get_by_label("Écrire à la personne").fill(text)
        await self.page.get_by_role("button", name="Envoyer à la personne").click()

    async def notice(self) -> str:
        """What the page says after a form."""
        return await self.page.locator(".notice").first.inner_text()

    async def timeline(self) -> str:
        """The lead's timeline as read."""
        return await self.page.locator(".timeline").inner_text()

    async def until_listed(self, reference: str) -> None:
        """Reload the list until a lead just filed is in it (routed through the outbox)."""
        for _ in range(100):
            await self.open("/conseillers/")
            if reference in await self.page.locator("main").inner_text():
                return
            await self.page.wait_for_timeout(100)
        raise AssertionError(f"{reference} never listed")

    async def expect_text(self, text: str) -> None:
        """Wait until the page shows this text."""
        await expect(self.page.locator("main")).to_contain_text(text)

    async def screenshot(self, name: str, full: bool = True) -> Path:
        """The page now, saved as tests/artifacts/<name>.png."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=full)
        return path


class OpenDesk(Protocol):
    """Opens the dashboard in a new browser context (its own cookies)."""

    def __call__(self, *, width: int = ..., height: int = ...) -> Awaitable[Desk]: ...


class Http:
    """A client without a browser, for the authorisation matrix: forms, cookies, statuses."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def close(self) -> None:
        """Close the connections."""
        await self.session.close()

    async def get(self, path: str) -> tuple[int, str]:
        """GET a page, redirects not followed: the status and the body."""
        async with self.session.get(self.url + path, allow_redirects=False) as response:
            body = await response.text()
        found = CSRF.search(body)
        if found:
            self.csrf = found.group(1)
        return response.status, body

    async def post(
        self, path: str, data: dict[str, str], csrf: str | None = None, **headers: str
    ) -> tuple[int, str]:
        """POST a form with the session's CSRF token (or the one given): status, Location."""
        fields = {"csrf": self.csrf if csrf is None else csrf, **data}
        async with self.session.post(
            self.url + path, data=fields, allow_redirects=False, headers=headers
        ) as response:
            await response.read()
            return response.status, response.headers.get("Location", "")

    async def sign_in(self, email: str, password: str = PASSWORD) -> int:
        """Sign in; the status (303 when signed in)."""
        await self.get("/conseillers/connexion")
        status, _ = await self.post(
            "/conseillers/connexion", {"email": email, "password": password}
        )
        await self.get("/conseillers/")  # the new session's token
        return status

    def cookie(self) -> str:
        """The session cookie's value."""
        for cookie in self.session.cookie_jar:
            if cookie.key == "comptoir_conseillers":
                return cookie.value
        return ""


async def first_staff(server: WebServer, email: str, name: str = "Claire Dupont") -> Http:
    """Create the first staff account through the printed link; signed in."""
    http = Http(server.url)
    link = urlsplit(setup_link(server)).path
    await http.get(link)
    status, where = await http.post(
        link, {"email": email, "name": name, "password": PASSWORD, "confirmation": PASSWORD}
    )
    assert status == 303 and where == "/conseillers/", (status, where)
    await http.get("/conseillers/")
    return http


async def invited(staff: Http, name: str, email: str, counter_id: str | None) -> str:
    """Staff invite someone; the path of their invitation."""
    await staff.get("/conseillers/equipe")
    data = {"name": name, "email": email, "role": "advisor" if counter_id else "staff"}
    if counter_id:
        data["counter"] = counter_id
    status, _ = await staff.post("/conseillers/equipe/inviter", data)
    assert status == 303
    _, page = await staff.get("/conseillers/equipe")
    found = INVITATION.findall(page)
    assert found, page
    return urlsplit(found[-1]).path


async def advisor_account(staff: Http, url: str, name: str, email: str, counter: str) -> Http:
    """An advisor of a counter with a password, signed in."""
    path = await invited(staff, name, email, counter)
    http = Http(url)
    await http.get(path)
    status, _ = await http.post(path, {"password": PASSWORD, "confirmation": PASSWORD})
    assert status == 303
    await http.get("/conseillers/")
    return http
