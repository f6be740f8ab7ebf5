"""The staff's upkeep list: `kb upkeep [--json] [--check-links]`, by section, with `file:line`."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.bootstrap import open_stores
from bot.cli.outcome import EXIT_OK
from bot.config import Settings
from bot.core.catalog import Catalog
from bot.core.knowledge import Knowledge
from bot.core.links import LinkOutcome, LinkReport, link_targets
from bot.core.upkeep import KIND_NAMES, Facts, Upkeep, day, upkeep
from bot.services.cards import PARIS
from bot.services.links import LinkChecker, LinkCheckRun
from bot.services.ports import Storage
from bot.web.probe import HttpProbe, user_agent

CLI_AUTHOR = "ligne de commande"


def register_kb(kb: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's `kb` actions."""
    shown = kb.add_parser("upkeep", help="ce qui demande de l'entretien dans la base")
    shown.add_argument("--knowledge", type=Path, dest="knowledge_dir")
    shown.add_argument("--database", help="URL SQLAlchemy de la base")
    shown.add_argument("--json", action="store_true")
    shown.add_argument(
        "--check-links",
        action="store_true",
        help="vérifier d'abord tous les liens des fiches (quelques minutes)",
    )
    shown.set_defaults(run=kb_upkeep)


def link_checker(settings: Settings) -> LinkChecker:
    """The checker of a check from the command line (polite limits, the real HTTP client)."""
    return LinkChecker(HttpProbe(user_agent(settings.public_url)))


def kb_upkeep(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Print the upkeep list (checking the links first with `--check-links`)."""
    chosen: Path | None = args.knowledge_dir or args.knowledge
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(PARIS).date()
    knowledge = Catalog.load(chosen or settings.knowledge_dir, today=today).knowledge
    configured = settings.model_copy(
        update={"database_url": args.database or settings.database_url}
    )

    async def work() -> tuple[Upkeep, LinkReport | None]:
        storage = await open_stores(configured)
        try:
            if args.check_links:
                await _check_links(storage, knowledge, link_checker(configured))
            store = storage.upkeep
            moment = dt.datetime.now(dt.UTC)
            links = await store.last_check()
            facts = Facts(await store.staffing(), await store.matched(moment), links)
            return upkeep(knowledge, today, facts), links
        finally:
            await storage.close()

    listed, links = asyncio.run(work())
    if args.json:
        print(json.dumps(as_json(listed, links), ensure_ascii=False, indent=2), file=out)
    else:
        for line in as_text(listed, links):
            print(line, file=out)
    return EXIT_OK


async def _check_links(storage: Storage, knowledge: Knowledge, checker: LinkChecker) -> None:
    targets = link_targets(knowledge)
    addresses = len({t.url for t in targets})
    print(f"Vérification de {addresses} liens, quelques minutes…", file=sys.stderr)
    report = await LinkCheckRun(checker).run(storage.upkeep, targets, CLI_AUTHOR)
    if report is None:
        running = await storage.upkeep.running_check(dt.datetime.now(dt.UTC))
        who = f" ({running.started_by}, {_moment(running.started_at)})" if running else ""
        print(
            f"Une vérification des liens est déjà en cours{who} : la liste montre la précédente.",
            file=sys.stderr,
        )


def as_text(listed: Upkeep, links: LinkReport | None) -> list[str]:
    """The list as staff read it in a terminal: a heading per section, a line per item."""
    lines = [
        f"Entretien de la base de connaissances au {day(listed.today)} : {_points(listed.total)}.",
        _link_summary(links),
    ]
    for part in listed.parts:
        lines += ["", f"== {part.title} ({len(part.items)}) ==", part.hint]
        if part.note:
            lines.append(part.note)
        for item in part.items:
            lines.append(
                f"{item.file}:{item.line}: {KIND_NAMES[item.kind]} « {item.name} » "
                f"({item.id}) : {item.text}"
            )
    return lines


def as_json(listed: Upkeep, links: LinkReport | None) -> dict[str, Any]:
    """The list as typed data with stable keys (`--json`)."""
    return {
        "today": listed.today.isoformat(),
        "total": listed.total,
        "link_check": None
        if links is None
        else {
            "started_at": links.started_at.isoformat(),
            "finished_at": links.finished_at.isoformat() if links.finished_at else None,
            "started_by": links.started_by,
            "links": len(links.results),
            "broken": links.count(LinkOutcome.BROKEN),
            "redirected": links.count(LinkOutcome.REDIRECTED),
        },
        "sections": [
            {
                "section": part.section.value,
                "title": part.title,
                "hint": part.hint,
                "note": part.note,
                "count": len(part.items),
                "items": [
                    {
                        "kind": item.kind,
                        "id": item.id,
                        "name": item.name,
                        "file": item.file,
                        "line": item.line,
                        "text": item.text,
                        "url": item.url,
                        "date": item.date.isoformat() if item.date else None,
                    }
                    for item in part.items
                ],
            }
            for part in listed.parts
        ],
    }


def _points(count: int) -> str:
    if count == 0:
        return "rien à revoir"
    return "1 point à revoir" if count == 1 else f"{count} points à revoir"


def _link_summary(links: LinkReport | None) -> str:
    if links is None or links.finished_at is None:
        return "Liens : jamais vérifiés (comptoir kb upkeep --check-links)."
    return (
        f"Liens vérifiés le {_moment(links.finished_at)} ({links.started_by}) : "
        f"{len(links.results)} liens, {links.count(LinkOutcome.BROKEN)} cassé(s), "
        f"{links.count(LinkOutcome.REDIRECTED)} redirigé(s)."
    )


def _moment(at: dt.datetime) -> str:
    return at.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
