"""The lead list, one lead's page and what advisors do there: act, note, write, reassign."""

from __future__ import annotations

import secrets
from typing import NoReturn

from aiohttp import web

from bot.core.cards import contact_visible
from bot.core.leads import Action, needs_reason
from bot.services.cards import labels
from bot.services.leads import Answer
from bot.services.ports_advisors import Lead
from bot.web.dashboard.pages import back_to, form, not_found, render, signed_in, staff_only
from bot.web.dashboard.present import OPEN, PER_PAGE, STAFF_QUEUE, STATUS_NAMES, filters
from bot.web.dashboard.session import Visit, flash
from bot.web.keys import COMPTOIR

LEADS = "/conseillers/demandes/"


@signed_in
async def lead_list(request: web.Request, visit: Visit) -> web.StreamResponse:
    """The leads one may see, filtered, newest first, a page at a time."""
    comptoir = request.app[COMPTOIR]
    chosen = filters(request.query, comptoir.content)
    worklist = comptoir.worklist
    found = await worklist.page(visit.person, chosen.query(), chosen.page, PER_PAGE)
    knowledge = comptoir.content.catalog.knowledge
    if visit.person.role == "staff":
        counters = sorted((c.id, c.name) for c in knowledge.counters)
    else:
        names = {c.id: c.name for c in knowledge.counters}
        counters = [(c, names.get(c, c)) for c in visit.person.counters]
    context = {
        "page": found,
        "filters": chosen,
        "statuses": [(s.value, label) for s, label in STATUS_NAMES.items()],
        "open": OPEN,
        "staff_queue": STAFF_QUEUE,
        "counters": sorted(counters, key=lambda pair: pair[1].casefold()),
        "departments": await worklist.departments(visit.person),
        "themes": [(t.slug, t.label.fr) for t in knowledge.themes],
    }
    return await render(request, "list.html", context, visit)


async def _lead(request: web.Request, visit: Visit) -> Lead:
    """The lead of the URL, if the visitor may see it; 404 otherwise (whatever the reason)."""
    lead = await request.app[COMPTOIR].worklist.open(visit.person, request.match_info["reference"])
    if lead is None:
        raise not_found()
    return lead


@signed_in
async def lead_page(request: web.Request, visit: Visit) -> web.StreamResponse:
    """The whole lead: profile, match, contact (once taken), timeline, actions, relay."""
    comptoir = request.app[COMPTOIR]
    lead = await _lead(request, visit)
    worklist = comptoir.worklist
    view = await worklist.cards.view(lead, None)
    content = comptoir.content
    knowledge = content.catalog.knowledge
    context = {
        "lead": lead,
        "view": view,
        "labels": labels(content, lead),
        "contact_shown": contact_visible(view),
        "timeline": await worklist.timeline(lead),
        "actions": [
            (a.value, getattr(content.advisors.buttons, a.value), needs_reason(a))
            for a in worklist.allowed(visit.person, lead)
        ],
        "can_write": worklist.relay.refusal(visit.person, lead) is None,
        "form_id": secrets.token_urlsafe(12),
        "counters": sorted((c.name, c.id) for c in knowledge.counters),
        "staff": visit.person.role == "staff",
    }
    return await render(request, "lead.html", context, visit)


@signed_in
async def act(request: web.Request, visit: Visit) -> web.StreamResponse:
    """A step of the lifecycle (« Je prends »…), with its reason when it needs one."""
    lead = await _lead(request, visit)
    fields = await form(request)
    try:
        action = Action(fields.get("action", ""))
    except ValueError:
        raise web.HTTPBadRequest(text="Action inconnue.") from None
    worklist = request.app[COMPTOIR].worklist
    answer = await worklist.act(
        visit.person, lead.id, action, fields.get("words", ""), _form_id(fields)
    )
    await _answered(request, lead, answer)


@signed_in
async def add_note(request: web.Request, visit: Visit) -> web.StreamResponse:
    """A note on the timeline."""
    lead = await _lead(request, visit)
    fields = await form(request)
    worklist = request.app[COMPTOIR].worklist
    answer = await worklist.note(visit.person, lead.id, fields.get("text", ""), _form_id(fields))
    await _answered(request, lead, answer, "#suivi")


@signed_in
async def write(request: web.Request, visit: Visit) -> web.StreamResponse:
    """A message to the citizen, through the bot."""
    lead = await _lead(request, visit)
    fields = await form(request)
    worklist = request.app[COMPTOIR].worklist
    answer = await worklist.write(visit.person, lead.id, fields.get("text", ""), _form_id(fields))
    await _answered(request, lead, answer, "#suivi")


@staff_only
async def reassign(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Staff send the lead to another counter."""
    lead = await _lead(request, visit)
    fields = await form(request)
    worklist = request.app[COMPTOIR].worklist
    answer = await worklist.reassign(
        visit.person, lead, fields.get("counter", ""), fields.get("reason", "")
    )
    await _answered(request, lead, answer)


async def _answered(request: web.Request, lead: Lead, answer: Answer, anchor: str = "") -> NoReturn:
    """Back to the lead's page (Post/Redirect/Get), saying how it went."""
    if answer.text:  # none for a form sent twice: the first said it
        await flash(request, answer.text, answer.refused)
    raise back_to(LEADS + lead.reference + anchor)


def _form_id(fields: dict[str, str]) -> str:
    """The form's one-time id (a double click sends it twice: done once)."""
    given = fields.get("form", "")
    return given[:40] if given else secrets.token_urlsafe(12)
