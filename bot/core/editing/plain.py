"""A validated record as the plain data of its YAML file: only what such a file holds."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel


def _value(value: object, like: object) -> object:
    if isinstance(value, BaseModel):
        return plain(value, like if isinstance(like, type(value)) else None)
    if isinstance(value, tuple | list):
        likes = like if isinstance(like, tuple | list) else ()
        return [
            _value(item, likes[index] if index < len(likes) else None)
            for index, item in enumerate(value)
        ]
    if isinstance(value, dict):
        previous: dict[object, object] = like if isinstance(like, dict) else {}
        return {_key(key): _value(item, previous.get(key)) for key, item in value.items()}
    if isinstance(value, Enum):
        return value.value
    return value


def _key(key: object) -> str:
    return str(key.value) if isinstance(key, Enum) else str(key)


def plain(record: BaseModel, like: BaseModel | None = None) -> dict[str, object]:
    """The record's data in field order, without defaults (unless `like`'s file wrote them).

    `like` is the record as it was loaded: a default its file spells out (`themes: []`) stays
    while unchanged, so saving an unchanged record rewrites nothing. A field left empty (None,
    or a nested record with nothing set) is left out.
    """
    data: dict[str, object] = {}
    written = like.model_fields_set if like is not None else set()
    for name, info in type(record).model_fields.items():
        value = getattr(record, name)
        if value is None:
            continue
        previous = getattr(like, name, None) if like is not None else None
        converted = _value(value, previous)
        if converted == {} and not info.is_required():
            continue
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        spelled_out = name in written and previous == value  # `themes: []` stays as it was
        if not info.is_required() and value == default and not spelled_out:
            continue
        data[name] = converted
    return data
