"""Signing in and out, the first start's staff account, invitations (a password set or reset)."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from bot.services.accounts import AccountError
from bot.services.signin import LinkGone, Refused
from bot.web.chat import client_address
from bot.web.dashboard.pages import (
    HOME,
    back_to,
    form,
    local_path,
    not_found,
    render,
    sentence,
    signed_in,
)
from bot.web.dashboard.session import Visit, check_csrf, flash, sign_in_session, visitor
from bot.web.keys import COMPTOIR, SETTINGS

WRONG = "Adresse e-mail ou mot de passe incorrect."
THROTTLED = (
    "Trop d'essais infructueux : par sécurité, patientez un quart d'heure avant de réessayer. "
    "Mot de passe oublié ? Demandez un nouveau lien à l'équipe du Département."
)
LINK_GONE = (
    "Ce lien n'est plus valable : il a déjà servi, a expiré ou a été remplacé. "
    "Demandez-en un nouveau à l'équipe du Département."
)
SETUP_GONE = (
    "Ce lien de premier accès n'est plus valable : il a déjà servi, a expiré (24 heures) ou un "
    "compte de l'équipe existe déjà. Redémarrez Comptoir pour en obtenir un nouveau s'il n'existe "
    "encore aucun compte."
)


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    """The sign-in form (who is signed in already goes to the list)."""
    if await visitor(request) is not None:
        raise back_to(local_path(request.query.get("suite", HOME)))
    return await render(request, "signin.html", {"suite": request.query.get("suite", "")})


async def sign_in(request: web.Request) -> web.StreamResponse:
    """Check the password (throttled), then a fresh session."""
    fields = await form(request)
    await check_csrf(request, fields)
    email = fields.get("email", "").strip()[:254]
    suite = local_path(fields.get("suite", HOME))
    signin = request.app[COMPTOIR].signin
    outcome = await signin.sign_in(
        email, fields.get("password", ""), client_address(request, request.app[SETTINGS])
    )
    if isinstance(outcome, Refused):
        message = THROTTLED if outcome.reason == "throttled" else WRONG
        context = {"error": message, "email": email, "suite": suite}
        return await render(request, "signin.html", context, status=401)
    await sign_in_session(request, outcome.person, outcome.generation)
    await flash(request, f"Bonjour {outcome.person.first_name} !")
    raise back_to(suite)


@signed_in
async def sign_out(request: web.Request, visit: Visit) -> web.StreamResponse:
    """End this session (or every session of the person, when asked)."""
    fields = await form(request)
    if fields.get("partout") == "1":
        await request.app[COMPTOIR].signin.sign_out_everywhere(visit.person)
    (await get_session(request)).invalidate()
    response = await render(request, "signedout.html", {})
    return response


async def setup_page(request: web.Request) -> web.StreamResponse:
    """The first start's form: the first staff account (once, within 24 hours)."""
    signin = request.app[COMPTOIR].signin
    if not await signin.setup_usable(request.match_info["token"]):
        return await _gone(request, SETUP_GONE)
    return await render(request, "setup.html", {})


async def setup(request: web.Request) -> web.StreamResponse:
    """Create the first staff account, signed in at once."""
    fields = await form(request)
    await check_csrf(request, fields)
    signin = request.app[COMPTOIR].signin
    email, name = fields.get("email", "").strip(), " ".join(fields.get("name", "").split())
    try:
        signed = await signin.create_first_staff(
            request.match_info["token"],
            email,
            name,
            fields.get("password", ""),
            fields.get("confirmation", ""),
        )
    except LinkGone:
        return await _gone(request, SETUP_GONE)
    except AccountError as error:
        context = {"error": sentence(str(error)), "email": email, "name": name}
        return await render(request, "setup.html", context, status=400)
    await sign_in_session(request, signed.person, signed.generation)
    await flash(
        request, f"Bienvenue {signed.person.first_name} : votre compte de l'équipe est créé."
    )
    raise back_to(HOME)


async def invitation_page(request: web.Request) -> web.StreamResponse:
    """An invitation's form: choose a password."""
    person = await request.app[COMPTOIR].signin.invited(request.match_info["token"])
    if person is None:
        return await _gone(request, LINK_GONE)
    return await render(request, "invitation.html", {"invited": person})


async def accept_invitation(request: web.Request) -> web.StreamResponse:
    """Set the password, signed in at once (every older session ends)."""
    fields = await form(request)
    await check_csrf(request, fields)
    signin = request.app[COMPTOIR].signin
    token = request.match_info["token"]
    try:
        signed = await signin.accept_invitation(
            token, fields.get("password", ""), fields.get("confirmation", "")
        )
    except LinkGone:
        return await _gone(request, LINK_GONE)
    except AccountError as error:
        person = await signin.invited(token)
        if person is None:
            raise not_found() from error
        context = {"error": sentence(str(error)), "invited": person}
        return await render(request, "invitation.html", context, status=400)
    await sign_in_session(request, signed.person, signed.generation)
    await flash(
        request, f"C'est fait, {signed.person.first_name} : votre mot de passe est enregistré."
    )
    raise back_to(HOME)


async def _gone(request: web.Request, text: str) -> web.StreamResponse:
    """A link that no longer works: what to do instead (410)."""
    return await render(request, "message.html", {"title": "Lien expiré", "text": text}, status=410)
