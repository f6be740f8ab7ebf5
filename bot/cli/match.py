"""`comptoir match`: the schemes and counters for a profile, as text or as the JSON snapshot."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from bot.cli.content import knowledge_dir
from bot.cli.outcome import EXIT_OK, UsageError
from bot.config import Settings
from bot.core.content import Content
from bot.core.matching import MatchSnapshot, Profile, ProfileError, snapshot
from bot.core.models import Carrier, Language, Need, Stage
from bot.core.qualification.messages import scheme_link
from bot.services.clock import FRANCE

MARKS = {"met": "✓", "partial": "~", "unknown": "?", "not_met": "✗"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `match` to the parser."""
    match = commands.add_parser("match", help="trouver les dispositifs pour un profil")
    match.add_argument("profile", type=Path, help="fichier JSON du profil, ou - pour stdin")
    match.add_argument("--date", type=_date, default=None, help="date AAAA-MM-JJ")
    match.add_argument("--json", action="store_true")
    match.add_argument("--lang", choices=("fr", "en"), default="fr")
    match.set_defaults(run=run_match)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date invalide « {text} » (attendu AAAA-MM-JJ)") from None


def run_match(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Match a profile file (or standard input) and print the result."""
    path: Path = args.profile
    try:
        raw = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        data = json.loads(raw)
    except OSError as error:
        raise UsageError(f"impossible de lire {path} ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path} n'est pas un JSON valide (ligne {error.lineno})") from None
    profile = parse_profile(data)
    language: Language = "en" if args.lang == "en" else "fr"
    content = Content.load(knowledge_dir(args, settings), settings.dialogs_dir, settings.dialog)
    on = args.date or dt.datetime.now(FRANCE).date()
    try:
        result = content.catalog.matcher.match(profile, on, language)
    except ProfileError as error:
        raise UsageError(str(error)) from None
    view = snapshot(result, language, content.catalog.knowledge.geo.communes)
    if args.json:
        json.dump(view.model_dump(mode="json"), out, ensure_ascii=False, indent=2)
        print(file=out)
    else:
        print_match(view, content, language, out)
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


def print_match(view: MatchSnapshot, content: Content, language: Language, out: TextIO) -> None:
    """A match as text, in the citizen's words of the dialog (French or English)."""
    texts = content.dialog.texts
    words = content.catalog.knowledge.vocabulary.results
    if view.schemes:
        intro = texts.results_intro.format(
            language, commune=view.commune.name, count=len(view.schemes)
        )
        print(intro, file=out)
    if view.notice and view.schemes:  # with none, results_none says it once
        print(f"\n{view.notice}", file=out)
    for scheme in view.schemes:
        print(f"\n• {scheme.name} ({scheme.funder})", file=out)
        for criterion in scheme.criteria:
            print(f"    {MARKS[criterion.verdict]} {criterion.detail}", file=out)
        for check in scheme.checks:
            print(f"    {texts.results_check.format(language, check=check)}", file=out)
        print(f"    {scheme_link(scheme, words, language)}", file=out)
    if not view.schemes:
        print(texts.results_none.get(language), file=out)
    if view.near_misses:
        print(f"\n{texts.results_near_title.get(language)}", file=out)
        for number, near in enumerate(view.near_misses, len(view.schemes) + 1):
            line = texts.results_near.format(
                language, number=number, name=near.name, remedy=near.remedy
            )
            print(line, file=out)
    if view.counters:
        print(f"\n{texts.results_counters_title.get(language)}", file=out)
        for counter in view.counters:
            print(f"• {counter.name} — {' · '.join((*counter.reasons, *counter.notes))}", file=out)
