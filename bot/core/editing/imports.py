"""What importing a spreadsheet would change: added, changed field by field, removed, refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.editing.fields import FormValue, form_values, parse_form
from bot.core.editing.labels import choice_labels, label
from bot.core.editing.schema import RecordKind
from bot.core.editing.slots import slots
from bot.core.editing.table import Rows, split
from bot.core.editing.yaml_files import created, record_path, updated
from bot.core.knowledge import Knowledge
from bot.core.models import Counter, Scheme

EMPTY = "(vide)"
LISTS = ("lines", "checkboxes")


@dataclass(frozen=True)
class FieldChange:
    """One field whose value the import changes."""

    path: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Added:
    """A row whose id no record has: a new record."""

    record_id: str
    name: str
    record: Scheme | Counter
    data: dict[str, object]


@dataclass(frozen=True)
class Changed:
    """A record the import changes, with each field's old and new value."""

    record_id: str
    name: str
    changes: tuple[FieldChange, ...]
    record: Scheme | Counter
    data: dict[str, object]


@dataclass(frozen=True)
class Removed:
    """A record no row mentions any more."""

    record_id: str
    name: str


@dataclass(frozen=True)
class ImportPlan:
    """The whole effect of an import; apply it only when `errors` is empty."""

    added: tuple[Added, ...]
    changed: tuple[Changed, ...]
    removed: tuple[Removed, ...]
    errors: tuple[str, ...]

    @property
    def empty(self) -> bool:
        """Nothing to add, change or remove, and nothing refused."""
        return not (self.added or self.changed or self.removed or self.errors)


@dataclass(frozen=True)
class FileEdit:
    """What applying a plan does to one file: old and new text (None: absent)."""

    path: Path
    record_id: str
    old: str | None
    new: str | None


def shown(value: FormValue) -> str:
    """A value as the diff shows it."""
    text = " | ".join(value) if isinstance(value, list) else value
    return text if text.strip() else EMPTY


def _changes(
    old: Scheme | Counter, new: Scheme | Counter, kind: RecordKind, words: dict[str, str]
) -> tuple[FieldChange, ...]:
    before, after = form_values(old, kind), form_values(new, kind)
    return tuple(
        FieldChange(path, label(path, kind, words), shown(before[path]), shown(after[path]))
        for path in before
        if before[path] != after[path]
    )


def plan_import(
    current: Sequence[Scheme | Counter],
    rows: Rows,
    kind: RecordKind,
    knowledge: Knowledge,
    *,
    today: dt.date | None = None,
) -> ImportPlan:
    """Compare a spreadsheet with the records: each row goes through `parse_form`'s checks.

    A column left out keeps the records' values; a record without a row is removed.
    """
    words = choice_labels(knowledge)
    widgets = {slot.path: slot.widget for slot in slots(kind)}
    by_id = {record.id: record for record in current}
    errors = list(rows.errors)
    added: list[Added] = []
    changed: list[Changed] = []
    seen: dict[str, int] = {}
    for row in rows.rows:
        record_id = row.cells.get("id", "").strip()
        if not record_id:
            errors.append(f"ligne {row.line} : id : Ce champ est obligatoire.")
            continue
        if record_id in seen:
            where = f"ligne {row.line} : id : « {record_id} »"
            errors.append(f"{where} est déjà ligne {seen[record_id]}.")
            continue
        seen[record_id] = row.line
        base = by_id.get(record_id)
        posted: dict[str, FormValue] = dict(form_values(base, kind)) if base else {}
        for path, text in row.cells.items():
            posted[path] = split(text) if widgets[path] in LISTS else text
        parsed = parse_form(kind, posted, knowledge, base, today=today)
        if parsed.record is None or parsed.data is None:
            errors.extend(
                f"ligne {row.line} : {path or 'fiche'} : {message}"
                for path, message in parsed.errors.items()
            )
        elif base is None:
            added.append(Added(record_id, parsed.record.name, parsed.record, parsed.data))
        elif parsed.record != base:
            changes = _changes(base, parsed.record, kind, words)
            changed.append(Changed(record_id, base.name, changes, parsed.record, parsed.data))
    removed = tuple(Removed(r.id, r.name) for r in current if r.id not in seen)
    return ImportPlan(tuple(added), tuple(changed), removed, tuple(errors))


def describe(plan: ImportPlan) -> str:
    """The plan as the French text diff the CLI prints and the staff page shows."""
    lines = [f"Ajoutés ({len(plan.added)})"]
    lines.extend(f"  + {a.record_id} : {a.name}" for a in plan.added)
    lines.append(f"Modifiés ({len(plan.changed)})")
    for change in plan.changed:
        lines.append(f"  ~ {change.record_id} : {change.name}")
        lines.extend(f"      {f.label} [{f.path}] : {f.old} → {f.new}" for f in change.changes)
    lines.append(f"Supprimés ({len(plan.removed)})")
    lines.extend(f"  - {r.record_id} : {r.name}" for r in plan.removed)
    if plan.errors:
        lines.append(f"Erreurs ({len(plan.errors)}) : rien ne sera appliqué")
        lines.extend(f"  ! {error}" for error in plan.errors)
    return "\n".join(lines) + "\n"


def planned_files(
    plan: ImportPlan, knowledge_dir: Path, kind: RecordKind, header: str
) -> tuple[FileEdit, ...]:
    """The files applying a plan writes (new text) or deletes (new None), from their current text.

    Nothing is written here: the caller writes each with `write_atomically` and logs its diff.
    """
    edits = []
    for change in plan.changed:
        path = record_path(knowledge_dir, kind, change.record_id)
        old = path.read_text(encoding="utf-8")
        edits.append(FileEdit(path, change.record_id, old, updated(old, change.data)))
    for new in plan.added:
        path = record_path(knowledge_dir, kind, new.record_id)
        edits.append(FileEdit(path, new.record_id, None, created(new.data, header)))
    for gone in plan.removed:
        path = record_path(knowledge_dir, kind, gone.record_id)
        edits.append(FileEdit(path, gone.record_id, path.read_text(encoding="utf-8"), None))
    return tuple(edits)
