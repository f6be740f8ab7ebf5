"""The `comptoir` command line: content checks, matching, the database, the server, the chat."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from bot.cli import advisors, content, database, match, observatory, run
from bot.cli.outcome import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError
from bot.config import Settings
from bot.core.knowledge import ContentError
from bot.storage.errors import DatabaseTooNew, MissingSecret

Command = Callable[[argparse.Namespace, Settings, TextIO], int]


def parser() -> argparse.ArgumentParser:
    """The parser of every command."""
    top = argparse.ArgumentParser(prog="comptoir", description=__doc__)
    top.add_argument("--knowledge", type=Path, help="dossier de la base de connaissances")
    commands = top.add_subparsers(dest="command", required=True)
    for module in (content, match, database, run, advisors, observatory):
        module.register(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = parser().parse_args(argv)
    command: Command = args.run
    try:
        return command(args, Settings(), sys.stdout)
    except ContentError as error:
        print("Le contenu comporte des erreurs :", file=sys.stderr)
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_PROBLEMS
    except (DatabaseTooNew, MissingSecret) as error:
        print(str(error), file=sys.stderr)
        return EXIT_PROBLEMS
    except UsageError as error:
        print(f"comptoir : {error}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, BrokenPipeError):  # Ctrl-C, or output piped into `head`
        return EXIT_OK
