"""Logging for the server and the CLI: `text` lines or `json` objects, never a secret.

Nothing personal is logged: the bot's own log calls name kinds, counts and references, never a
chat id, a text typed by a citizen or an address; there is no HTTP access log (it would hold
client addresses and query strings), and a JSON traceback carries the frames and the
exception's type, not its message (it may quote a value).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import Literal, TextIO

from bot import redaction

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Chatty libraries: their warnings are enough.
QUIET = ("aiohttp.access", "alembic", "httpx", "httpcore", "telegram", "asyncio")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and an exception's type and
    frames (redacted as the message is)."""

    def __init__(self, redact: Callable[[str], str] = str) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, str] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, trace = record.exc_info
            entry["exception"] = kind.__qualname__
            frames = "".join(traceback.format_tb(trace))
            entry["traceback"] = self._redact(frames)
        if record.stack_info:
            entry["stack"] = self._redact(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(
    log_format: Literal["text", "json"],
    secrets: Iterable[str],
    stream: TextIO | None = None,
    level: int = logging.INFO,
) -> None:
    """Send every log record to `stream` (stderr) in this format, scrubbed of `secrets`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    redactor = redaction.Redactor(secrets)
    if log_format == "json":
        handler.setFormatter(JsonFormatter(redactor.redact))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)
