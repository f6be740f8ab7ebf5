"""A posted form read back into a record, validated by the same models and checks as `kb check`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from bot.core.editing.labels import APPLIES_ALL
from bot.core.editing.messages import (
    YES_OR_NO,
    Placer,
    dotted,
    french,
    on_line,
    sentence,
    unknown_value,
)
from bot.core.editing.plain import plain
from bot.core.editing.schema import MODELS, RecordKind, Spec, specs
from bot.core.editing.slots import TICKED, slots
from bot.core.editing.values import FormValue, form_values
from bot.core.knowledge import Document, Knowledge, check_references
from bot.core.models import Counter, Scheme

TRUE = frozenset({"oui", "true", "on", "1", "vrai", "x", "yes"})
FALSE = frozenset({"", "non", "false", "off", "0", "faux", "no"})
BOTH_APPLIES = "Cochez « tous les porteurs concernés » ou certains porteurs, pas les deux."
_SPACES = re.compile(r"[\s\u00a0\u202f]")
_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


class _Blank:
    """Nothing was entered: the model's default applies (or its « required » error)."""


BLANK = _Blank()


@dataclass(frozen=True)
class Parsed:
    """A posted form, read: YAML-ready data and the validated record, or errors by field path."""

    data: dict[str, object] | None
    record: Scheme | Counter | None
    errors: dict[str, str]


def _lines(value: FormValue) -> list[str]:
    items = [value] if isinstance(value, str) else value
    found = [line for item in items for line in item.replace("\r\n", "\n").split("\n")]
    while found and not found[-1].strip():
        found.pop()
    return found


class _Reader:
    """Reads posted values into the nested data a model validates, noting lines and errors."""

    def __init__(self, kind: RecordKind, posted: Mapping[str, FormValue]) -> None:
        self.kind = kind
        self.posted = posted
        self.errors: dict[str, list[str]] = {}
        self.lines: dict[str, list[int]] = {}  # list path → line of each item kept
        self._columns: dict[str, list[str]] = {}
        self._widgets = {slot.path: slot.widget for slot in slots(kind)}

    def add(self, path: str, message: str) -> None:
        """Note an error on a form path."""
        messages = self.errors.setdefault(path, [])
        if message not in messages:
            messages.append(message)

    def record(self) -> dict[str, object]:
        """The whole record's data."""
        return self._model(MODELS[self.kind], (), None)

    def _model(
        self, model: type[BaseModel], prefix: tuple[str, ...], line: int | None
    ) -> dict[str, object]:
        data: dict[str, object] = {}
        for spec in specs(model):
            location = (*prefix, spec.name)
            if spec.shape == "model" and spec.model is not None:
                inner = self._model(spec.model, location, line)
                if inner or (spec.required and not spec.nullable):
                    data[spec.name] = inner
            elif spec.shape == "keyed" and spec.model is not None:
                entries = {
                    key: inner
                    for key in spec.choices
                    if (inner := self._model(spec.model, (*location, key), line))
                }
                if entries:
                    data[spec.name] = entries
            elif spec.shape == "models" and spec.model is not None:
                data[spec.name] = self._rows(spec.model, location)
            else:
                value = self._leaf(spec, ".".join(location), line)
                if value is not BLANK:
                    data[spec.name] = value
        return data

    def _rows(self, model: type[BaseModel], location: tuple[str, ...]) -> list[object]:
        prefix = ".".join(location)
        count = max(
            (len(self._column(s.path)) for s in slots(self.kind) if s.aligned == prefix),
            default=0,
        )
        rows: list[object] = []
        numbers = self.lines.setdefault(prefix, [])
        for index in range(count):
            item = self._model(model, location, index)
            if item:  # a line blank in every column is only spacing
                rows.append(item)
                numbers.append(index + 1)
        return rows

    def _column(self, path: str) -> list[str]:
        if path not in self._columns:
            self._columns[path] = _lines(self.posted.get(path, ""))
        return self._columns[path]

    def _text(self, path: str, line: int | None) -> str:
        if line is not None:
            column = self._column(path)
            return column[line] if line < len(column) else ""
        value = self.posted.get(path, "")
        if isinstance(value, list):
            value = next((v for v in value if v.strip()), "")
        return value.replace("\r\n", "\n").strip()

    def _items(self, path: str, line: int | None) -> list[str]:
        if line is not None:
            return [v.strip() for v in self._text(path, line).split(",") if v.strip()]
        numbered = [(n, v.strip()) for n, v in enumerate(self._column(path), 1) if v.strip()]
        if self._widgets.get(path) == "lines":  # ticked boxes have no line to point at
            self.lines[path] = [n for n, _ in numbered]
        return [v for _, v in numbered]

    def _leaf(self, spec: Spec, path: str, line: int | None) -> object:
        where = None if line is None else line + 1
        if spec.shape in ("choices", "strings"):
            items = self._items(path, line)
            required = spec.required and line is None  # « at least one », not « missing »
            return items if items or required else BLANK
        if spec.shape == "applies":
            return self._applies(spec, path, where)
        text = self._text(path, line).strip()
        if spec.shape == "bool":
            if text.lower() not in TRUE | FALSE:
                self.add(path, on_line(where, YES_OR_NO))
                return BLANK
            value = text.lower() in TRUE
            return BLANK if value == spec.default else value
        if not text:
            return BLANK
        if spec.shape == "int":
            return _SPACES.sub("", text)
        if spec.shape == "float":
            return _SPACES.sub("", text).replace(",", ".")
        if spec.shape == "date" and (french_date := _FRENCH_DATE.fullmatch(text)):
            day, month, year = french_date.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
        return text

    def _applies(self, spec: Spec, path: str, where: int | None) -> object:
        chosen = [v for v in self._items(path, None) if v]
        if not chosen:
            return BLANK
        if APPLIES_ALL in chosen:
            if len(chosen) > 1:
                self.add(path, on_line(where, BOTH_APPLIES))
                return BLANK
            return True
        unknown = [v for v in chosen if v not in spec.choices]
        for value in unknown:
            self.add(path, on_line(where, unknown_value(value)))
        return BLANK if unknown else chosen


def _with_base(
    kind: RecordKind, posted: Mapping[str, FormValue], base: Scheme | Counter | None
) -> dict[str, FormValue]:
    """Posted values; what was not posted keeps the base's value (but an unticked box is off)."""
    merged = dict(posted)
    if base is not None:
        current = form_values(base)
        for slot in slots(kind):
            if slot.path not in merged and slot.widget not in TICKED:
                merged[slot.path] = current[slot.path]
    return merged


def parse_form(
    kind: RecordKind,
    posted: Mapping[str, FormValue],
    knowledge: Knowledge,
    base: Scheme | Counter | None = None,
    *,
    today: dt.date | None = None,
) -> Parsed:
    """Read a posted form (or a spreadsheet row) into a record checked like `kb check` does.

    `base` is the record being edited (None for a new one): a path not posted keeps its value
    and defaults its file spells out stay in `data`. `today` also rejects dates in the future.
    """
    reader = _Reader(kind, _with_base(kind, posted, base))
    raw = reader.record()
    placer = Placer([s.path for s in slots(kind)], reader.lines)
    record: Scheme | Counter | None = None
    try:
        record = MODELS[kind].model_validate(raw)
    except ValidationError as invalid:
        for error in invalid.errors():
            message = french(error)
            path, line = placer.place(error["loc"], message)
            reader.add(path, on_line(line, message))
    if record is not None:
        _check(record, kind, knowledge, base, today, reader, placer)
    if reader.errors:
        return Parsed(None, None, {p: " ".join(m) for p, m in reader.errors.items()})
    assert record is not None
    return Parsed(plain(record, base), record, {})


def _check(
    record: Scheme | Counter,
    kind: RecordKind,
    knowledge: Knowledge,
    base: Scheme | Counter | None,
    today: dt.date | None,
    reader: _Reader,
    placer: Placer,
) -> None:
    """The cross-checks of `kb check` (themes, territory codes…) and the identifier's rules."""
    label = f"{record.id}.yaml"
    document = Document(Path(label), label, None, {})
    slugs = {theme.slug for theme in knowledge.themes}
    for problem in check_references(record, document, slugs, knowledge.geo, today):
        message = sentence(problem.message)
        path, line = placer.place(dotted(problem.field), message)
        reader.add(path, on_line(line, message))
    if base is not None and record.id != base.id:
        reader.add("id", "L'identifiant est aussi le nom du fichier : il ne se change pas.")
    known = knowledge.schemes if kind == "scheme" else knowledge.counters
    if base is None and any(other.id == record.id for other in known):
        reader.add("id", "Cet identifiant est déjà pris par une autre fiche.")
