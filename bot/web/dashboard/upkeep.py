"""The staff's upkeep page: what in the knowledge needs a look, and the link check it starts."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.core.links import LinkOutcome, link_targets
from bot.core.upkeep import KIND_NAMES, Facts, upkeep
from bot.services.clock import FRANCE
from bot.services.links import LinkChecker, LinkCheckRun
from bot.web.dashboard.pages import back_to, render, staff_only
from bot.web.dashboard.session import Visit, flash
from bot.web.keys import COMPTOIR, SETTINGS
from bot.web.probe import HttpProbe, user_agent

UPKEEP = "/conseillers/entretien"
# The process's link check; tests set their own (local addresses) before the app starts.
LINKS = web.AppKey("upkeep link check", LinkCheckRun)
PAGE_KINDS = {"scheme": "dispositifs", "counter": "structures"}  # /conseillers/contenu/<kind>/


def add_routes(router: web.UrlDispatcher) -> None:
    """Serve the upkeep page and its link check."""
    router.add_get(UPKEEP, upkeep_page)
    router.add_post(f"{UPKEEP}/liens", check_links)


async def links_context(app: web.Application) -> AsyncIterator[None]:
    """The link check of this process (after the services start); stopped with the server."""
    if LINKS not in app:
        checker = LinkChecker(HttpProbe(user_agent(app[SETTINGS].public_url)))
        app[LINKS] = LinkCheckRun(checker, app[COMPTOIR].leads.clock)
    yield
    await app[LINKS].stop()


@staff_only
async def upkeep_page(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Every section with its items, the last link check and whether one runs."""
    comptoir = request.app[COMPTOIR]
    store = comptoir.storage.upkeep
    now = comptoir.leads.clock()
    knowledge = comptoir.content.catalog.knowledge
    last = await store.last_check()
    facts = Facts(await store.staffing(), await store.matched(now), last)
    context = {
        "upkeep": upkeep(knowledge, now.astimezone(FRANCE).date(), facts),
        "last": last,
        "broken": last.count(LinkOutcome.BROKEN) if last else 0,
        "redirected": last.count(LinkOutcome.REDIRECTED) if last else 0,
        "running": await store.running_check(now),
        "addresses": len({t.url for t in link_targets(knowledge)}),
        "pages": PAGE_KINDS,
        "kinds": KIND_NAMES,
    }
    return await render(request, "upkeep.html", context, visit)


@staff_only
async def check_links(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Start checking every link of the records in the background (one check at a time)."""
    comptoir = request.app[COMPTOIR]
    targets = link_targets(comptoir.content.catalog.knowledge)
    run = request.app[LINKS]
    if await run.start(comptoir.storage.upkeep, targets, visit.person.name):
        addresses = len({t.url for t in targets})
        await flash(
            request,
            f"Vérification de {addresses} liens lancée : elle prend quelques minutes. "
            "Rechargez cette page pour voir le résultat.",
        )
    else:
        await flash(
            request,
            "Une vérification des liens est déjà en cours : attendez qu'elle se termine.",
            refused=True,
        )
    raise back_to(UPKEEP)
