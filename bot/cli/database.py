"""`comptoir db upgrade|purge`: the schema, and the retention limits applied by hand."""

from __future__ import annotations

import argparse
import asyncio
from typing import TextIO

from bot.bootstrap import open_stores
from bot.cli.outcome import EXIT_OK
from bot.config import Settings
from bot.services.privacy import RetentionKeeper
from bot.storage.migrate import upgrade


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the database commands to the parser."""
    db = commands.add_parser("db", help="base de données").add_subparsers(
        dest="action", required=True
    )
    up = db.add_parser("upgrade", help="mettre la base au schéma courant")
    up.add_argument("--database", help="URL SQLAlchemy de la base")
    up.set_defaults(run=db_upgrade)
    purge = db.add_parser("purge", help="appliquer les durées de conservation")
    purge.add_argument("--database", help="URL SQLAlchemy de la base")
    purge.set_defaults(run=db_purge)


def db_upgrade(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Bring a database to the current schema."""
    asyncio.run(upgrade(args.database or settings.database_url))
    print("Base de données à jour.", file=out)
    return EXIT_OK


def db_purge(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Apply the retention limits now (`comptoir serve` also does it every day)."""

    async def purge() -> str:
        configured = settings.model_copy(update={"database_url": args.database})
        storage = await open_stores(configured if args.database else settings)
        try:
            done = await RetentionKeeper(storage.privacy).purge()
        finally:
            await storage.close()
        return (
            f"{done.conversations} conversation(s) inactive(s) effacée(s), "
            f"{done.pre_applications} demande(s) anonymisée(s), {done.events} événement(s) "
            f"et {done.notices} message(s) supprimé(s)."
        )

    print(asyncio.run(purge()), file=out)
    return EXIT_OK
