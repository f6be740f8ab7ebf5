"""What the upkeep list reads from storage: matches seen, links checked (placeholder)."""

from __future__ import annotations

from typing import Protocol


class UpkeepData(Protocol):
    """The stored facts the upkeep list needs."""
