"""The flat list of form slots of a record model: one per leaf, with dotted paths."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from bot.core.editing.schema import MODELS, RecordKind, Spec, get, specs
from bot.core.models import Text

Widget = Literal["text", "textarea", "number", "date", "checkbox", "select", "checkboxes", "lines"]
TICKED = ("checkbox", "checkboxes")  # a browser posts nothing for what is not ticked


@dataclass(frozen=True)
class Slot:
    """One leaf of a record as a form shows it."""

    path: str  # dotted, e.g. "amount.max", "conditions.fr", "carrier_conditions.habitant.en"
    location: tuple[str, ...]  # the same path as parts
    spec: Spec
    required: bool  # required all the way up from the record
    aligned: str | None = None  # the list of records this slot is one column of
    in_text: bool = False  # a language of a Text: a sentence

    @property
    def within(self) -> tuple[str, ...]:
        """The location inside each item of its aligned list."""
        depth = len(self.aligned.split(".")) if self.aligned else 0
        return self.location[depth:]

    @property
    def widget(self) -> Widget:
        """How a form shows this slot."""
        shape = self.spec.shape
        if self.aligned is not None:
            return "lines"
        if shape == "str":
            return "textarea" if self.in_text or self.spec.name == "note" else "text"
        if shape == "strings":
            return "checkboxes" if self.spec.name == "themes" else "lines"
        widgets: dict[str, Widget] = {
            "int": "number",
            "float": "number",
            "date": "date",
            "bool": "checkbox",
            "choice": "select",
            "choices": "checkboxes",
            "applies": "checkboxes",
        }
        return widgets[shape]


def _walk(
    model: type[BaseModel], prefix: tuple[str, ...], required: bool, aligned: str | None
) -> Iterator[Slot]:
    for spec in specs(model):
        location = (*prefix, spec.name)
        here = required and spec.required and not spec.nullable
        if spec.shape == "model" and spec.model is not None:
            yield from _walk(spec.model, location, here, aligned)
        elif spec.shape == "models" and spec.model is not None:
            if aligned is not None:
                raise TypeError(f"a list of records inside a list: {'.'.join(location)}")
            yield from _walk(spec.model, location, False, ".".join(location))
        elif spec.shape == "keyed" and spec.model is not None:
            if aligned is not None:
                raise TypeError(f"a mapping inside a list: {'.'.join(location)}")
            for key in spec.choices:
                yield from _walk(spec.model, (*location, key), False, None)
        else:
            in_text = issubclass(model, Text) and spec.name in ("fr", "en")
            yield Slot(".".join(location), location, spec, here, aligned, in_text)


@functools.cache
def slots(kind: RecordKind) -> tuple[Slot, ...]:
    """Every slot of a record kind, in the model's field order."""
    return tuple(_walk(MODELS[kind], (), True, None))


def value_at(source: object, location: tuple[str, ...]) -> object:
    """The value at a location in a record or its plain data (None when a level is absent)."""
    for name in location:
        if source is None:
            return None
        source = get(source, name)
    return source
