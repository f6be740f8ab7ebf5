"""Secrets never reach a log: every log record is scrubbed of the configured secrets."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# A Telegram bot token (digits, a colon, 30-odd URL-safe characters), whoever prints it.
TELEGRAM_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b")
MASK = "‹secret›"


class Redactor(logging.Filter):
    """Replaces each secret, and anything shaped like a Telegram token, in log records."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text without secrets."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return TELEGRAM_TOKEN.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message, arguments and exception text; keep the record."""
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        clean = self.redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install(secrets: Iterable[str], logger: logging.Logger | None = None) -> Redactor:
    """Scrub every record handled by `logger`'s handlers (the root logger's by default)."""
    redactor = Redactor(secrets)
    target = logger or logging.getLogger()
    for handler in target.handlers:
        handler.addFilter(redactor)
    return redactor
