"""Command-line entry point: `comptoir kb check`, `geo`, `themes`, `match` and the demo."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from bot.channels.terminal import Terminal
from bot.config import Settings
from bot.core.catalog import Catalog
from bot.core.dialogs import load_dialog, mermaid
from bot.core.engine import Engine
from bot.core.geo import Resolution, Resolver
from bot.core.knowledge import ContentError
from bot.core.matching import MatchResult, Profile, ProfileError, SchemeMatch
from bot.core.models import Carrier, Need, Stage
from bot.core.themes import ThemeDetector, ThemeScore
from bot.service import RETENTION, Service, utc_now
from bot.storage.errors import DatabaseTooNew
from bot.storage.migrate import upgrade
from bot.storage.sql import SqlStore

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A request the CLI cannot honour; the message says what is allowed."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="comptoir", description=__doc__)
    parser.add_argument("--knowledge", type=Path, help="dossier de la base de connaissances")
    commands = parser.add_subparsers(dest="command", required=True)

    kb = commands.add_parser("kb", help="base de connaissances").add_subparsers(
        dest="action", required=True
    )
    check = kb.add_parser("check", help="vérifier la base de connaissances")
    check.add_argument("--knowledge", type=Path, dest="knowledge_dir")

    geo = commands.add_parser("geo", help="géographie").add_subparsers(dest="action", required=True)
    build = geo.add_parser("build", help="construire la table des communes")
    build.add_argument("--from", dest="source", type=Path, required=True)
    build.add_argument("--to", dest="target", type=Path)
    resolve = geo.add_parser("resolve", help="trouver une commune")
    resolve.add_argument("query", help="texte à résoudre, ou - pour lire une requête par ligne")
    resolve.add_argument("--json", action="store_true")

    themes = commands.add_parser("themes", help="détecter les thèmes d'une idée")
    themes.add_argument("text", help="texte de l'idée, ou - pour lire un texte par ligne")
    themes.add_argument("--json", action="store_true")

    match = commands.add_parser("match", help="trouver les dispositifs pour un profil")
    match.add_argument("profile", type=Path, help="fichier JSON du profil, ou - pour stdin")
    match.add_argument("--date", type=_date, default=None, help="date AAAA-MM-JJ")
    match.add_argument("--json", action="store_true")
    match.add_argument("--lang", choices=("fr", "en"), default="fr")

    dialogs = commands.add_parser("dialogs", help="dialogues").add_subparsers(
        dest="action", required=True
    )
    dialogs.add_parser("check", help="vérifier les dialogues")
    dialogs.add_parser("graph", help="afficher l'arbre en Mermaid")

    serve = commands.add_parser("serve", help="serveur web et bot Telegram")
    serve.add_argument("--host", help="adresse d'écoute (sinon COMPTOIR_HOST)")
    serve.add_argument("--port", type=int, help="port d'écoute (sinon COMPTOIR_PORT)")

    chat = commands.add_parser("chat", help="converser dans le terminal")
    chat.add_argument("--script", type=Path, help="rejouer un script (une réponse par ligne)")
    chat.add_argument("--chat-id", default="local", help="identifiant de la conversation")
    chat.add_argument("--database", help="URL SQLAlchemy de la base (sinon COMPTOIR_DATABASE_URL)")

    db = commands.add_parser("db", help="base de données").add_subparsers(
        dest="action", required=True
    )
    upgrade = db.add_parser("upgrade", help="mettre la base au schéma courant")
    upgrade.add_argument("--database", help="URL SQLAlchemy de la base")
    purge = db.add_parser("purge", help="effacer les conversations inactives depuis 12 mois")
    purge.add_argument("--database", help="URL SQLAlchemy de la base")
    return parser


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date invalide « {text} » (attendu AAAA-MM-JJ)") from None


def _knowledge_dir(args: argparse.Namespace, settings: Settings) -> Path:
    chosen: Path | None = getattr(args, "knowledge_dir", None) or args.knowledge
    return chosen or settings.knowledge_dir


def _catalog(args: argparse.Namespace, settings: Settings) -> Catalog:
    return Catalog.load(_knowledge_dir(args, settings))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = _parser().parse_args(argv)
    settings = Settings()
    out = sys.stdout
    try:
        if args.command == "kb":
            return _kb_check(_knowledge_dir(args, settings), out)
        if args.command == "dialogs":
            return _dialogs(args.action, settings, out)
        if args.command == "db" and args.action == "purge":
            return asyncio.run(_db_purge(args.database or settings.database_url, out))
        if args.command == "db":
            return asyncio.run(_db_upgrade(args.database or settings.database_url, out))
        if args.command == "serve":
            return _serve(settings, args.host, args.port)
        if args.command == "chat":
            return asyncio.run(_chat(args, settings))
        if args.command == "geo" and args.action == "build":
            target = args.target or _knowledge_dir(args, settings) / "geo"
            return _geo_build(args.source, target, out)
        catalog = _catalog(args, settings)
        if args.command == "geo":
            return _geo_resolve(catalog.resolver, args.query, args.json, out)
        if args.command == "themes":
            return _themes(catalog.themes, args.text, args.json, out)
        if args.command == "match":
            return _match(catalog, args.profile, args.date, args.json, args.lang, out)
        raise UsageError(f"commande inconnue : {args.command}")  # argparse already refuses it
    except ContentError as error:
        print("La base de connaissances contient des erreurs :", file=sys.stderr)
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_PROBLEMS
    except DatabaseTooNew as error:
        print(str(error), file=sys.stderr)
        return EXIT_PROBLEMS
    except UsageError as error:
        print(f"comptoir : {error}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, BrokenPipeError):  # Ctrl-C, or output piped into `head`
        return EXIT_OK


def _dialogs(action: str, settings: Settings, out: TextIO) -> int:
    problems = 0
    for path in sorted(settings.dialogs_dir.glob("*.yaml")):
        try:
            dialog = load_dialog(path)
        except ContentError as error:
            for problem in error.problems:
                print(problem, file=out)
            problems += len(error.problems)
            continue
        if action == "graph":
            print(mermaid(dialog), file=out, end="")
        else:
            print(f"{path.name} : {len(dialog.nodes)} nœuds, version {dialog.version}", file=out)
    return EXIT_PROBLEMS if problems else EXIT_OK


async def _db_upgrade(url: str, out: TextIO) -> int:
    await upgrade(url)
    print("Base de données à jour.", file=out)
    return EXIT_OK


def _serve(settings: Settings, host: str | None, port: int | None) -> int:
    """Run the aiohttp server (and the Telegram bot when a token is set) until stopped."""
    from aiohttp import web

    from bot.web.app import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    web.run_app(create_app(settings), host=host or settings.host, port=port or settings.port)
    return EXIT_OK


async def _db_purge(url: str, out: TextIO) -> int:
    """Apply the retention limit: delete conversations idle for longer than 12 months."""
    store = await SqlStore.connect(url)
    try:
        count = await store.purge(utc_now() - RETENTION)
    finally:
        await store.close()
    print(f"{count} conversation(s) inactive(s) effacée(s).", file=out)
    return EXIT_OK


async def _chat(args: argparse.Namespace, settings: Settings) -> int:
    """The real conversation in the terminal, on the embedded or configured database."""
    catalog = Catalog.load(_knowledge_dir(args, settings))
    dialog = load_dialog(settings.dialogs_dir / "qualification.yaml")
    store = await SqlStore.connect(args.database or settings.database_url)
    try:
        terminal = Terminal(Service(Engine(dialog, catalog), store), sys.stdout, args.chat_id)
        if args.script:
            lines = args.script.read_text(encoding="utf-8").splitlines()
            await terminal.run_script(lines)
        else:
            await terminal.run_interactive(sys.stdin)
    finally:
        await store.close()
    return EXIT_OK


def _kb_check(root: Path, out: TextIO) -> int:
    try:
        catalog = Catalog.load(root, today=dt.date.today())
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
    return EXIT_OK


def _geo_build(source: Path, target: Path, out: TextIO) -> int:
    from bot.geobuild import build

    if not (source / "decoupage-administratif-6.0.0").is_dir():
        raise UsageError(f"{source} ne contient pas les données brutes attendues (voir README)")
    counts = build(source, target)
    for name, count in sorted(counts.items()):
        print(f"{name}\t{count}", file=out)
    return EXIT_OK


def _lines(argument: str) -> Iterator[str]:
    if argument != "-":
        yield argument
        return
    for line in sys.stdin:
        stripped = line.rstrip("\n")
        if stripped.strip():
            yield stripped


def _resolution_json(resolution: Resolution) -> dict[str, Any]:
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


def _geo_resolve(resolver: Resolver, query: str, as_json: bool, out: TextIO) -> int:
    for line in _lines(query):
        resolution = resolver.resolve(line)
        if as_json or query == "-":
            print(json.dumps(_resolution_json(resolution), ensure_ascii=False), file=out)
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


def _themes_json(text: str, found: list[ThemeScore]) -> dict[str, Any]:
    return {
        "text": text,
        "themes": [{"slug": t.slug, "score": t.score, "evidence": list(t.evidence)} for t in found],
    }


def _themes(detector: ThemeDetector, text: str, as_json: bool, out: TextIO) -> int:
    for line in _lines(text):
        found = detector.detect(line)
        if as_json or text == "-":
            print(json.dumps(_themes_json(line, found), ensure_ascii=False), file=out)
            continue
        if not found:
            print("Aucun thème reconnu.", file=out)
        for theme in found:
            print(f"{theme.slug}\t{theme.score}\t{', '.join(theme.evidence)}", file=out)
    return EXIT_OK


def parse_profile(data: object) -> Profile:
    """Validate a profile document, with a message listing the allowed fields and values."""
    allowed_values: dict[str, str] = {
        "carrier": ", ".join(c.value for c in Carrier),
        "stage": ", ".join(s.value for s in Stage),
        "needs": ", ".join(n.value for n in Need),
    }
    try:
        return Profile.model_validate(data)
    except ValidationError as invalid:
        messages = []
        for error in invalid.errors():
            field = str(error["loc"][0]) if error["loc"] else "profil"
            if error["type"] == "extra_forbidden":
                fields = ", ".join(Profile.model_fields)
                messages.append(f"champ inconnu « {field} » ; champs permis : {fields}")
            elif field in allowed_values and error["type"] == "enum":
                messages.append(
                    f"{field} : valeur inconnue « {error['input']} » ; "
                    f"valeurs permises : {allowed_values[field]}"
                )
            elif error["type"] == "missing":
                messages.append(f"{field} : champ obligatoire manquant")
            else:
                messages.append(f"{field} : {error['msg']}")
        raise UsageError("profil invalide : " + " ; ".join(messages)) from None


def match_json(result: MatchResult) -> dict[str, Any]:
    """The stable JSON shape of a match result."""

    def scheme(m: SchemeMatch) -> dict[str, Any]:
        return {
            "id": m.scheme.id,
            "name": m.scheme.name,
            "score": m.score,
            "level": m.level.value,
            "reason": m.reason,
            "criteria": [
                {"name": a.criterion.value, "verdict": a.verdict.value, "detail": a.detail}
                for a in m.criteria
            ],
            "remedy": m.remedy,
            "checks": list(m.checks),
            "deadline": m.deadline.isoformat() if m.deadline else None,
            "url": m.scheme.url,
        }

    return {
        "commune": {"insee": result.commune.insee, "name": result.commune.name},
        "notice": result.notice,
        "schemes": [scheme(m) for m in result.schemes],
        "near_misses": [scheme(m) for m in result.near_misses],
        "counters": [
            {
                "id": c.counter.id,
                "name": c.counter.name,
                "distance_km": c.distance_km,
                "level": c.level.value,
                "reasons": list(c.reasons),
                "url": c.counter.url,
            }
            for c in result.counters
        ],
    }


def _match(
    catalog: Catalog,
    path: Path,
    on: dt.date | None,
    as_json: bool,
    language: str,
    out: TextIO,
) -> int:
    try:
        raw = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        data = json.loads(raw)
    except OSError as error:
        raise UsageError(f"impossible de lire {path} ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path} n'est pas un JSON valide (ligne {error.lineno})") from None
    profile = parse_profile(data)
    try:
        result = catalog.matcher.match(
            profile, on or dt.date.today(), "en" if language == "en" else "fr"
        )
    except ProfileError as error:
        raise UsageError(str(error)) from None
    if as_json:
        json.dump(match_json(result), out, ensure_ascii=False, indent=2)
        print(file=out)
    else:
        _print_match(result, out)
    return EXIT_OK


def _print_match(result: MatchResult, out: TextIO) -> None:
    print(f"Commune : {result.commune.name} ({result.commune.insee})", file=out)
    if result.notice:
        print(f"\n{result.notice}", file=out)
    print("\nDispositifs qui correspondent :", file=out)
    for m in result.schemes:
        print(f"  • {m.scheme.name} — {m.reason}", file=out)
        for a in m.criteria:
            mark = {"met": "✓", "unknown": "?", "not_met": "✗"}[a.verdict.value]
            print(f"      {mark} {a.detail}", file=out)
        for check in m.checks:
            print(f"      À vérifier : {check}", file=out)
        print(f"      {m.scheme.url}", file=out)
    if result.near_misses:
        print("\nPresque :", file=out)
        for m in result.near_misses:
            print(f"  • {m.scheme.name} — {m.remedy}", file=out)
    print("\nStructures qui peuvent vous recevoir :", file=out)
    for c in result.counters:
        print(f"  • {c.counter.name} — {' · '.join(c.reasons)}", file=out)


if __name__ == "__main__":
    sys.exit(main())
