"""`comptoir users|counters|leads`: advisors and staff, their link codes, the leads they work."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TextIO, TypeAlias

from bot.bootstrap import Comptoir, load_content, open_stores
from bot.cli.invitations import invitation_lines, invitation_url
from bot.cli.outcome import EXIT_OK, EXIT_PROBLEMS, UsageError
from bot.config import Settings
from bot.core.leads import Status
from bot.services.accounts import CODE_VALID, AccountError
from bot.services.cards import PARIS, directory, worded
from bot.services.ports_advisors import Lead, Person
from bot.services.signin import check_password

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
ACTORS = {"system": "Comptoir", "cli": "ligne de commande", "citizen": "la personne"}
ROLE_NAMES = {"advisor": "conseiller", "staff": "équipe du Département"}


def register(commands: Parsers) -> None:
    """Add the people, counters and leads commands to the parser."""
    users = commands.add_parser("users", help="conseillers et équipe du Département")
    people = users.add_subparsers(dest="action", required=True)
    add = _with_database(people.add_parser("add", help="créer une personne et son code Telegram"))
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True, help="« Prénom Nom »")
    add.add_argument("--role", required=True, choices=["advisor", "staff"])
    add.add_argument("--counter", action="append", default=[], help="identifiant de structure")
    add.add_argument("--json", action="store_true")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="mot de passe du tableau de bord, lu sur l'entrée standard (scripts, tests)",
    )
    add.add_argument(
        "--invite",
        action="store_true",
        help="donner le lien qui permet de choisir le mot de passe du tableau de bord",
    )
    add.set_defaults(run=users_add)
    invite = _with_database(
        people.add_parser("invite", help="nouveau lien de mot de passe du tableau de bord")
    )
    invite.add_argument("email")
    invite.add_argument("--json", action="store_true")
    invite.set_defaults(run=users_invite)
    listing = _with_database(people.add_parser("list", help="lister les personnes"))
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=users_list)
    disable = _with_database(people.add_parser("disable", help="désactiver une personne"))
    disable.add_argument("email")
    disable.set_defaults(run=users_disable)

    counters = commands.add_parser("counters", help="structures et leurs groupes Telegram")
    actions = counters.add_subparsers(dest="action", required=True)
    code = _with_database(actions.add_parser("link-code", help="code pour lier un groupe"))
    code.add_argument("counter_id", nargs="?", help="identifiant de la structure")
    code.add_argument("--staff", action="store_true", help="le groupe de l'équipe du Département")
    code.add_argument("--json", action="store_true")
    code.set_defaults(run=counters_link_code)
    known = _with_database(actions.add_parser("list", help="structures, groupes et conseillers"))
    known.add_argument("--json", action="store_true")
    known.set_defaults(run=counters_list)

    leads = commands.add_parser("leads", help="demandes reçues par les structures")
    steps = leads.add_subparsers(dest="action", required=True)
    shown = _with_database(steps.add_parser("list", help="lister les demandes"))
    shown.add_argument("--status", choices=[s.value for s in Status])
    shown.add_argument("--counter", help="identifiant de structure")
    shown.add_argument("--json", action="store_true")
    shown.set_defaults(run=leads_list)
    show = _with_database(steps.add_parser("show", help="une demande et son historique"))
    show.add_argument("reference")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=leads_show)
    assign = _with_database(steps.add_parser("assign", help="réaffecter une demande"))
    assign.add_argument("reference")
    assign.add_argument("counter_id")
    assign.add_argument("--reason", default="", help="pourquoi (affiché aux conseillers)")
    assign.set_defaults(run=leads_assign)


def _with_database(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--database", help="URL SQLAlchemy de la base")
    return parser


@asynccontextmanager
async def _opened(args: argparse.Namespace, settings: Settings) -> AsyncIterator[Comptoir]:
    configured = settings.model_copy(
        update={"database_url": args.database or settings.database_url}
    )
    if getattr(args, "knowledge", None):
        configured = configured.model_copy(update={"knowledge_dir": args.knowledge})
    content = load_content(configured)
    storage = await open_stores(configured)
    comptoir = Comptoir.assemble(content, storage)
    try:
        yield comptoir
    finally:
        await storage.close()


def _run(
    args: argparse.Namespace, settings: Settings, work: Callable[[Comptoir], Awaitable[int]]
) -> int:
    async def main() -> int:
        async with _opened(args, settings) as comptoir:
            return await work(comptoir)

    try:
        return asyncio.run(main())
    except AccountError as error:
        raise UsageError(str(error)) from None


def _print_json(data: Any, out: TextIO) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=_json_value), file=out)


def _json_value(value: object) -> str:
    """Instants as ISO 8601 (« 2026-12-01T09:00:00+00:00 »), anything else as text."""
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


def _missing(text: str) -> int:
    """Say what was not found, on stderr; the exit code of a lookup that found nothing."""
    print(text, file=sys.stderr)
    return EXIT_PROBLEMS


# -- users --------------------------------------------------------------------------------------


def users_add(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Create a person and print their one-time Telegram link code."""

    password = _password_from_stdin() if args.password_stdin else None
    if password is not None:
        try:
            check_password(password, password, args.email)
        except AccountError as error:
            print(f"Mot de passe refusé : {error}.", file=sys.stderr)
            return EXIT_PROBLEMS

    async def work(comptoir: Comptoir) -> int:
        person, code = await comptoir.accounts.add_person(
            args.email, args.name, args.role, args.counter
        )
        if password is not None:
            await comptoir.signin.set_password(person, password)
        url = await invitation_url(comptoir, settings, person) if args.invite else None
        if args.json:
            data = {"id": person.id, "email": person.email, "role": person.role}
            data |= {"counters": list(person.counters), "telegram_code": code}
            data |= {"password_set": password is not None, "invitation_url": url}
            _print_json(data, out)
            return EXIT_OK
        print(f"{person.name} <{person.email}> : {ROLE_NAMES[person.role]}.", file=out)
        if person.counters:
            print("Structures : " + ", ".join(person.counters), file=out)
        print(_code_lines(code, "à écrire au bot en message privé"), file=out)
        if password is not None:
            print("Mot de passe du tableau de bord enregistré.", file=out)
        if url is not None:
            print(invitation_lines(url), file=out)
        return EXIT_OK

    return _run(args, settings, work)


def _password_from_stdin() -> str:
    """The first line of standard input, without its line ending (never an argument)."""
    return sys.stdin.readline().rstrip("\r\n")


def users_list(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Everyone, with their role, counters and whether their Telegram is linked."""

    async def work(comptoir: Comptoir) -> int:
        people = await comptoir.storage.accounts.people()
        if args.json:
            _print_json([_person_json(p) for p in people], out)
            return EXIT_OK
        if not people:
            print("Personne pour l'instant : `comptoir users add …`.", file=out)
        for p in people:
            linked = "Telegram lié" if p.telegram_user_id is not None else "Telegram non lié"
            state = "désactivé(e)" if not p.active else linked
            counters = ", ".join(p.counters) or "—"
            print(f"{p.email}\t{p.name}\t{ROLE_NAMES[p.role]}\t{counters}\t{state}", file=out)
        return EXIT_OK

    return _run(args, settings, work)


def users_invite(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """A new dashboard link for someone (a first password, or a forgotten one)."""

    async def work(comptoir: Comptoir) -> int:
        person = await comptoir.storage.accounts.person_by_email(args.email)
        if person is None:
            return _missing(f"Aucune personne n'a l'e-mail « {args.email} ».")
        url = await invitation_url(comptoir, settings, person)
        if args.json:
            _print_json({"email": person.email, "invitation_url": url}, out)
        else:
            print(invitation_lines(url), file=out)
        return EXIT_OK

    return _run(args, settings, work)


def users_disable(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Disable a person: their buttons and commands stop working, their history stays."""

    async def work(comptoir: Comptoir) -> int:
        person = await comptoir.storage.accounts.disable(args.email, comptoir.leads.clock())
        if person is None:
            return _missing(f"Aucune personne n'a l'e-mail « {args.email} ».")
        print(f"{person.name} est désactivé(e).", file=out)
        return EXIT_OK

    return _run(args, settings, work)


def _person_json(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "email": person.email,
        "name": person.name,
        "role": person.role,
        "counters": list(person.counters),
        "telegram_linked": person.telegram_user_id is not None,
        "active": person.active,
    }


def _code_lines(code: str, where: str) -> str:
    days = CODE_VALID.days
    return (
        f"Code à usage unique, valable {days} jours ({where}) :\n"
        f"  /lier {code}\n"
        "Transmettez-le par un canal sûr : il ne sera plus affiché."
    )


# -- counters -----------------------------------------------------------------------------------


def counters_link_code(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """A one-time code that links a Telegram group to a counter, or as the staff group."""
    if args.staff == bool(args.counter_id):
        raise UsageError("donnez l'identifiant d'une structure, ou --staff (pas les deux)")

    async def work(comptoir: Comptoir) -> int:
        code = await comptoir.accounts.counter_code(None if args.staff else args.counter_id)
        if args.json:
            _print_json({"code": code}, out)
            return EXIT_OK
        print(
            _code_lines(code, "à écrire dans le groupe Telegram, où le bot a été ajouté"), file=out
        )
        return EXIT_OK

    return _run(args, settings, work)


def counters_list(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """The counters of the knowledge base, with their linked groups and advisors."""

    async def work(comptoir: Comptoir) -> int:
        linked = await directory(comptoir.storage.accounts)
        staffed = linked.staffed()
        rows = [
            {
                "id": c.id,
                "name": c.name,
                "groups": [g.chat_id for g in linked.groups if g.counter_id == c.id],
                "advisors": [p.email for p in linked.people if c.id in p.counters and p.active],
                "receives_leads": c.id in staffed,
            }
            for c in comptoir.content.catalog.knowledge.counters
        ]
        if args.json:
            _print_json(rows, out)
            return EXIT_OK
        for row in rows:
            how = "reçoit les demandes" if row["receives_leads"] else "aucun conseiller lié"
            print(f"{row['id']}\t{row['name']}\t{how}", file=out)
        return EXIT_OK

    return _run(args, settings, work)


# -- leads --------------------------------------------------------------------------------------


def leads_list(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Leads, newest first, by status and counter."""

    async def work(comptoir: Comptoir) -> int:
        statuses = [args.status] if args.status else None
        leads = await comptoir.storage.leads.leads(statuses, args.counter)
        if args.json:
            _print_json([_lead_summary(lead) for lead in leads], out)
            return EXIT_OK
        if not leads:
            print("Aucune demande.", file=out)
        for lead in leads:
            when = lead.created_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
            counter = lead.counter_id or "(équipe du Département)"
            commune = lead.filing.snapshot.commune.name
            print(f"{lead.reference}\t{when}\t{lead.status}\t{counter}\t{commune}", file=out)
        return EXIT_OK

    return _run(args, settings, work)


def leads_show(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """One lead: its profile, its assignment and why, its status, its timeline."""

    async def work(comptoir: Comptoir) -> int:
        lead = await comptoir.storage.leads.find(args.reference.upper())
        if lead is None:
            return _missing(f"Aucune demande « {args.reference} ».")
        events = await comptoir.storage.leads.events(lead.id)
        taker = await comptoir.storage.accounts.person(lead.taken_by) if lead.taken_by else None
        data = {
            **_lead_summary(lead),
            "reason": lead.reason,
            "assigned_at": lead.assigned_at,
            "taken_by": taker.name if taker else None,
            "excluded": list(lead.excluded),
            "profile": lead.filing.profile.model_dump(mode="json"),
            "idea": lead.filing.idea,
            "timeline": [
                {"at": e.at, "kind": e.kind, "actor": e.actor, "detail": e.detail} for e in events
            ],
        }
        if args.json:
            _print_json(data, out)
            return EXIT_OK
        print(await comptoir.cards.text(lead), file=out)
        print("Historique :", file=out)
        names = {c.id: c.name for c in comptoir.content.catalog.knowledge.counters}
        people = {f"person:{p.id}": p.name for p in await comptoir.storage.accounts.people()}
        for e in events:
            when = e.at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
            said = worded(e, comptoir.content, names)
            print(
                f"  {when}  {said}  — {people.get(e.actor, ACTORS.get(e.actor, e.actor))}", file=out
            )
        return EXIT_OK

    return _run(args, settings, work)


def leads_assign(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Reassign a lead to another counter (its advisors get the card when `serve` runs)."""

    async def work(comptoir: Comptoir) -> int:
        if await comptoir.storage.leads.find(args.reference.upper()) is None:
            return _missing(f"Aucune demande « {args.reference} ».")
        answer = await comptoir.leads.reassign(
            args.reference.upper(), args.counter_id, args.reason, None
        )
        if answer.refused:
            return _missing(answer.text or "")
        print(answer.text, file=out)
        return EXIT_OK

    return _run(args, settings, work)


def _lead_summary(lead: Lead) -> dict[str, Any]:
    commune = lead.filing.snapshot.commune
    return {
        "reference": lead.reference,
        "status": lead.status,
        "counter_id": lead.counter_id,
        "created_at": lead.created_at,
        "commune": {"insee": commune.insee, "name": commune.name, "department": commune.department},
        "forgotten": lead.chat_key is None,
    }
