"""Editing the knowledge from the command line: `kb history|reload|export|import`."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import aiohttp

from bot.bootstrap import open_stores
from bot.cli.outcome import EXIT_OK, EXIT_PROBLEMS
from bot.config import Settings
from bot.core.content import Content
from bot.core.editing.schema import RecordKind
from bot.core.editing.spreadsheet import describe, export_csv, plan_import, read_csv
from bot.services.editing import Author, Edit, Editor, Invalid
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
KIND_NAMES: dict[str, RecordKind] = {"schemes": "scheme", "counters": "counter"}


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
    export = kb.add_parser("export", help="exporter les fiches en tableur (CSV)")
    export.add_argument("--format", choices=["csv"], default="csv")
    export.add_argument("--kind", choices=list(KIND_NAMES), default="schemes")
    export.add_argument("--output", type=Path, help="fichier à écrire (par défaut : la sortie)")
    export.add_argument("--knowledge", type=Path, dest="knowledge_dir")
    export.set_defaults(run=kb_export)
    load = kb.add_parser("import", help="appliquer un tableur (CSV) exporté puis modifié")
    load.add_argument("file", type=Path)
    load.add_argument("--kind", choices=list(KIND_NAMES), help="deviné d'après les colonnes")
    load.add_argument("--dry-run", action="store_true", help="montrer les changements seulement")
    load.add_argument("--author", default="ligne de commande", help="nom gardé au journal")
    load.add_argument("--knowledge", type=Path, dest="knowledge_dir")
    load.add_argument("--database", help="URL SQLAlchemy de la base")
    load.set_defaults(run=kb_import)


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


def _folder(args: argparse.Namespace, settings: Settings) -> Path:
    chosen: Path | None = getattr(args, "knowledge_dir", None) or getattr(args, "knowledge", None)
    return chosen or settings.knowledge_dir


def _editor(folder: Path, settings: Settings, storage: Storage) -> Editor:
    def check(knowledge: Path) -> Content:
        return Content.load(knowledge, settings.dialogs_dir, settings.dialog)

    return Editor(folder, check, storage.content_log)


def kb_export(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """The records of one kind as a spreadsheet: UTF-8 with BOM, `;`, one row per record."""
    kind = KIND_NAMES[args.kind]

    async def records() -> str:
        async with _storage(args, settings) as storage:
            editor = _editor(_folder(args, settings), settings, storage)
            return export_csv(editor.drafts(kind), kind)

    text = asyncio.run(records())
    if args.output:
        args.output.write_text(text, encoding="utf-8", newline="")
        print(f"{args.output} écrit.", file=out)
    else:
        out.write(text)
    return EXIT_OK


def _guess(text: str) -> RecordKind:
    """The kind whose columns the file's header has (a scheme has a funder)."""
    header = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    return "scheme" if "funder" in header.split(";") else "counter"


def kb_import(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Print what a spreadsheet would change; without --dry-run, apply it (checked, audited)."""
    text = args.file.read_text(encoding="utf-8-sig")
    kind = KIND_NAMES[args.kind] if args.kind else _guess(text)

    async def run() -> int:
        async with _storage(args, settings) as storage:
            editor = _editor(_folder(args, settings), settings, storage)
            knowledge = Content.load(
                editor.knowledge_dir, settings.dialogs_dir, settings.dialog
            ).catalog.knowledge
            plan = plan_import(editor.drafts(kind), read_csv(text, kind), kind, knowledge)
            print(describe(plan), file=out)
            if plan.errors:
                return EXIT_PROBLEMS
            if args.dry_run:
                print("Simulation : rien n'a été enregistré.", file=out)
                return EXIT_OK
            edits = [Edit(kind, a.record_id, a.data, creating=True) for a in plan.added]
            edits += [Edit(kind, c.record_id, c.data) for c in plan.changed]
            edits += [Edit(kind, r.record_id, None) for r in plan.removed]
            outcome = await editor.save_all(edits, Author(args.author), "imported")
            if isinstance(outcome, Invalid):
                print("Import refusé, rien n'a été enregistré :", file=out)
                for problem in outcome.problems or tuple(outcome.errors.values()):
                    print(problem, file=out)
                return EXIT_PROBLEMS
            print(
                f"Import appliqué : {len(outcome.changes)} fiche(s) enregistrée(s). "
                "Publiez-les avec `comptoir kb reload`.",
                file=out,
            )
            return EXIT_OK

    return asyncio.run(run())
