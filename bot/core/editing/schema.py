"""What shape each field of a knowledge model has, read from pydantic's `model_fields`."""

from __future__ import annotations

import datetime as dt
import functools
import types
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from bot.core.models import Counter, Scheme

RecordKind = Literal["scheme", "counter"]
MODELS: Mapping[RecordKind, type[Scheme] | type[Counter]] = {
    "scheme": Scheme,
    "counter": Counter,
}
FOLDERS: Mapping[RecordKind, str] = {"scheme": "schemes", "counter": "counters"}

# scalar shapes: one value; "choices" a set of enum values, "strings" a list of free strings,
# "applies" a requirement (false, true or some carriers); containers: "model" a nested record,
# "models" a list of records (aligned lines in a form), "keyed" a record per enum value.
Shape = Literal[
    "str", "int", "float", "date", "bool", "choice",
    "choices", "strings", "applies",
    "model", "models", "keyed",
]  # fmt: skip


@dataclass(frozen=True)
class Spec:
    """One field of a model: its name, shape and what it accepts."""

    name: str
    shape: Shape
    required: bool  # pydantic requires a value (no default)
    nullable: bool  # None is allowed
    choices: tuple[str, ...] = ()  # enum or literal values, carrier values for "applies"
    model: type[BaseModel] | None = None  # the nested model of a container
    default: Any = None


def _strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _enum_values(annotation: Any) -> tuple[str, ...] | None:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return tuple(str(member.value) for member in annotation)
    if get_origin(annotation) is Literal:
        return tuple(str(value) for value in get_args(annotation))
    return None


def _item(annotation: Any) -> Any | None:
    """The item type of `tuple[X, ...]`, else None."""
    if get_origin(annotation) is tuple:
        args = get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return _strip_annotated(args[0])
    return None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def classify(name: str, annotation: Any, required: bool, default: Any) -> Spec:
    """The spec of a field from its annotation (Optional, unions, tuples, dicts, enums)."""
    annotation = _strip_annotated(annotation)
    nullable = False
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        nullable = len(members) < len(get_args(annotation))
        tuples = [a for a in members if _item(a) is not None]
        if bool in members and len(members) == 2 and tuples:
            carriers = _enum_values(_item(tuples[0]))
            return Spec(name, "applies", required, nullable, carriers or (), default=default)
        if len(members) != 1:
            raise TypeError(f"unsupported union for {name}: {annotation}")
        annotation = _strip_annotated(members[0])
    item = _item(annotation)
    values = _enum_values(annotation)
    shape: Shape
    model: type[BaseModel] | None = None
    choices: tuple[str, ...] = ()
    if values is not None:
        shape, choices = "choice", values
    elif annotation is bool:
        shape = "bool"
    elif annotation is int:
        shape = "int"
    elif annotation is float:
        shape = "float"
    elif annotation is dt.date:
        shape = "date"
    elif annotation is str:
        shape = "str"
    elif _is_model(annotation):
        shape, model = "model", annotation
    elif item is not None and _is_model(item):
        shape, model = "models", item
    elif item is not None and (item_values := _enum_values(item)) is not None:
        shape, choices = "choices", item_values
    elif item is str:
        shape = "strings"
    elif get_origin(annotation) is dict:
        key, value = (_strip_annotated(a) for a in get_args(annotation))
        keys = _enum_values(key)
        if keys is None or not _is_model(value):
            raise TypeError(f"unsupported mapping for {name}: {annotation}")
        shape, choices, model = "keyed", keys, value
    else:
        raise TypeError(f"unsupported field {name}: {annotation}")
    return Spec(name, shape, required, nullable, choices, model, default)


@functools.cache
def specs(model: type[BaseModel]) -> tuple[Spec, ...]:
    """The specs of a model's fields, in the model's order."""
    found = []
    for name, info in model.model_fields.items():
        required = info.is_required()
        default = None if required else info.get_default(call_default_factory=True)
        found.append(classify(name, info.annotation, required, default))
    return tuple(found)


def get(source: object, name: str) -> object:
    """A field of a model instance or of its plain data (None when absent)."""
    if isinstance(source, Mapping):
        return source.get(name)
    return getattr(source, name, None)
