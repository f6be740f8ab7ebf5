"""The spreadsheet round trip: export, read back, and the plan of what an import would change."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.core.catalog import Catalog
from bot.core.editing.fields import RecordKind
from bot.core.editing.spreadsheet import (
    FieldChange,
    describe,
    export_csv,
    neutralised,
    plan_import,
    planned_files,
    read_csv,
    restored,
)
from bot.core.editing.yaml_files import write_atomically
from bot.core.knowledge import load_knowledge
from bot.core.models import Counter, Scheme


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


def written(rows: list[list[str]], delimiter: str = ";", quote_all: bool = False) -> str:
    buffer = io.StringIO()
    if quote_all:
        writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL)
    else:
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def records(catalog: Catalog, kind: RecordKind) -> tuple[Scheme | Counter, ...]:
    return catalog.knowledge.schemes if kind == "scheme" else catalog.knowledge.counters


@pytest.mark.parametrize("kind", ["scheme", "counter"])
def test_export_then_import_of_the_shipped_knowledge_changes_nothing(
    catalog: Catalog, kind: RecordKind
) -> None:
    current = records(catalog, kind)
    rows = read_csv(export_csv(current, kind), kind)
    assert rows.errors == () and len(rows.rows) == len(current)
    plan = plan_import(current, rows, kind, catalog.knowledge)
    assert plan.empty
    assert describe(plan) == "Ajoutés (0)\nModifiés (0)\nSupprimés (0)\n"


def test_the_export_is_for_a_french_spreadsheet(catalog: Catalog) -> None:
    text = export_csv(catalog.knowledge.schemes, "scheme")
    assert text.startswith("\ufeffid;name;funder;kind;summary.fr;summary.en;")
    assert "\r\n" in text
    lines = table(text)
    assert len(lines) == 1 + len(catalog.knowledge.schemes)
    header, first = lines[0], dict(zip(lines[0], lines[1], strict=True))
    assert len(set(header)) == len(header)
    row = next(r for r in lines if r[0] == "france-active-garantie")
    garantie = dict(zip(header, row, strict=True))
    assert garantie["carriers"].startswith("habitant | association | cooperative")
    assert garantie["official"] == "oui" and garantie["amount.max"] == "200000"
    assert first["id"] == catalog.knowledge.schemes[0].id


def test_one_changed_cell_is_exactly_one_field_change(catalog: Catalog) -> None:
    lines = table(export_csv(catalog.knowledge.schemes, "scheme"))
    column = lines[0].index("amount.max")
    row = next(r for r in lines if r[0] == "france-active-garantie")
    row[column] = "150000"
    rows = read_csv(written(lines, delimiter=";"), "scheme")
    plan = plan_import(catalog.knowledge.schemes, rows, "scheme", catalog.knowledge)
    assert plan.added == () and plan.removed == () and plan.errors == ()
    assert [c.record_id for c in plan.changed] == ["france-active-garantie"]
    assert plan.changed[0].changes == (
        FieldChange("amount.max", "Montant maximum (€)", "200000", "150000"),
    )
    assert "      Montant maximum (€) [amount.max] : 200000 → 150000\n" in describe(plan)


def test_added_and_removed_rows(catalog: Catalog) -> None:
    lines = table(export_csv(catalog.knowledge.schemes, "scheme"))
    dla = next(r for r in lines if r[0] == "dla")
    lines.remove(dla)
    copy = list(dla)
    copy[0], copy[1] = "dla-copie", "Copie du DLA"
    lines.append(copy)
    plan = plan_import(
        catalog.knowledge.schemes,
        read_csv(written(lines, delimiter=";"), "scheme"),
        "scheme",
        catalog.knowledge,
    )
    assert [(a.record_id, a.name) for a in plan.added] == [("dla-copie", "Copie du DLA")]
    assert [r.record_id for r in plan.removed] == ["dla"]
    assert plan.changed == () and plan.errors == ()
    text = describe(plan)
    assert "Ajoutés (1)\n  + dla-copie : Copie du DLA\n" in text
    assert "Supprimés (1)\n  - dla : " in text


def test_errors_name_their_line_and_field_and_nothing_is_planned_for_that_row(
    catalog: Catalog,
) -> None:
    lines = table(export_csv(catalog.knowledge.schemes, "scheme"))
    column = lines[0].index("amount.max")
    number = next(i for i, r in enumerate(lines) if r[0] == "france-active-garantie")
    lines[number][column] = "beaucoup"
    plan = plan_import(
        catalog.knowledge.schemes,
        read_csv(written(lines, delimiter=";"), "scheme"),
        "scheme",
        catalog.knowledge,
    )
    assert plan.errors == (f"ligne {number + 1} : amount.max : Nombre entier attendu.",)
    assert plan.changed == () and plan.removed == ()
    assert "Erreurs (1) : rien ne sera appliqué\n" in describe(plan)


def test_neutralised_cells_read_back_as_they_were(catalog: Catalog) -> None:
    counter = catalog.knowledge.counters[0]
    odd = counter.model_copy(update={"name": "=HYPERLINK(1)", "latitude": -21.1, "longitude": 55.5})
    text = export_csv([odd], "counter")
    row = dict(zip(*table(text), strict=True))
    assert row["name"] == "'=HYPERLINK(1)" and row["latitude"] == "'-21.1"
    plan = plan_import([odd], read_csv(text, "counter"), "counter", catalog.knowledge)
    assert plan.empty
    cells = ("@x", "'=x", "''+x", "'x", "-", "", "\tx")
    assert [restored(neutralised(c)) for c in cells] == list(cells)
    assert restored("=x") == "=x"  # a spreadsheet that dropped the apostrophe


def test_excel_quoting_commas_and_a_missing_bom_are_read(catalog: Catalog) -> None:
    lines = table(export_csv(catalog.knowledge.counters, "counter"))
    excel = written(lines, delimiter=",", quote_all=True)
    assert not excel.startswith("\ufeff")
    rows = read_csv(excel, "counter")
    assert rows.errors == ()
    plan = plan_import(catalog.knowledge.counters, rows, "counter", catalog.knowledge)
    assert plan.empty
    hinted = read_csv("sep=;\r\n" + written(lines, delimiter=";"), "counter")
    assert hinted.errors == () and hinted.rows[0].line == 3


def test_a_cell_over_several_lines_keeps_the_line_numbers_right(catalog: Catalog) -> None:
    lines = table(export_csv(catalog.knowledge.schemes, "scheme"))
    column = lines[0].index("summary.fr")
    lines[1][column] = 'Un résumé\nsur deux lignes ; avec « guillemets » et "quotes"'
    lines[2][lines[0].index("amount.min")] = "x"
    rows = read_csv(written(lines, delimiter=";"), "scheme")
    assert [r.line for r in rows.rows[:3]] == [2, 4, 5]
    plan = plan_import(catalog.knowledge.schemes, rows, "scheme", catalog.knowledge)
    assert plan.errors == ("ligne 4 : amount.min : Nombre entier attendu.",)


def test_unknown_and_doubled_columns_are_refused() -> None:
    rows = read_csv("id;nom;name;name\r\ndla;a;b;c\r\n", "scheme")
    assert rows.rows == ()
    assert rows.errors == (
        "ligne 1 : colonne inconnue « nom ».",
        "ligne 1 : colonne « name » en double.",
    )
    assert read_csv("name\r\nx\r\n", "counter").errors == ("ligne 1 : la colonne « id » manque.",)
    short = read_csv("id;name\r\ndla\r\n", "scheme")
    assert short.errors == ("ligne 2 : 1 cellules au lieu de 2.",)


def test_a_column_left_out_keeps_the_records_values(catalog: Catalog) -> None:
    lines = table(export_csv(catalog.knowledge.schemes, "scheme"))
    keep = [lines[0].index("id"), lines[0].index("name")]
    narrow = [[row[i] for i in keep] for row in lines]
    narrow[1][1] = narrow[1][1] + " (nouveau nom)"
    rows = read_csv(written(narrow, delimiter=";"), "scheme")
    plan = plan_import(catalog.knowledge.schemes, rows, "scheme", catalog.knowledge)
    assert plan.errors == () and plan.removed == ()
    assert [[c.path for c in change.changes] for change in plan.changed] == [["name"]]


def test_a_pipe_inside_a_list_item_survives(catalog: Catalog) -> None:
    scheme = catalog.knowledge.schemes[0]
    odd = scheme.model_copy(update={"source": ("RTES | kit n°10", "https://a.fr")})
    text = export_csv([odd], "scheme")
    assert "RTES \\| kit n°10 | https://a.fr" in text
    assert plan_import([odd], read_csv(text, "scheme"), "scheme", catalog.knowledge).empty


def test_applying_a_plan_writes_files_the_loader_accepts(
    catalog: Catalog, knowledge_copy: Path
) -> None:
    lines = table(export_csv(catalog.knowledge.schemes, "scheme"))
    column = lines[0].index("amount.max")
    next(r for r in lines if r[0] == "france-active-garantie")[column] = "150000"
    dla = next(r for r in lines if r[0] == "dla")
    lines.remove(dla)
    lines.append(["dla-copie", "Copie du DLA", *dla[2:]])
    rows = read_csv(written(lines, delimiter=";"), "scheme")
    plan = plan_import(catalog.knowledge.schemes, rows, "scheme", catalog.knowledge)
    edits = planned_files(plan, knowledge_copy, "scheme", "Imported from a spreadsheet.")
    assert sorted((e.record_id, e.old is None, e.new is None) for e in edits) == [
        ("dla", False, True),
        ("dla-copie", True, False),
        ("france-active-garantie", False, False),
    ]
    for edit in edits:
        if edit.new is None:
            edit.path.unlink()
        else:
            write_atomically(edit.path, edit.new)
    loaded = load_knowledge(knowledge_copy, catalog.knowledge.geo)
    ids = {s.id for s in loaded.schemes}
    assert "dla-copie" in ids and "dla" not in ids
    assert all(a.record in loaded.schemes for a in plan.added)
    assert all(c.record in loaded.schemes for c in plan.changed)
