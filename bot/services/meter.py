"""What the services count for the operators (a port: Prometheus in the web layer, or nothing)."""

from __future__ import annotations

from typing import Protocol


class Meter(Protocol):
    """Counts of what happens, anonymous: never a chat, a text or an address."""

    def update(self, channel: str) -> None:
        """A citizen's message (an update) arrived on this channel."""

    def turn(self, channel: str, seconds: float) -> None:
        """A turn of this channel was processed and committed in `seconds`."""

    def filed(self) -> None:
        """A pre-application was filed."""

    def match_without_results(self) -> None:
        """A match found no funding scheme for the citizen's project."""

    def delivery_failed(self, channel: str) -> None:
        """A message could not be delivered on this channel (retried, refused or unreachable)."""


class NoMeter:
    """A meter that counts nothing (the terminal, the CLI, tests that do not look)."""

    def update(self, channel: str) -> None:
        """Nothing."""

    def turn(self, channel: str, seconds: float) -> None:
        """Nothing."""

    def filed(self) -> None:
        """Nothing."""

    def match_without_results(self) -> None:
        """Nothing."""

    def delivery_failed(self, channel: str) -> None:
        """Nothing."""


NO_METER: Meter = NoMeter()
