"""Commands on the content staff edit: `kb check`, `dialogs check|graph`, `geo`, `themes`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any, TextIO

from bot.cli import editing, upkeep
from bot.cli.outcome import EXIT_OK, EXIT_PROBLEMS, UsageError, lines
from bot.config import Settings
from bot.core import freshness
from bot.core.advisors import load_advisor_texts
from bot.core.catalog import Catalog
from bot.core.content import ADVISORS, load_qualification
from bot.core.dialog.graph import mermaid
from bot.core.dialog.lint import load_dialog
from bot.core.knowledge import ContentError
from bot.core.resolver import Resolution


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the content commands to the parser."""
    kb = commands.add_parser("kb", help="base de connaissances").add_subparsers(
        dest="action", required=True
    )
    check = kb.add_parser("check", help="vérifier la base de connaissances")
    check.add_argument("--knowledge", type=Path, dest="knowledge_dir")
    check.add_argument("--strict", action="store_true", help="échouer aussi sur les avertissements")
    check.set_defaults(run=kb_check)
    editing.register_kb(kb)
    upkeep.register_kb(kb)

    geo = commands.add_parser("geo", help="géographie").add_subparsers(dest="action", required=True)
    build = geo.add_parser("build", help="construire la table des communes")
    build.add_argument("--from", dest="source", type=Path, required=True)
    build.add_argument("--to", dest="target", type=Path)
    build.set_defaults(run=geo_build)
    resolve = geo.add_parser("resolve", help="trouver une commune")
    resolve.add_argument("query", help="texte à résoudre, ou - pour lire une requête par ligne")
    resolve.add_argument("--json", action="store_true")
    resolve.set_defaults(run=geo_resolve)

    themes = commands.add_parser("themes", help="détecter les thèmes d'une idée")
    themes.add_argument("text", help="texte de l'idée, ou - pour lire un texte par ligne")
    themes.add_argument("--json", action="store_true")
    themes.set_defaults(run=detect_themes)

    dialogs = commands.add_parser("dialogs", help="dialogues").add_subparsers(
        dest="action", required=True
    )
    dialogs.add_parser("check", help="vérifier les dialogues").set_defaults(run=dialogs_check)
    dialogs.add_parser("graph", help="afficher l'arbre en Mermaid").set_defaults(run=dialogs_check)


def knowledge_dir(args: argparse.Namespace, settings: Settings) -> Path:
    """The knowledge folder: the command's option, the global one, or the settings'."""
    chosen: Path | None = getattr(args, "knowledge_dir", None) or args.knowledge
    return chosen or settings.knowledge_dir


def kb_check(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Load and check the knowledge base; one line per problem, then per warning."""
    today = dt.date.today()
    try:
        catalog = Catalog.load(knowledge_dir(args, settings), today=today)
    except ContentError as error:
        for problem in error.problems:
            print(problem, file=out)
        return EXIT_PROBLEMS
    except FileNotFoundError as error:
        print(f"{error.filename}:1: -: fichier introuvable", file=out)
        return EXIT_PROBLEMS
    k = catalog.knowledge
    print(
        f"Base de connaissances valide : {len(k.schemes)} dispositifs, {len(k.counters)} "
        f"structures, {len(k.themes)} thèmes, {len(k.markers.markers)} marqueurs, "
        f"{len(k.geo.communes)} communes.",
        file=out,
    )
    warned = sorted(freshness.warnings(k, today))
    for warning in warned:
        print(warning, file=out)
    if warned:
        print(
            f"{len(warned)} avertissement(s) : fiches à vérifier sur leur page officielle.",
            file=out,
        )
    return EXIT_PROBLEMS if warned and args.strict else EXIT_OK


def dialogs_check(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Lint every dialog (the citizens' one against the knowledge too), or draw them."""
    catalog = Catalog.load(knowledge_dir(args, settings))
    problems = 0
    for path in sorted(settings.dialogs_dir.glob("*.yaml")):
        try:
            if path.name == ADVISORS:
                texts = load_advisor_texts(path)
                if args.action == "check":
                    print(
                        f"{path.name} : textes des conseillers, version {texts.version}", file=out
                    )
                continue
            if path.stem == settings.dialog:
                dialog = load_qualification(path, catalog)
            else:
                dialog = load_dialog(path)
        except ContentError as error:
            for problem in error.problems:
                print(problem, file=out)
            problems += len(error.problems)
            continue
        if args.action == "graph":
            print(mermaid(dialog), file=out, end="")
        else:
            print(f"{path.name} : {len(dialog.nodes)} nœuds, version {dialog.version}", file=out)
    return EXIT_PROBLEMS if problems else EXIT_OK


def geo_build(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Build knowledge/geo/ from the raw open data."""
    from bot.geobuild import build

    source: Path = args.source
    target: Path = args.target or knowledge_dir(args, settings) / "geo"
    if not (source / "decoupage-administratif-6.0.0").is_dir():
        raise UsageError(f"{source} ne contient pas les données brutes attendues (voir README)")
    counts = build(source, target)
    for name, count in sorted(counts.items()):
        print(f"{name}\t{count}", file=out)
    return EXIT_OK


def geo_resolve(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Resolve communes, one query (or one line of input) at a time."""
    resolver = Catalog.load(knowledge_dir(args, settings)).resolver
    for line in lines(args.query):
        resolution = resolver.resolve(line)
        if args.json or args.query == "-":
            print(json.dumps(resolution_json(resolution), ensure_ascii=False), file=out)
            continue
        labels = {
            "found": "trouvée",
            "ambiguous": "plusieurs communes possibles",
            "not_found": "introuvable",
        }
        print(f"« {line} » : {labels[resolution.status]}", file=out)
        for c in resolution.candidates:
            postcodes = ", ".join(c.commune.postcodes)
            print(
                f"  {c.commune.insee}  {c.commune.name} ({c.commune.department}) "
                f"{postcodes}  [{c.matched}, score {c.score}]",
                file=out,
            )
    return EXIT_OK


def resolution_json(resolution: Resolution) -> dict[str, Any]:
    """The stable JSON shape of a resolution."""
    return {
        "query": resolution.query,
        "status": resolution.status,
        "candidates": [
            {
                "insee": c.commune.insee,
                "name": c.commune.name,
                "department": c.commune.department,
                "postcodes": list(c.commune.postcodes),
                "lat": c.commune.lat,
                "lon": c.commune.lon,
                "score": c.score,
                "matched": c.matched,
            }
            for c in resolution.candidates
        ],
    }


def detect_themes(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Detect the themes of ideas, one text (or one line of input) at a time."""
    detector = Catalog.load(knowledge_dir(args, settings)).themes
    for line in lines(args.text):
        found = detector.detect(line)
        if args.json or args.text == "-":
            themes = [
                {"slug": t.slug, "score": t.score, "evidence": list(t.evidence)} for t in found
            ]
            print(json.dumps({"text": line, "themes": themes}, ensure_ascii=False), file=out)
            continue
        if not found:
            print("Aucun thème reconnu.", file=out)
        for theme in found:
            print(f"{theme.slug}\t{theme.score}\t{', '.join(theme.evidence)}", file=out)
    return EXIT_OK
