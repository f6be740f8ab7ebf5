"""Parsers for what citizens type: amounts in euros, e-mail addresses, French phone numbers."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[a-zA-Z]{2,24}$")
_PHONE = re.compile(r"^(?:\+33\s?|0033\s?|0)[1-9](?:[\s.-]?\d{2}){4}$")
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(k|mille|millions?|m)?(?![a-z])")
_MULTIPLIERS = {"k": 1_000, "mille": 1_000, "m": 1_000_000, "million": 1_000_000}
MAX_AMOUNT = 100_000_000


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
