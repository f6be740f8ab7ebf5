"""The observatory's statement parts, portable to SQLite and PostgreSQL (JSON arrays unnested)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    String,
    case,
    cast,
    column,
    distinct,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.functions import Function

from bot.storage.tables import EventRow as E
from bot.storage.tables import LeadLineRow as L
from bot.storage.tables import PreApplicationRow as P

Rows = Select[*tuple[Any, ...]]  # a statement of any columns
DEPARTMENT = E.detail["department"].as_string()
LOCAL_SCHEMES = E.detail["local_schemes"].as_integer()
LOCAL_COUNTERS = E.detail["local_counters"].as_integer()


def elements(dialect: str, array: Any, name: str, text: bool = False) -> Any:
    """The elements of a JSON array as a table (column `value`), to join laterally."""
    # Anything but an array (a JSON null: no self-assessment) is read as an empty one.
    if dialect == "sqlite":
        empty: Any = literal("[]", String)
        unnest: Function[Any] = func.json_each(
            case((func.json_type(array) == "array", array), else_=empty)
        )
    else:
        empty = cast(literal("[]", String), JSONB)
        listed = case((func.jsonb_typeof(array) == "array", array), else_=empty)
        unnest = (func.jsonb_array_elements_text if text else func.jsonb_array_elements)(listed)
    return unnest.table_valued(column("value", String if text else JSON)).alias(name)


def member(dialect: str, document: Any, key: str) -> Any:
    """A JSON document's member that is itself an array (to unnest)."""
    return func.json_extract(document, f"$.{key}") if dialect == "sqlite" else document[key]


def assessments(dialect: str, where: Sequence[ColumnElement[bool]]) -> tuple[Rows, Rows]:
    """The statements of the self-assessments: by (marker, level), and how many leads."""
    answers = elements(dialect, P.assessment, "answer")
    marker = answers.c.value["marker"].as_string()
    level = answers.c.value["level"].as_integer()
    leads = func.count(distinct(P.id))
    joined = select(marker, level, leads).select_from(L).join(P, P.id == L.lead_id)
    levels = joined.join(answers, true()).where(*where).group_by(marker, level)
    assessed = (
        select(leads).select_from(L).join(P, P.id == L.lead_id).join(answers, true()).where(*where)
    )
    return levels, assessed
