"""Records as a spreadsheet (CSV for Excel or LibreOffice in French) and back, cell by cell."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.editing.fields import FormValue, form_values
from bot.core.editing.schema import RecordKind
from bot.core.editing.slots import slots
from bot.core.models import Counter, Scheme

BOM = "\ufeff"
SEPARATOR = ";"
ITEMS = " | "  # between the items of a list in one cell; a « | » inside an item is « \\| »
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ITEM_BREAK = re.compile(r"(?<!\\)\|")


def _runs(cell: str) -> bool:
    """Whether a spreadsheet would run a cell, or it already looks neutralised (`'=…`)."""
    return cell.startswith(FORMULA_STARTS) or (cell.startswith("'") and _runs(cell[1:]))


def neutralised(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs (OWASP's « CSV injection »).

    A cell that merely looks neutralised (`'=x`) gets an apostrophe too, so that `restored`
    always gives the original back.
    """
    return "'" + cell if _runs(cell) else cell


def restored(cell: str) -> str:
    """A neutralised cell's own value (the apostrophe the export added is taken off)."""
    return cell[1:] if cell.startswith("'") and _runs(cell[1:]) else cell


def joined(items: Sequence[str]) -> str:
    """List items in one cell."""
    return ITEMS.join(item.replace("|", "\\|") for item in items)


def split(cell: str) -> list[str]:
    """The items of a list cell (an empty cell is an empty list)."""
    if not cell.strip():
        return []
    return [part.strip().replace("\\|", "|") for part in _ITEM_BREAK.split(cell)]


def cell(value: FormValue) -> str:
    """A form value as one cell."""
    return joined(value) if isinstance(value, list) else value


def columns(kind: RecordKind) -> tuple[str, ...]:
    """The columns of a kind of record: its form paths, in the form's order."""
    return tuple(slot.path for slot in slots(kind))


def export_csv(records: Sequence[Scheme | Counter], kind: RecordKind) -> str:
    """Records as CSV: UTF-8 BOM, `;`, a header of form paths, one row per record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n")
    header = columns(kind)
    writer.writerow(header)
    for record in records:
        values = form_values(record, kind)
        writer.writerow([neutralised(cell(values[path])) for path in header])
    return BOM + buffer.getvalue()


@dataclass(frozen=True)
class Row:
    """One record's line of a spreadsheet: its cells by form path, as typed."""

    line: int
    cells: Mapping[str, str]


@dataclass(frozen=True)
class Rows:
    """A spreadsheet read: the columns it has, its rows, and what could not be read."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    errors: tuple[str, ...]


def _dialect(text: str) -> tuple[str, str, int]:
    """The separator, the text without Excel's `sep=` line, and the lines that line took."""
    first, _, rest = text.partition("\n")
    hint = first.strip().lower()
    if hint.startswith("sep=") and len(hint) == 5:
        return first.strip()[4], rest, 1
    counts = {sep: first.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda sep: (counts[sep], sep == SEPARATOR)), text, 0


def read_csv(text: str, kind: RecordKind) -> Rows:
    """Read a spreadsheet export back (BOM, `;`, `,` or tab; Excel quoting); errors by line."""
    text = text.removeprefix(BOM)
    separator, body, shift = _dialect(text)
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=separator)
    errors: list[str] = []
    try:
        header = next(reader, [])
    except csv.Error as error:
        return Rows((), (), (f"ligne {1 + shift} : CSV illisible ({error}).",))
    known = set(columns(kind))
    paths: list[str | None] = []
    for title in header:
        path = title.strip() if title.strip() in known else None
        if path is None and title.strip():
            errors.append(f"ligne {1 + shift} : colonne inconnue « {title.strip()} ».")
        elif path is not None and path in paths:
            errors.append(f"ligne {1 + shift} : colonne « {path} » en double.")
        paths.append(path)
    if "id" not in paths:
        errors.append(f"ligne {1 + shift} : la colonne « id » manque.")
    if errors:
        return Rows(tuple(p for p in paths if p), (), tuple(errors))
    rows = []
    last = reader.line_num
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as error:
            errors.append(f"ligne {last + 1 + shift} : CSV illisible ({error}).")
            break
        line, last = last + 1 + shift, reader.line_num
        if cells is None:
            break
        if not any(c.strip() for c in cells):
            continue
        extra = [c for c in cells[len(paths) :] if c.strip()]
        if len(cells) < len(paths) or extra:
            errors.append(f"ligne {line} : {len(cells)} cellules au lieu de {len(paths)}.")
            continue
        found = {p: restored(c) for p, c in zip(paths, cells, strict=False) if p is not None}
        rows.append(Row(line, found))
    return Rows(tuple(p for p in paths if p), tuple(rows), tuple(errors))
