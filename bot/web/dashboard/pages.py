"""How every dashboard page is made: who may see it, the template, the headers, the 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import wraps
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web

from bot.web.dashboard.present import Words
from bot.web.dashboard.session import PATH, Visit, check_csrf, csrf_token, notices, visitor
from bot.web.keys import COMPTOIR

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SignedInHandler = Callable[[web.Request, Visit], Awaitable[web.StreamResponse]]
SIGN_IN = f"{PATH}/connexion"
FORM = web.RequestKey("dashboard form", dict[str, str])
HOME = f"{PATH}/"


async def render(
    request: web.Request,
    template: str,
    context: Mapping[str, object],
    visit: Visit | None = None,
    status: int = 200,
) -> web.Response:
    """A page from its template, with what every page shows (who, notices, the CSRF token)."""
    comptoir = request.app[COMPTOIR]
    people = {p.id: p for p in await comptoir.storage.accounts.people()} if visit else {}
    page = {
        "visit": visit,
        "csrf": visit.csrf if visit else await csrf_token(request),
        "notices": await notices(request),
        "words": Words(comptoir.content, people),
        "path": request.path,
        **context,
    }
    response = aiohttp_jinja2.render_template(template, request, page, status=status)
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a browser
    # Forms then carry their true Origin (checked), and no address leaves for another site.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def signed_in(handler: SignedInHandler) -> Handler:
    """Only for who is signed in: the others go to the sign-in page, then back here."""

    @wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        visit = await visitor(request)
        if visit is None:
            back = request.path_qs if request.method == "GET" else HOME
            raise web.HTTPSeeOther(f"{SIGN_IN}?suite={quote(back, safe='')}")
        if request.method == "POST":
            await check_csrf(request, await form(request))
        return await handler(request, visit)

    return guarded


def staff_only(handler: SignedInHandler) -> Handler:
    """Only for the staff; for anyone else the page does not exist (404)."""

    async def staff(request: web.Request, visit: Visit) -> web.StreamResponse:
        if visit.person.role != "staff":
            raise not_found()
        return await handler(request, visit)

    return signed_in(wraps(handler)(staff))


async def form(request: web.Request) -> dict[str, str]:
    """A posted form's text fields (read once, kept on the request)."""
    if FORM in request:
        return request[FORM]
    posted = await request.post()
    fields = {k: v for k, v in posted.items() if isinstance(v, str)}
    request[FORM] = fields
    return fields


def not_found() -> web.HTTPNotFound:
    """The answer for what does not exist, or is not the visitor's to see: the same 404."""
    return web.HTTPNotFound()


def back_to(path: str) -> web.HTTPSeeOther:
    """After a form, to a page (Post/Redirect/Get: a reload never sends it again)."""
    return web.HTTPSeeOther(path)


def sentence(text: str) -> str:
    """A service's message as a sentence: « le mot de passe… » → « Le mot de passe…. »."""
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def local_path(target: str) -> str:
    """A redirect target kept on the dashboard (never another site)."""
    if target.startswith(PATH + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME
