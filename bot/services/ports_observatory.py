"""What the observatory reads from storage: aggregates of events and leads (placeholder)."""

from __future__ import annotations

from typing import Protocol


class ObservatoryData(Protocol):
    """The stored facts the observatory counts."""
