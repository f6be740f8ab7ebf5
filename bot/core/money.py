"""Amounts written the way French and English readers expect (15 000 €, €15,000)."""

from __future__ import annotations

from bot.core.models import Language

NARROW_NO_BREAK_SPACE = "\u202f"
NO_BREAK_SPACE = "\u00a0"


def format_euros(amount: int, language: Language = "fr") -> str:
    """Format an amount the French way (15 000 €) or the English way (€15,000)."""
    if language == "fr":
        return f"{amount:,}".replace(",", NARROW_NO_BREAK_SPACE) + NO_BREAK_SPACE + "€"
    return f"€{amount:,}"
