"""Validation errors worded in French for staff, and placed next to the form field they concern."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.models import SLUG_PATTERN

REQUIRED = "Ce champ est obligatoire."
WHOLE_NUMBER = "Nombre entier attendu."
NUMBER = "Nombre attendu."
DATE = "Date au format AAAA-MM-JJ attendue."
YES_OR_NO = "Oui ou non attendu."
COMMUNE_PATTERN = r"^(?:\d{5}|2[AB]\d{3})$"

_FIXED = {
    "missing": REQUIRED,
    "int_parsing": WHOLE_NUMBER,
    "int_type": WHOLE_NUMBER,
    "int_from_float": WHOLE_NUMBER,
    "float_parsing": NUMBER,
    "float_type": NUMBER,
    "finite_number": NUMBER,
    "date_parsing": DATE,
    "date_type": DATE,
    "date_from_datetime_parsing": DATE,
    "date_from_datetime_inexact": DATE,
    "bool_parsing": YES_OR_NO,
    "bool_type": YES_OR_NO,
    "extra_forbidden": "Champ inconnu.",
}


def sentence(text: str) -> str:
    """A message as a sentence: capital first letter, final full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


def unknown_value(value: object) -> str:
    """The message for a value outside a closed list."""
    return f"Valeur inconnue « {value} » : choisissez dans la liste."


def french(error: Mapping[str, Any]) -> str:
    """A pydantic error in French; the models' own (French) messages are kept."""
    kind = str(error["type"])
    context: Mapping[str, Any] = error.get("ctx") or {}
    if kind in _FIXED:
        return _FIXED[kind]
    if kind == "value_error":
        return sentence(str(context.get("error", error.get("msg", ""))))
    if kind in ("enum", "literal_error"):
        return unknown_value(error.get("input"))
    if kind == "string_too_short":
        least = int(context.get("min_length", 1))
        return REQUIRED if least <= 1 else f"Au moins {least} caractères."
    if kind == "string_too_long":
        return f"Au plus {context.get('max_length')} caractères."
    if kind == "too_short":
        least = int(context.get("min_length", 1))
        return "Indiquez-en au moins un." if least <= 1 else f"Indiquez-en au moins {least}."
    if kind == "too_long":
        return f"Au plus {context.get('max_length')} éléments."
    if kind == "greater_than_equal":
        return f"Au moins {context.get('ge')}."
    if kind == "greater_than":
        return f"Plus de {context.get('gt')} attendu."
    if kind == "less_than_equal":
        return f"Au plus {context.get('le')}."
    if kind == "less_than":
        return f"Moins de {context.get('lt')} attendu."
    if kind == "string_pattern_mismatch":
        pattern = context.get("pattern")
        if pattern == SLUG_PATTERN:
            return "Lettres minuscules sans accents, chiffres et tirets attendus."
        if pattern == COMMUNE_PATTERN:
            return "Code INSEE à cinq caractères attendu (par exemple 62041 ou 2A004)."
        return "Format invalide."
    return "Valeur invalide."


def on_line(line: int | None, message: str) -> str:
    """A message about one line of a multi-line field."""
    if line is None:
        return message
    return f"Ligne {line} : {message[:1].lower()}{message[1:]}"


_QUOTED = re.compile(r"« ([a-z_.]+)")


class Placer:
    """Finds the form path an error location belongs to, and the line it is on."""

    def __init__(self, paths: Sequence[str], lines: Mapping[str, Sequence[int]]) -> None:
        self._paths = tuple(paths)
        self._known = frozenset(paths)
        self._lines = lines

    def place(self, location: Sequence[str | int], message: str = "") -> tuple[str, int | None]:
        """The form path (or "" for the record as a whole) and the line within it."""
        names: list[str] = []
        line = None
        for part in location:
            if isinstance(part, int):
                numbers = self._lines.get(".".join(names), ())
                line = numbers[part] if 0 <= part < len(numbers) else None
            else:
                names.append(part)
        path = ".".join(names)
        if path not in self._known:  # a rule on a whole record: the first field it names
            for name in _QUOTED.findall(message):
                for candidate in (f"{path}.{name}", name) if path else (name,):
                    if found := self._under(candidate):
                        return found, line
        while names:
            path = ".".join(names)
            if found := self._under(path):
                return found, line
            names.pop()
        return "", line

    def _under(self, path: str) -> str | None:
        if path in self._known:
            return path
        return next((p for p in self._paths if p.startswith(path + ".")), None)


def dotted(field: str) -> tuple[str | int, ...]:
    """A `kb check` problem's dotted field as a location (numbers become indexes)."""
    return tuple(int(part) if part.isdigit() else part for part in field.split("."))
