"""Saving staff edits to the knowledge: checked with the whole content aside, written, audited.

A save never leaves the folders in a state `kb check` refuses: the changed files are checked
together with every other file (in a folder of links beside them) before any is written. Each
write is atomic, and each changed record gets an audit row with the file's diff. Saving does
not publish: the running bot changes only when someone publishes (`Publisher`).

A form carries the digest of the file it was made from; a save from a form whose file changed
since (another staff member, another tab) is refused rather than silently overwriting.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.content import Content
from bot.core.editing.schema import RecordKind
from bot.core.editing.yaml_files import (
    created,
    record_path,
    unified_diff,
    updated,
    write_atomically,
)
from bot.core.knowledge import ContentError, parse_yaml, validate
from bot.core.models import Counter, Scheme
from bot.services.clock import Clock, utc_now
from bot.services.ports_content import ChangeAction, ContentChange, ContentLog

Checker = Callable[[Path], Content]  # loads a knowledge folder with the dialogs (ContentError)
CHANGED_MEANWHILE = (
    "Cette fiche a été modifiée entre-temps (par quelqu'un d'autre ou dans un autre onglet) : "
    "rechargez la page pour repartir de sa version actuelle."
)
FOLDERS = {"scheme": "schemes", "counter": "counters"}
HEADER = "# Fiche créée depuis l'espace conseillers ; sources : voir « source ».\n"


@dataclass(frozen=True, slots=True)
class Author:
    """Who saves: a staff member (`person_id`) or the command line (None)."""

    name: str
    person_id: int | None = None


@dataclass(frozen=True, slots=True)
class Edit:
    """One record to write: its new data (None: remove it), from the file of `expected` digest."""

    kind: RecordKind
    record_id: str
    data: Mapping[str, object] | None
    expected: str | None = None  # the digest of the file the form was made from; None: any
    creating: bool = False


@dataclass(frozen=True, slots=True)
class Saved:
    """The files are written and audited (no change: `changes` is empty)."""

    changes: tuple[ContentChange, ...]


@dataclass(frozen=True, slots=True)
class Invalid:
    """Nothing was written: the problems by field path ("": not tied to one field)."""

    errors: Mapping[str, str]
    problems: tuple[str, ...] = ()  # every `file:line: field: message`, as `kb check` says


def digest(text: str) -> str:
    """The digest a form carries of the file it shows."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Editor:
    """Writes records of one knowledge folder; one save at a time in this process."""

    def __init__(
        self, knowledge_dir: Path, check: Checker, log: ContentLog, clock: Clock = utc_now
    ) -> None:
        self.knowledge_dir = knowledge_dir
        self._check = check
        self._log = log
        self._clock = clock
        self._lock = asyncio.Lock()
        self._drafts: dict[Path, tuple[int, Scheme | Counter | None]] = {}

    def drafts(self, kind: RecordKind) -> tuple[Scheme | Counter, ...]:
        """The records as the folder holds them now (saved, maybe not yet published)."""
        folder = self.knowledge_dir / FOLDERS[kind]
        model: type[Scheme] | type[Counter] = Scheme if kind == "scheme" else Counter
        records = []
        for path in sorted(folder.glob("*.yaml")):
            stamp = path.stat().st_mtime_ns
            cached = self._drafts.get(path)
            if cached is None or cached[0] != stamp:
                document, _ = parse_yaml(path, path.name)
                record = validate(document, model)[0] if document is not None else None
                cached = (stamp, record)
                self._drafts[path] = cached
            if cached[1] is not None:
                records.append(cached[1])
        return tuple(records)

    def draft(self, kind: RecordKind, record_id: str) -> Scheme | Counter | None:
        """One record as the folder holds it now, if it is there and valid."""
        return next((r for r in self.drafts(kind) if r.id == record_id), None)

    def source(self, kind: RecordKind, record_id: str) -> str | None:
        """The text of a record's file, or None when there is none."""
        path = record_path(self.knowledge_dir, kind, record_id)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    async def save(
        self, edit: Edit, author: Author, action: ChangeAction = "changed"
    ) -> Saved | Invalid:
        """Check and write one record (created, changed, verified or removed)."""
        return await self.save_all([edit], author, action)

    async def save_all(
        self, edits: Sequence[Edit], author: Author, action: ChangeAction
    ) -> Saved | Invalid:
        """Check the edits together with the rest, then write each and audit it; or nothing."""
        async with self._lock:
            planned = self._texts(edits)
            if isinstance(planned, Invalid):
                return planned
            if not planned:
                return Saved(())
            refused = await asyncio.to_thread(self._check_aside, planned)
            if refused is not None:
                return refused
            changes = []
            for path, (edit, old, new) in planned.items():
                if new is None:
                    path.unlink()
                else:
                    write_atomically(path, new)
                relative = str(path.relative_to(self.knowledge_dir))
                done: ChangeAction = (
                    "removed" if new is None else ("created" if edit.creating else action)
                )
                change = ContentChange(
                    at=self._clock(),
                    person_id=author.person_id,
                    author=author.name,
                    kind=edit.kind,
                    record_id=edit.record_id,
                    action=done,
                    path=relative,
                    diff=unified_diff(old or "", new or "", relative),
                )
                changes.append(dataclasses.replace(change, id=await self._log.record(change)))
            return Saved(tuple(changes))

    def _texts(
        self, edits: Sequence[Edit]
    ) -> dict[Path, tuple[Edit, str | None, str | None]] | Invalid:
        """Each file's old and new text (unchanged files left out); or why not."""
        planned: dict[Path, tuple[Edit, str | None, str | None]] = {}
        for edit in edits:
            path = record_path(self.knowledge_dir, edit.kind, edit.record_id)
            old = path.read_text(encoding="utf-8") if path.is_file() else None
            if edit.creating and old is not None:
                return Invalid(
                    {"id": "Une fiche porte déjà cet identifiant : choisissez-en un autre."}
                )
            if not edit.creating and old is None:
                return Invalid({"": f"La fiche « {edit.record_id} » n'existe plus."})
            if edit.expected is not None and old is not None and digest(old) != edit.expected:
                return Invalid({"": CHANGED_MEANWHILE})
            if edit.data is None:
                new = None
            elif old is None:
                new = created(edit.data, HEADER)
            else:
                new = updated(old, edit.data)
            if new != old:
                planned[path] = (edit, old, new)
        return planned

    def _check_aside(
        self, planned: Mapping[Path, tuple[Edit, str | None, str | None]]
    ) -> Invalid | None:
        """Load the knowledge as it would be, in a folder of links to the unchanged files."""
        with tempfile.TemporaryDirectory(prefix="comptoir-check-") as scratch:
            aside = Path(scratch) / self.knowledge_dir.name
            _mirror(self.knowledge_dir, aside, set(planned))
            for path, (_edit, _old, new) in planned.items():
                if new is not None:
                    target = aside / path.relative_to(self.knowledge_dir)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(new, encoding="utf-8")
            try:
                self._check(aside)
            except ContentError as error:
                return _invalid(error, planned, self.knowledge_dir)
        return None


def _mirror(source: Path, target: Path, leave_out: set[Path]) -> None:
    """`target` as a tree of folders and links to `source`'s files, but those left out."""
    target.mkdir(parents=True)
    for entry in sorted(source.iterdir()):
        if entry in leave_out:
            continue
        if entry.is_dir() and any(p.is_relative_to(entry) for p in leave_out):
            _mirror(entry, target / entry.name, leave_out)
        elif entry.is_dir() and entry.name in ("schemes", "counters"):
            _mirror(entry, target / entry.name, leave_out)  # a created record joins them
        else:
            (target / entry.name).symlink_to(entry.resolve())


def _invalid(
    error: ContentError,
    planned: Mapping[Path, tuple[Edit, str | None, str | None]],
    knowledge_dir: Path,
) -> Invalid:
    """The problems of the edited files by field; the others (a broken reference) as a whole."""
    edited = {f"{knowledge_dir.name}/{p.relative_to(knowledge_dir)}" for p in planned}
    errors: dict[str, str] = {}
    elsewhere = []
    for problem in error.problems:
        if problem.file in edited and problem.field not in ("", "-"):
            errors.setdefault(problem.field, problem.message)
        else:
            elsewhere.append(str(problem))
    if elsewhere:
        errors[""] = "Cette modification rendrait le contenu invalide : " + " ; ".join(elsewhere)
    return Invalid(errors, tuple(str(p) for p in error.problems))
