"""How a command ends: its exit code, or a request it cannot honour."""

from __future__ import annotations

import sys
from collections.abc import Iterator

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A request the CLI cannot honour; the message says what is allowed."""


def lines(argument: str) -> Iterator[str]:
    """The argument itself, or with `-` one non-empty line of standard input at a time."""
    if argument != "-":
        yield argument
        return
    for line in sys.stdin:
        stripped = line.rstrip("\n")
        if stripped.strip():
            yield stripped
