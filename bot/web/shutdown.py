"""The shutdown's budget: one deadline that every step of a stop shares (SIGTERM to exit)."""

from __future__ import annotations

import time
from collections.abc import Callable

# From the signal to the exit: the turns in flight, then the sends under way, then closing.
SHUTDOWN_SECONDS = 8.0
# The end of the budget kept for the sends under way (Telegram answers), then for closing.
SENDS_SECONDS = 2.0
CLOSE_SECONDS = 0.5
TURNS_SECONDS = SHUTDOWN_SECONDS - SENDS_SECONDS - CLOSE_SECONDS  # what is left for turns
# Past this, the process exits at once (logged), whatever is still running: a last resort
# within systemd's `TimeoutStopSec=10` (and a container's grace period).
HARD_EXIT_SECONDS = 9.5


class Shutdown:
    """When the stop began, and how long each step may still take."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._deadline: float | None = None

    def begin(self) -> None:
        """The stop begins now (a second call changes nothing)."""
        if self._deadline is None:
            self._deadline = self._clock() + SHUTDOWN_SECONDS

    @property
    def begun(self) -> bool:
        """Whether the stop began."""
        return self._deadline is not None

    def left(self, keep: float = 0.0) -> float:
        """Seconds left to the deadline, less `keep` for the steps after (the stop begins if
        it had not: an application stopped without a signal, in tests)."""
        self.begin()
        assert self._deadline is not None
        return max(0.0, self._deadline - keep - self._clock())

    def for_turns(self) -> float:
        """What the turns in flight may take: up to the time kept for sends and closing."""
        return self.left(SENDS_SECONDS + CLOSE_SECONDS)

    def for_sends(self) -> float:
        """What the sends under way may take: up to the time kept for closing."""
        return self.left(CLOSE_SECONDS)
