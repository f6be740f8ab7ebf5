"""Editing the knowledge from the command line: `kb history|reload|export|import`."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TextIO
from zoneinfo import ZoneInfo

import aiohttp

from bot.bootstrap import open_stores
from bot.cli.outcome import EXIT_OK, EXIT_PROBLEMS
from bot.config import Settings
from bot.services.ports import Storage
from bot.services.ports_content import ContentChange
from bot.web.publication import RELOAD_PATH, reload_token

PARIS = ZoneInfo("Europe/Paris")
ACTIONS = {
    "created": "créé",
    "changed": "modifié",
    "verified": "vérifié",
    "removed": "supprimé",
    "imported": "importé",
}
KINDS = {"scheme": "dispositif", "counter": "structure"}


def register_kb(kb: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's `kb` actions."""
    history = kb.add_parser("history", help="journal des modifications du contenu")
    history.add_argument(
        "record_id", nargs="?", help="identifiant d'un dispositif ou d'une structure"
    )
    history.add_argument("--limit", type=int, default=50)
    history.add_argument("--diff", action="store_true", help="montrer aussi les différences")
    history.add_argument("--json", action="store_true")
    history.add_argument("--database", help="URL SQLAlchemy de la base")
    history.set_defaults(run=kb_history)
    reload = kb.add_parser("reload", help="publier le contenu sur le serveur en marche")
    reload.add_argument("--url", help="adresse du serveur (par défaut : COMPTOIR_HOST et PORT)")
    reload.add_argument("--database", help="URL SQLAlchemy de la base")
    reload.set_defaults(run=kb_reload)


@asynccontextmanager
async def _storage(args: argparse.Namespace, settings: Settings) -> AsyncIterator[Storage]:
    url = getattr(args, "database", None) or settings.database_url
    storage = await open_stores(settings.model_copy(update={"database_url": url}))
    try:
        yield storage
    finally:
        await storage.close()


def kb_history(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """The saved changes, newest first; with an id, that record's, with their diffs."""

    async def read() -> list[ContentChange]:
        async with _storage(args, settings) as storage:
            return await storage.content_log.history(args.record_id, max(1, args.limit))

    changes = asyncio.run(read())
    if args.json:
        rows = [
            {
                "id": c.id,
                "at": c.at.isoformat(),
                "author": c.author,
                "kind": c.kind,
                "record_id": c.record_id,
                "action": c.action,
                "path": c.path,
                "diff": c.diff,
            }
            for c in changes
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2), file=out)
        return EXIT_OK
    if not changes:
        print("Aucune modification enregistrée.", file=out)
        return EXIT_OK
    for change in changes:
        print(history_line(change), file=out)
        if args.diff or args.record_id:
            print(change.diff.rstrip("\n"), file=out)
            print(file=out)
    return EXIT_OK


def history_line(change: ContentChange) -> str:
    """« n° 12, le 03/12/2026 à 15:40, Claire Martin : dispositif x modifié (schemes/x.yaml) »."""
    at = change.at.astimezone(PARIS)
    return (
        f"n° {change.id}, le {at:%d/%m/%Y à %H:%M}, {change.author} : "
        f"{KINDS.get(change.kind, change.kind)} {change.record_id} "
        f"{ACTIONS.get(change.action, change.action)} ({change.path})"
    )


def kb_reload(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Ask the running server to publish the folders as they are on disk."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    url = (args.url or f"http://{host}:{settings.port}").rstrip("/") + RELOAD_PATH

    async def ask() -> tuple[int, dict[str, object]]:
        async with _storage(args, settings) as storage:
            token = reload_token(storage.keys)
        headers = {"Authorization": f"Bearer {token}", "X-Comptoir-Author": "ligne de commande"}
        timeout = aiohttp.ClientTimeout(total=120)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, headers=headers) as response,
        ):
            return response.status, await response.json()

    try:
        status, answer = asyncio.run(ask())
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        print(f"Le serveur ne répond pas à {url} ({error}) : est-il démarré ?", file=out)
        return EXIT_PROBLEMS
    if status == 200:
        print(f"Contenu publié : version {answer.get('version')}.", file=out)
        return EXIT_OK
    problems = answer.get("problems")
    if isinstance(problems, list):
        print("Contenu refusé, le serveur garde le contenu en cours :", file=out)
        for problem in problems:
            print(problem, file=out)
    else:
        print(f"Le serveur a refusé la demande ({status} : {answer.get('error')}).", file=out)
    return EXIT_PROBLEMS
