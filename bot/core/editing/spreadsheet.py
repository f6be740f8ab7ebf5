"""The spreadsheet round trip of the knowledge: export, read back, plan and describe an import.

The cell rule (`neutralised`, `restored`, `FORMULA_STARTS`) lives here in core so that every
CSV export, the dashboard's included, can share it.
"""

from __future__ import annotations

from bot.core.editing.imports import (
    Added,
    Changed,
    FieldChange,
    FileEdit,
    ImportPlan,
    Removed,
    describe,
    plan_import,
    planned_files,
)
from bot.core.editing.table import (
    BOM,
    FORMULA_STARTS,
    SEPARATOR,
    Row,
    Rows,
    columns,
    export_csv,
    neutralised,
    read_csv,
    restored,
)

__all__ = [
    "BOM",
    "FORMULA_STARTS",
    "SEPARATOR",
    "Added",
    "Changed",
    "FieldChange",
    "FileEdit",
    "ImportPlan",
    "Removed",
    "Row",
    "Rows",
    "columns",
    "describe",
    "export_csv",
    "neutralised",
    "plan_import",
    "planned_files",
    "read_csv",
    "restored",
]
