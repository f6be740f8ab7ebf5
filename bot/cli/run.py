"""`comptoir serve` (the server) and `comptoir chat` (the conversation in a terminal)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot import logs
from bot.bootstrap import Comptoir
from bot.channels.terminal import Terminal
from bot.cli.outcome import EXIT_OK, EXIT_PROBLEMS
from bot.config import Settings
from bot.core.knowledge import ContentError
from bot.storage.errors import DatabaseTooNew, MissingSecret

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("comptoir")


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


def run_server(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Serve the web app (and the Telegram bot when a token is set) until SIGTERM or SIGINT.

    The port is bound first (a port in use is said at once, before the content loads), the
    lines saying where everything is are printed once it listens, and a stop has one budget
    (`bot.web.shutdown`): exit 0 within 10 s, whatever is in flight.
    """
    from bot.web.app import create_app
    from bot.web.telegram import TelegramUnavailable

    logs.configure(settings.log_format, settings.secrets())
    host, port = args.host or settings.host, args.port or settings.port
    try:
        listening = bind(host, port)
    except OSError as error:
        print(_unbound(host, port, error), file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        return asyncio.run(serve(create_app(settings), listening, out))
    except TelegramUnavailable as error:
        print(str(error), file=sys.stderr)
        return EXIT_PROBLEMS
    except OSError as error:
        if error.errno == errno.EADDRINUSE:  # another server took it between bind and listen
            print(_unbound(host, port, error), file=sys.stderr)
        else:  # the database or Telegram cannot be reached, a file cannot be read…
            log.error("the server could not start: %s: %s", type(error).__name__, error)
        return EXIT_PROBLEMS
    except (ContentError, DatabaseTooNew, MissingSecret):
        raise  # said in one line by the command line (`bot.cli.main`)
    except Exception:  # through logging, so that no secret reaches the terminal
        log.exception("the server stopped on an error")
        return EXIT_PROBLEMS
    finally:
        listening.close()


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to the address (not listening yet: connections are refused)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    listening = socket.socket(family, kind, proto)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restarts: TIME_WAIT
        listening.bind(address)
    except BaseException:
        listening.close()
        raise
    return listening


def _unbound(host: str, port: int, error: OSError) -> str:
    """The one line that says why the server cannot listen."""
    if error.errno == errno.EADDRINUSE:
        return (
            f"Le port {port} est déjà utilisé : arrêtez l'autre serveur ou choisissez "
            f"COMPTOIR_PORT / --port. / Port {port} is already in use."
        )
    return (
        f"Impossible d'écouter sur {host}:{port} ({error.strerror}) : vérifiez COMPTOIR_HOST "
        f"et COMPTOIR_PORT. / Cannot listen on {host}:{port}."
    )


async def serve(app: web.Application, listening: socket.socket, out: TextIO) -> int:
    """Start the app, listen, print where it is, and stop on the first SIGTERM or SIGINT.

    SIGHUP publishes the content folders as they are on disk (see bot/web/publication.py).
    """
    from aiohttp import web

    from bot.web.keys import SETTINGS, SHUTDOWN
    from bot.web.publication import on_hangup
    from bot.web.shutdown import HARD_EXIT_SECONDS, SHUTDOWN_SECONDS, TURNS_SECONDS
    from bot.web.startup import banner, first_start

    loop = asyncio.get_running_loop()
    shutdown = app[SHUTDOWN]
    stopping = asyncio.Event()
    stopped_at: list[float] = []
    last_resort = threading.Timer(HARD_EXIT_SECONDS, _hard_exit, ["the stop took too long"])
    last_resort.daemon = True

    def on_signal(number: int) -> None:
        if shutdown.begun:  # asked twice (Ctrl+C again): no more waiting
            _hard_exit("a second signal")
        log.info("%s: stopping (at most %.0f s)", signal.Signals(number).name, SHUTDOWN_SECONDS)
        stopped_at.append(loop.time())
        shutdown.begin()
        last_resort.start()
        stopping.set()

    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, on_signal, number)
    loop.add_signal_handler(signal.SIGHUP, on_hangup, app)
    # No access log: it would hold client addresses and query strings. Requests under way at
    # a stop (webhook turns) get the turns' share of the budget, as polled turns do.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=TURNS_SECONDS)
    try:
        await runner.setup()  # the content, the database, the bot
        if not stopping.is_set():
            site = web.SockSite(runner, listening)
            await site.start()
            said = banner(app, listening.getsockname())
            setup = await first_start(app, listening.getsockname())
            said += f"\n{setup}" if setup else ""
            if app[SETTINGS].log_format == "json":  # a log collector reads only JSON lines
                for line in said.splitlines():
                    log.info("%s", line.strip())
            else:
                print(said, file=out, flush=True)
            await stopping.wait()
    finally:
        await runner.cleanup()
        last_resort.cancel()
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(number)
    took = loop.time() - stopped_at[0] if stopped_at else 0.0
    log.info("stopped in %.1f s", took)
    return EXIT_OK


def _hard_exit(why: str) -> None:
    """The last resort of a stop that takes too long: log it, exit 0 at once."""
    log.warning("%s: exiting now (what is not delivered stays queued)", why)
    logging.shutdown()
    os._exit(EXIT_OK)


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
