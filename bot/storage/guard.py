"""Refuse a store transaction opened inside a `chat()` or `lead()` block of its task (deadlock)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from bot.storage.errors import NestedTransaction

# Per task (context), not per store: on SQLite even two engines on one file would wait on each
# other, and on PostgreSQL a second connection waits for the row lock of the first.
_holding_chat: ContextVar[bool] = ContextVar("comptoir_storage_holding_chat", default=False)


def refuse_nesting(operation: str) -> None:
    """Raise NestedTransaction when the current task is inside a `chat()` or `lead()` block."""
    if _holding_chat.get():
        raise NestedTransaction(operation)


@contextmanager
def holding_chat(operation: str = "chat") -> Iterator[None]:
    """Mark the current task as holding a chat's (or a lead's) lock for the block."""
    refuse_nesting(operation)
    _holding_chat.set(True)
    try:
        yield
    finally:
        _holding_chat.set(False)
