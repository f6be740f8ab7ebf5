"""What citizens type: cleaned text, amounts in euros, e-mail addresses, French phone numbers."""

from __future__ import annotations

import re
import unicodedata

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[a-zA-Z]{2,24}$")
_PHONE = re.compile(r"^(?:\+33\s?|0033\s?|0)[1-9](?:[\s.-]?\d{2}){4}$")
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(k|mille|millions?|m)?(?![a-z])")
_MULTIPLIERS = {"k": 1_000, "mille": 1_000, "m": 1_000_000, "million": 1_000_000}
MAX_AMOUNT = 100_000_000
# Characters no one means to type: controls (NUL included), direction overrides and isolates,
# zero-width characters and byte-order marks, surrogates, invisible tags.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)
_SPACES = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")


def clean_text(text: str) -> str:
    """What a citizen sent, safe to store and to echo: NFC, no invisible or control characters.

    Every channel's text goes through here (the engine calls it), so a NUL byte, a right-to-left
    override or a text of zero-width spaces means the same on Telegram, the web and a terminal.
    Line breaks stay; tabs and exotic spaces become plain spaces; the ends are trimmed.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.strip()


def is_email(text: str) -> bool:
    """A plausible e-mail address."""
    return bool(_EMAIL.match(text.strip()))


def is_french_phone(text: str) -> bool:
    """A French phone number: 06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78…"""
    return bool(_PHONE.match(text.strip()))


def parse_amount(text: str) -> int | None:
    """Euros from « 15k », « 15 000 € », « 1,5 M€ », « entre 5 et 10 000 » (the upper bound)."""
    text = text.lower()[:200]
    for word in ("€", "euros", "euro", "eur"):
        text = text.replace(word, " ")
    text = re.sub(r"(?<=\d)[\s\u00a0\u202f.](?=\d{3}(?!\d))", "", text)  # 15 000, 15.000
    text = re.sub(r"(?<=\d),(?=\d)", ".", text)  # 1,5
    found = _AMOUNT.findall(text)
    if not found:
        return None
    values = [float(number) * _MULTIPLIERS.get(unit.rstrip("s"), 1) for number, unit in found]
    amount = max(values)  # a range (« entre 5 et 10 000 ») counts by its upper bound
    if amount <= 0 or amount > MAX_AMOUNT:
        return None
    return round(amount)
