"""`comptoir observatory`: the observatory's figures, as the staff pages show them.

`--json` prints one document (see `bot.core.observatory.document`): a count is an integer, or
the string « < 5 » for 1 to 4 people; a median or a share based on fewer than 5 leads is null.
Without it, a summary in French.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from typing import TextIO

from bot.bootstrap import Comptoir, load_content, open_stores
from bot.cli.outcome import EXIT_OK, UsageError
from bot.config import Settings
from bot.core.observatory.document import RULE, document
from bot.core.observatory.figures import Figures
from bot.core.observatory.scope import Period, Territory, UnknownTerritory
from bot.core.observatory.tables import delays
from bot.services.observatory import Observatory

SHOWN = 5  # lines of each list in the summary


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the observatory command to the parser."""
    observatory = commands.add_parser(
        "observatory",
        help="les chiffres de l'observatoire (idées, parcours, manques, demandes)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    observatory.add_argument("--from", dest="since", type=_day, help="premier jour, AAAA-MM-JJ")
    observatory.add_argument("--to", dest="until", type=_day, help="dernier jour, AAAA-MM-JJ")
    where = observatory.add_mutually_exclusive_group()
    where.add_argument("--department", help="code du département (62, 2A, 971…)")
    where.add_argument("--region", help="code INSEE de la région (32 : Hauts-de-France…)")
    observatory.add_argument("--database", help="URL SQLAlchemy de la base")
    observatory.add_argument("--json", action="store_true", help="un document JSON")
    observatory.set_defaults(run=observatory_figures)


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas une date AAAA-MM-JJ") from None


def observatory_figures(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Count the figures of the period and territory asked for, and print them."""
    period = Period(args.since, args.until)
    if period.since and period.until and period.until < period.since:
        raise UsageError("--to doit être le même jour que --from, ou après")
    if args.department:
        territory = Territory("department", args.department.upper())
    elif args.region:
        territory = Territory("region", args.region)
    else:
        territory = Territory()
    configured = settings.model_copy(
        update={"database_url": args.database or settings.database_url}
    )
    if args.knowledge:
        configured = configured.model_copy(update={"knowledge_dir": args.knowledge})

    async def count() -> Figures:
        content = load_content(configured)
        storage = await open_stores(configured)
        try:
            comptoir = Comptoir.assemble(content, storage)
            observatory = Observatory(
                lambda: comptoir.content, storage, comptoir.courier, comptoir.courier.clock
            )
            return await observatory.count(period, territory)
        finally:
            await storage.close()

    try:
        figures = asyncio.run(count())
    except UnknownTerritory as error:
        raise UsageError(str(error)) from None
    if args.json:
        print(json.dumps(document(figures), ensure_ascii=False, indent=2), file=out)
    else:
        print(summary(figures), file=out)
    return EXIT_OK


def summary(f: Figures) -> str:
    """The figures in a few French lines."""
    lines = [f"Observatoire de Comptoir, {f.period}, {f.territory}.", RULE, ""]
    ideas = f.ideas
    lines.append(f"Idées qualifiées : {ideas.total}.")
    lines += [f"  {b.label} : {b.count}" for b in ideas.themes[:SHOWN]]
    if ideas.departments:
        top = ", ".join(f"{b.label} {b.count}" for b in ideas.departments[:SHOWN])
        lines.append(f"  Départements : {top}")
    if ideas.months:
        lines.append("  Par mois : " + ", ".join(f"{b.label} {b.count}" for b in ideas.months))
    lines += ["", "Parcours (arrivées / réponses / non comprises / abandons) :"]
    lines += [
        f"  {s.label} : {s.entered} / {s.answered} / {s.invalid} / {s.abandoned}"
        for s in f.funnel.steps
    ]
    lines += ["", f"Manques (département · thème) : {len(f.gaps.cells)} croisement(s)."]
    lines += [
        f"  {g.department_label} · {g.theme_label} : {g.without_scheme} sans dispositif local, "
        f"{g.without_counter} sans structure locale"
        for g in f.gaps.cells[:SHOWN]
    ]
    if f.gaps.unheard:
        lines.append("  Réponses les plus souvent incomprises :")
        lines += [f"    « {u.text} » ({u.label}) : {u.times}" for u in f.gaps.unheard[:SHOWN]]
    lines += ["", f"Demandes : {f.leads.total}."]
    lines += [f"  {c.name} : {c.total}" for c in f.leads.counters[:SHOWN]]
    lines += [f"  {label} : {value}" for label, value in delays(f).rows]
    lines += ["", f"Auto-positionnements : {f.assessment.assessed}."]
    for marker in f.assessment.markers:
        levels = ", ".join(
            f"{name} {n}" for name, n in zip(f.assessment.scale, marker.levels, strict=True)
        )
        lines.append(f"  {marker.label} : {levels}")
    return "\n".join(lines)
