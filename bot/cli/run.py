"""`comptoir serve` (the server) and `comptoir chat` (the conversation in a terminal)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import sys
from pathlib import Path
from typing import TextIO

from bot import redaction
from bot.bootstrap import Comptoir
from bot.channels.terminal import Terminal
from bot.cli.outcome import EXIT_OK, EXIT_PROBLEMS
from bot.config import Settings

SHUTDOWN_SECONDS = 3.0  # requests in progress at SIGTERM get this long (then 10 s in all)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `serve` and `chat` to the parser."""
    serve = commands.add_parser("serve", help="serveur web et bot Telegram")
    serve.add_argument("--host", help="adresse d'écoute (sinon COMPTOIR_HOST)")
    serve.add_argument("--port", type=int, help="port d'écoute (sinon COMPTOIR_PORT)")
    serve.set_defaults(run=run_server)

    chat = commands.add_parser("chat", help="converser dans le terminal")
    chat.add_argument("--script", type=Path, help="rejouer un script (une réponse par ligne)")
    chat.add_argument("--chat-id", default="local", help="identifiant de la conversation")
    chat.add_argument("--database", help="URL SQLAlchemy de la base (sinon COMPTOIR_DATABASE_URL)")
    chat.set_defaults(run=run_chat)


def configure_logging(settings: Settings) -> None:
    """Log lines with their time and level, never a secret (see `bot.redaction`)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    redaction.install(settings.secrets())


def run_server(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run the aiohttp server (and the Telegram bot when a token is set) until stopped."""
    from aiohttp import web

    from bot.web.app import create_app
    from bot.web.telegram import TelegramUnavailable

    configure_logging(settings)
    try:
        web.run_app(
            create_app(settings),
            host=args.host or settings.host,
            port=args.port or settings.port,
            shutdown_timeout=SHUTDOWN_SECONDS,
            print=None,
        )
    except TelegramUnavailable as error:
        print(str(error), file=sys.stderr)
        return EXIT_PROBLEMS
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        port = args.port or settings.port
        print(
            f"Le port {port} est déjà utilisé : arrêtez l'autre serveur ou choisissez "
            f"COMPTOIR_PORT / --port. / Port {port} is already in use.",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    except Exception:  # through logging, so that no secret reaches the terminal
        logging.getLogger("comptoir").exception("the server stopped on an error")
        return EXIT_PROBLEMS
    return EXIT_OK


def run_chat(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """The real conversation in the terminal, on the embedded or configured database."""

    async def chat() -> None:
        configured = settings.model_copy(update={"database_url": args.database})
        comptoir = await Comptoir.start(configured if args.database else settings)
        try:
            terminal = Terminal(comptoir.conversations, comptoir.courier, out, args.chat_id)
            if args.script:
                lines = args.script.read_text(encoding="utf-8").splitlines()
                await terminal.run_script(lines)
            else:
                await terminal.run_interactive(sys.stdin)
        finally:
            await comptoir.close()

    asyncio.run(chat())
    return EXIT_OK
