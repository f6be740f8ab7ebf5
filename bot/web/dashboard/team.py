"""The staff's team page: who has access, invitations (a password set or reset), disabling."""

from __future__ import annotations

from aiohttp import web

from bot.services.accounts import AccountError
from bot.services.ports_advisors import Person, Role
from bot.services.signin import INVITATION_PATH
from bot.web.dashboard.pages import back_to, form, not_found, render, sentence, staff_only
from bot.web.dashboard.session import Visit, flash
from bot.web.keys import COMPTOIR, SETTINGS

TEAM = "/conseillers/equipe"
ROLES: dict[str, Role] = {"advisor": "advisor", "staff": "staff"}


@staff_only
async def team(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Everyone with their role, counters and state; the invitation form."""
    comptoir = request.app[COMPTOIR]
    people = await comptoir.storage.accounts.people()
    knowledge = comptoir.content.catalog.knowledge
    context = {
        "people": people,
        "counters": sorted((c.name, c.id) for c in knowledge.counters),
    }
    return await render(request, "team.html", context, visit)


@staff_only
async def invite(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Create a person and give the link that lets them choose a password."""
    comptoir = request.app[COMPTOIR]
    fields = await form(request)
    posted = await request.post()
    counters = [c for c in posted.getall("counter", []) if isinstance(c, str) and c]
    role = ROLES.get(fields.get("role", ""), "advisor")
    try:
        person, _telegram_code = await comptoir.accounts.add_person(
            fields.get("email", ""), fields.get("name", ""), role, counters
        )
        token = await comptoir.signin.invite(person)
    except AccountError as error:
        await flash(request, sentence(str(error)), refused=True)
        raise back_to(TEAM) from None
    await flash(request, _link_notice(request, person, token))
    raise back_to(TEAM)


@staff_only
async def new_link(request: web.Request, visit: Visit) -> web.StreamResponse:
    """A new invitation link for someone (a forgotten password): the older ones stop working."""
    person = await _person(request)
    try:
        token = await request.app[COMPTOIR].signin.invite(person)
    except AccountError as error:
        await flash(request, sentence(str(error)), refused=True)
        raise back_to(TEAM) from None
    await flash(request, _link_notice(request, person, token))
    raise back_to(TEAM)


@staff_only
async def disable(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Disable someone: their sessions and their Telegram buttons stop working at once."""
    person = await _person(request)
    if person.id == visit.person.id:
        await flash(request, "Vous ne pouvez pas désactiver votre propre compte.", refused=True)
        raise back_to(TEAM)
    comptoir = request.app[COMPTOIR]
    await comptoir.storage.accounts.disable(person.email, comptoir.leads.clock())
    await flash(request, f"{person.name} est désactivé(e) : ses sessions sont terminées.")
    raise back_to(TEAM)


async def _person(request: web.Request) -> Person:
    """The person of the URL (404 when there is none)."""
    number = request.match_info["person"]
    accounts = request.app[COMPTOIR].storage.accounts
    person = await accounts.person(int(number)) if number.isdigit() else None
    if person is None:
        raise not_found()
    return person


def _link_notice(request: web.Request, person: Person, token: str) -> str:
    public = request.app[SETTINGS].public_url
    base = public.rstrip("/") if public else f"{request.scheme}://{request.host}"
    return (
        f"Lien personnel pour {person.name}, valable 7 jours et une seule fois, à lui "
        f"transmettre (il permet de choisir son mot de passe) : {base}{INVITATION_PATH}{token}"
    )
