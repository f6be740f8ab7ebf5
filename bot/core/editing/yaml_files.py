"""Record files on disk: where they live, their new text after an edit, atomic writes, diffs."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bot.core.editing.schema import FOLDERS, RecordKind
from bot.core.editing.yaml_patch import Patcher, load
from bot.core.editing.yaml_render import document, same
from bot.core.models import SLUG_PATTERN

__all__ = [
    "created",
    "record_path",
    "template",
    "unified_diff",
    "updated",
    "verified_today",
    "write_atomically",
]


def record_path(knowledge_dir: Path, kind: RecordKind, record_id: str) -> Path:
    """The file of a record: the loader reads `<folder>/*.yaml` and requires `<id>.yaml`."""
    if not re.fullmatch(SLUG_PATTERN, record_id) or len(record_id) > 64:
        raise ValueError(f"identifiant invalide : {record_id!r}")
    return knowledge_dir / FOLDERS[kind] / f"{record_id}.yaml"


def _checked(text: str, data: Mapping[str, object]) -> str:
    if not same(load(text), data):  # a bug here must never reach a file
        raise AssertionError("the YAML written does not read back as the data")
    return text


def updated(text: str, data: Mapping[str, object]) -> str:
    """The file's new text: only the values that changed are rewritten, the rest kept exactly.

    Removed keys lose their lines, new keys go after the key that precedes them in `data`
    (the model's order), lists change item by item. The result reads back as `data`.
    """
    patcher = Patcher(text)
    if not patcher.mapping(patcher.root, patcher.data, data):
        raise ValueError("la fiche ne commence pas par une clé sur sa propre ligne")
    return _checked(patcher.result(), data)


def created(data: Mapping[str, object], header: str) -> str:
    """A new record file: the header as comment lines, then the keys in the data's order."""
    return _checked(document(data, header), data)


def template(kind: RecordKind, today: dt.date) -> dict[str, object]:
    """The starting data of « Créer »: today's date, neutral choices, blanks to fill in."""
    text = {"fr": "", "en": ""}
    if kind == "scheme":
        return {
            "id": "",
            "name": "",
            "funder": "",
            "kind": "",
            "summary": dict(text),
            "territory": {"national": False},
            "carriers": [],
            "stages": [],
            "needs": [],
            "calendar": {"mode": "permanent"},
            "url": "",
            "official": True,
            "source": [],
            "compiled": today,
            "confirmed": True,
        }
    return {
        "id": "",
        "name": "",
        "kind": "",
        "summary": dict(text),
        "commune": "",
        "location_precision": "commune",
        "coverage": {"national": False},
        "url": "",
        "official": True,
        "how_to_reach": dict(text),
        "source": [],
        "compiled": today,
    }


def verified_today(
    data: Mapping[str, object], on: dt.date, by: str, page: str, note: str | None
) -> dict[str, object]:
    """The data with « Vérifié aujourd'hui »: who checked, when and on which page."""
    verified: dict[str, object] = {"on": on, "by": by.strip(), "page": page.strip()}
    if note is not None and note.strip():
        verified["note"] = note.strip()
    if "verified" in data:
        return {k: verified if k == "verified" else v for k, v in data.items()}
    result: dict[str, object] = {}
    for key, value in data.items():
        result[key] = value
        if key == "compiled":  # both models keep `verified` right after `compiled`
            result["verified"] = verified
    result.setdefault("verified", verified)
    return result


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that a reader sees the old text or the new one, never half of it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


def unified_diff(old: str, new: str, name: str) -> str:
    """The change between two texts of a file, as `git diff` shows it."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
    )
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)
