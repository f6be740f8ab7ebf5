"""What content editing keeps in storage: the audit log and the published version (placeholder)."""

from __future__ import annotations

from typing import Protocol


class ContentLog(Protocol):
    """Who changed which record when, and which content version is published."""
