"""The editing form of a scheme or a counter, generated from the models' fields."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.editing.labels import (
    ALIGNED_HELP,
    APPLIES_ALL,
    APPLIES_ALL_LABEL,
    APPLIES_HELP,
    DATE_HELP,
    HELP,
    LINES_HELP,
    LIST_IN_LINE_HELP,
    choice_labels,
    group,
    label,
)
from bot.core.editing.schema import RecordKind
from bot.core.editing.slots import Slot, Widget, slots
from bot.core.editing.submission import Parsed, parse_form
from bot.core.editing.values import FormValue, form_values, kind_of, text_of
from bot.core.knowledge import Knowledge

__all__ = [
    "FormField",
    "FormValue",
    "Parsed",
    "RecordKind",
    "Widget",
    "form_fields",
    "form_values",
    "kind_of",
    "parse_form",
    "text_of",
]


@dataclass(frozen=True)
class FormField:
    """One field of the editing form, as a template renders it."""

    path: str
    label: str
    widget: Widget
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False
    help: str = ""
    group: str = ""


def _choices(slot: Slot, knowledge: Knowledge) -> tuple[str, ...]:
    if slot.spec.name == "themes" and slot.spec.shape == "strings":
        return tuple(theme.slug for theme in knowledge.themes)
    if slot.spec.shape == "applies":
        return (APPLIES_ALL, *slot.spec.choices)
    return slot.spec.choices


def _help(slot: Slot, kind: RecordKind, words: dict[str, str]) -> str:
    if slot.path in HELP:
        return HELP[slot.path]
    if slot.aligned is not None:
        aligned = ALIGNED_HELP.format(group=label(slot.aligned, kind, words))
        if slot.spec.shape in ("choices", "strings"):
            return f"{aligned} {LIST_IN_LINE_HELP}"
        return aligned
    if slot.spec.shape == "applies":
        return APPLIES_HELP
    if slot.spec.shape == "date":
        return DATE_HELP
    if slot.widget == "lines":
        return LINES_HELP
    return ""


def form_fields(kind: RecordKind, knowledge: Knowledge) -> tuple[FormField, ...]:
    """Every field of the form for a kind of record, in the model's order."""
    words = choice_labels(knowledge)
    words[APPLIES_ALL] = APPLIES_ALL_LABEL
    fields = []
    for slot in slots(kind):
        values = _choices(slot, knowledge)
        fields.append(
            FormField(
                path=slot.path,
                label=label(slot.path, kind, words),
                widget=slot.widget,
                choices=tuple((value, words.get(value, value)) for value in values),
                required=slot.required,
                help=_help(slot, kind, words),
                group=group(slot.path),
            )
        )
    return tuple(fields)
