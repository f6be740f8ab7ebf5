"""Publishing from outside the dashboard: `comptoir kb reload` (HTTP, authenticated) and SIGHUP.

The command line proves it runs beside the server with the deployment's secret: its token is
a keyed hash of a fixed label under the pseudonym key (`reload_token`), which only who holds
that key can compute. The answer lists the problems when the content is refused.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web

from bot.bootstrap import Comptoir
from bot.services.ports import Keyed
from bot.services.publishing import Published
from bot.web.keys import COMPTOIR

log = logging.getLogger(__name__)

RELOAD_PATH = "/interne/contenu/publier"
RELOAD_LABEL = "content-reload-token"
_HANGUPS: set[asyncio.Task[None]] = set()


def reload_token(keys: Keyed) -> str:
    """The bearer token of the reload route, derived from the deployment's secret."""
    return keys.of(RELOAD_LABEL)


async def reload_route(request: web.Request) -> web.Response:
    """Publish the content folders as they are on disk; JSON: the version, or the problems."""
    comptoir = request.app[COMPTOIR]
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    expected = reload_token(comptoir.storage.keys)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return web.json_response({"error": "jeton invalide"}, status=401)
    author = request.headers.get("X-Comptoir-Author", "ligne de commande")[:80]
    outcome = await comptoir.publisher.publish(author)
    if isinstance(outcome, Published):
        return web.json_response({"version": outcome.publication.version})
    return web.json_response({"problems": list(outcome.problems)}, status=422)


def on_hangup(app: web.Application) -> None:
    """SIGHUP: publish the folders as they are (the problems go to the log if refused)."""
    comptoir = app.get(COMPTOIR)
    if comptoir is None:  # still starting: it is loading the folders anyway
        return
    task = asyncio.get_running_loop().create_task(_republish(comptoir))
    _HANGUPS.add(task)
    task.add_done_callback(_HANGUPS.discard)


async def _republish(comptoir: Comptoir) -> None:
    outcome = await comptoir.publisher.publish("signal SIGHUP")
    if not isinstance(outcome, Published):
        for problem in outcome.problems:
            log.warning("content refused: %s", problem)
