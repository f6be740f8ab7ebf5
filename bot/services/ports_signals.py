"""Signals between the replicas of one database: `storage.signals` (PostgreSQL NOTIFY).

A signal is a hint, never the data: what it points at is in the database, and whoever misses
one (a replica restarting, PostgreSQL away) finds it at its next periodic look.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Signals(Protocol):
    """Fire-and-forget hints, heard by every replica listening (the sender's included)."""

    def send(self, topic: str, text: str) -> None:
        """Tell the replicas listening to `topic` (soon, without waiting)."""

    def listen(self, topic: str, listener: Callable[[str], None]) -> None:
        """Call `listener` with the text of every signal of `topic` (from `start` on)."""

    async def start(self) -> None:
        """Start listening (and keep at it when the database comes back)."""

    async def stop(self) -> None:
        """Stop listening; signals not yet sent are dropped."""
