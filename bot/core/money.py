"""Amounts and counts written the way French and English readers expect (15 000 €, €15,000)."""

from __future__ import annotations

from bot.core.models import Language

NARROW_NO_BREAK_SPACE = "\u202f"
NO_BREAK_SPACE = "\u00a0"


def format_number(number: int, language: Language = "fr") -> str:
    """A whole number grouped by thousands: « 4 000 » in French, "4,000" in English."""
    grouped = f"{number:,}"
    return grouped.replace(",", NARROW_NO_BREAK_SPACE) if language == "fr" else grouped


def format_euros(amount: int, language: Language = "fr") -> str:
    """Format an amount the French way (15 000 €) or the English way (€15,000)."""
    if language == "fr":
        return format_number(amount, language) + NO_BREAK_SPACE + "€"
    return f"€{format_number(amount, language)}"


def guaranteed(loan: int, percent: int) -> int:
    """The part of a bank loan that a guarantee covering `percent` % of it covers, in euros."""
    return loan * percent // 100
