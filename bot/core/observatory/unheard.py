"""What the observatory keeps of what citizens typed: unheard answers short, folded and masked;
ideas with their e-mail addresses and phone numbers masked.

Only answers to questions whose choices are known (buttons, a commune, an amount, the recap)
are kept: a free text (the idea, a first name, a contact) is the citizen's own and stays out.
E-mail addresses and long digit runs (phone numbers) are masked before anything is kept.
"""

from __future__ import annotations

import re

from bot.core.conversation import EventValue
from bot.core.geo import fold

MAX_KEPT = 60  # characters
FREE_TEXT = "text"  # the node kind whose answers are never kept
_PERSONAL = re.compile(
    r"(?P<email>[^\s@]+@[^\s@]+)"  # anything around an @
    r"|(?P<number>\+?\d(?:[\s.\-/]?\d){5,})"  # 6 digits or more: a phone, a SIRET…
)
EMAIL_MASK = "[e-mail]"
NUMBER_MASK = "[numéro]"


def sample(text: str) -> str:
    """A typed text as the observatory keeps it: masked, folded, at most 60 characters."""
    parts: list[str] = []
    position = 0
    for found in _PERSONAL.finditer(text[:1000]):
        parts.append(fold(text[position : found.start()]))
        parts.append(EMAIL_MASK if found.group("email") else NUMBER_MASK)
        position = found.end()
    parts.append(fold(text[position:1000]))
    kept = " ".join(part for part in parts if part)
    return kept[:MAX_KEPT].rstrip()


def masked(text: str) -> str:
    """A text with its e-mail addresses and phone-like numbers masked (an idea shown to staff)."""

    def mask(found: re.Match[str]) -> str:
        return EMAIL_MASK if found.group("email") else NUMBER_MASK

    return _PERSONAL.sub(mask, text)


def invalid_detail(reason: str, kind: str | None, typed: str | None) -> dict[str, EventValue]:
    """The detail of an `invalid_input` event: the reason, and the typed text when kept."""
    detail: dict[str, EventValue] = {"reason": reason}
    if typed and kind is not None and kind != FREE_TEXT:
        kept = sample(typed)
        if kept:
            detail["typed"] = kept
    return detail
