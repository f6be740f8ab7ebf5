"""A record's current values as a form shows them: one string, or a list, by dotted path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from enum import Enum

from bot.core.editing.labels import APPLIES_ALL
from bot.core.editing.schema import RecordKind
from bot.core.editing.slots import Slot, slots, value_at
from bot.core.models import Counter, Scheme

FormValue = str | list[str]
YES, NO = "oui", "non"
IN_LINE = ", "  # between the values of a list inside one line of an aligned list


def text_of(value: object) -> str:
    """One value as a form field shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _texts(values: object) -> list[str]:
    return [text_of(v) for v in values] if isinstance(values, Iterable) else []


def _value(slot: Slot, value: object) -> FormValue:
    shape = slot.spec.shape
    if shape == "applies":
        if value is True:
            return [APPLIES_ALL]
        return _texts(value) if isinstance(value, tuple | list) else []
    if shape in ("choices", "strings"):
        return _texts(value)
    if shape == "bool" and value is None:
        return text_of(bool(slot.spec.default))
    return text_of(value)


def _in_line(slot: Slot, item: object) -> str:
    value = _value(slot, value_at(item, slot.within))
    return IN_LINE.join(value) if isinstance(value, list) else value


def kind_of(record: Scheme | Counter) -> RecordKind:
    """Whether a record is a scheme or a counter."""
    return "scheme" if isinstance(record, Scheme) else "counter"


def form_values(
    record: Scheme | Counter | Mapping[str, object], kind: RecordKind | None = None
) -> dict[str, FormValue]:
    """Current values by form path (lists for checkboxes and lines); plain data needs `kind`."""
    if kind is None:
        if isinstance(record, Mapping):
            raise TypeError("form_values of plain data needs its kind")
        kind = kind_of(record)
    values: dict[str, FormValue] = {}
    for slot in slots(kind):
        if slot.aligned is None:
            values[slot.path] = _value(slot, value_at(record, slot.location))
        else:
            items = value_at(record, tuple(slot.aligned.split(".")))
            listed = items if isinstance(items, tuple | list) else ()
            values[slot.path] = [_in_line(slot, item) for item in listed]
    return values
