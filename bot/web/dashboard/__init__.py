"""The advisors' dashboard (`/conseillers`): accounts, the lead list, a lead's page, CSV, team.

Server-rendered (Jinja2, autoescaped), working without JavaScript; sessions in an encrypted,
HttpOnly, SameSite=Lax cookie (Secure behind HTTPS) keyed from the pseudonym key; a CSRF token
in every form; an advisor sees only their counters' leads, anything else is the same 404.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import aiohttp_session
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.web.dashboard import access, export, knowledge, leads, observatory, team, upkeep
from bot.web.dashboard.pages import HOME, render
from bot.web.dashboard.present import day, moment
from bot.web.dashboard.session import FORBIDDEN, PATH, LateKeyedCookies, visitor
from bot.web.keys import COMPTOIR, SETTINGS

# aiohttp-session keys the request with plain strings, which aiohttp now warns about: its
# business, not ours (pyproject's pytest settings ignore the same warning from it).
warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module="aiohttp_session")
TEMPLATES = Path(__file__).resolve().parent / "templates"
COOKIES = web.AppKey("dashboard cookies", LateKeyedCookies)
SESSION_LABEL = "dashboard-session-cookie"


def add_dashboard(app: web.Application) -> None:
    """Serve the dashboard: its routes, templates, sessions and error pages."""
    public = app[SETTINGS].public_url or ""
    cookies = LateKeyedCookies(secure=public.startswith("https:"))
    app[COOKIES] = cookies
    sessions = aiohttp_session.session_middleware(cookies)

    @web.middleware
    async def dashboard_sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Sessions for the dashboard's paths only (the chat, health and webhook have none)."""
        if not request.path.startswith(PATH):
            return await handler(request)
        return await sessions(request, handler)

    app.middlewares.append(dashboard_sessions)
    app.middlewares.append(error_pages)
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["day"] = day
    environment.filters["moment"] = moment
    add = app.router
    add.add_get(PATH, home)
    add.add_get(HOME, leads.lead_list)
    add.add_get(f"{PATH}/export.csv", export.export)
    add.add_get(f"{PATH}/connexion", access.sign_in_page)
    add.add_post(f"{PATH}/connexion", access.sign_in)
    add.add_post(f"{PATH}/deconnexion", access.sign_out)
    add.add_get(f"{PATH}/premier-acces/{{token}}", access.setup_page)
    add.add_post(f"{PATH}/premier-acces/{{token}}", access.setup)
    add.add_get(f"{PATH}/invitation/{{token}}", access.invitation_page)
    add.add_post(f"{PATH}/invitation/{{token}}", access.accept_invitation)
    add.add_get(f"{PATH}/demandes/{{reference}}", leads.lead_page)
    add.add_post(f"{PATH}/demandes/{{reference}}/action", leads.act)
    add.add_post(f"{PATH}/demandes/{{reference}}/note", leads.add_note)
    add.add_post(f"{PATH}/demandes/{{reference}}/message", leads.write)
    add.add_post(f"{PATH}/demandes/{{reference}}/reaffecter", leads.reassign)
    add.add_get(f"{PATH}/equipe", team.team)
    add.add_post(f"{PATH}/equipe/inviter", team.invite)
    add.add_post(f"{PATH}/equipe/{{person}}/lien", team.new_link)
    add.add_post(f"{PATH}/equipe/{{person}}/desactiver", team.disable)
    knowledge.add_routes(add)
    upkeep.add_routes(add)
    observatory.add_routes(add)
    app.cleanup_ctx.append(dashboard_context)
    app.cleanup_ctx.append(upkeep.links_context)
    app.cleanup_ctx.append(observatory.digest_context)


async def home(request: web.Request) -> web.StreamResponse:
    """`/conseillers` is `/conseillers/`."""
    raise web.HTTPPermanentRedirect(HOME)


async def dashboard_context(app: web.Application) -> AsyncIterator[None]:
    """Key the session cookies once the storage (and its secret) is open."""
    keys = app[COMPTOIR].storage.keys
    app[COOKIES].key(bytes.fromhex(keys.of(SESSION_LABEL)))
    yield


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The dashboard's 404 and 403 as pages in French (the rest of the server is untouched)."""
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPForbidden, web.HTTPMethodNotAllowed) as error:
        if not request.path.startswith(PATH):
            raise
        visit = await visitor(request) if not isinstance(error, web.HTTPForbidden) else None
        if isinstance(error, web.HTTPForbidden):
            context = {"title": "Formulaire refusé", "text": FORBIDDEN}
        else:
            context = {
                "title": "Page introuvable",
                "text": "Cette page n'existe pas, ou elle n'est pas accessible avec votre compte.",
            }
        return await render(request, "message.html", context, visit, status=error.status)
