"""The observatory's statements, portable to SQLite and PostgreSQL (JSON arrays unnested).

The facets of the qualified ideas come out of one statement: the scope's `match_run` events
are read once (a CTE), then grouped each way (total, département, month, theme, month × theme,
département × theme) in a UNION ALL, a row per group, tagged with its facet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    case,
    cast,
    column,
    distinct,
    exists,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.functions import Function

from bot.core.observatory.rows import IdeaRows, MonthTheme, PlaceTheme, Tallied
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


def month_of(at: Any, spans: Sequence[tuple[str, dt.datetime]]) -> ColumnElement[Any]:
    """The month (in France) of an instant column, from the months' starting instants."""
    if len(spans) == 1:
        return literal(spans[0][0], String)
    whens = [(at < start, key) for (key, _), (_, start) in pairwise(spans)]
    return case(*whens, else_=literal(spans[-1][0], String))


def facets(
    dialect: str, where: Sequence[ColumnElement[bool]], spans: Sequence[tuple[str, dt.datetime]]
) -> CompoundSelect[*tuple[Any, ...]]:
    """Every facet of the qualified ideas: rows (facet, key, key2, chats, no scheme, no counter)."""
    matches = (
        select(
            E.chat_hash.label("chat"),
            month_of(E.at, spans).label("month"),
            DEPARTMENT.label("department"),
            member(dialect, E.detail, "themes").label("themes"),
            LOCAL_SCHEMES.label("schemes"),
            LOCAL_COUNTERS.label("counters"),
        )
        .where(*where)
        .cte("matches")
    )
    m = matches.c
    chats = func.count(distinct(m.chat))
    none = cast(null(), String)

    def tag(name: str) -> Any:
        return literal(name, String)

    def zero() -> Any:
        return literal(0, Integer)

    themes = elements(dialect, m.themes, "theme", text=True)
    every = elements(dialect, m.themes, "any_theme", text=True)
    branches: list[Rows] = [
        select(tag("total"), none, none, chats, zero(), zero()).select_from(matches),
        select(tag("department"), m.department, none, chats, zero(), zero()).group_by(m.department),
        select(tag("month"), m.month, none, chats, zero(), zero()).group_by(m.month),
        select(tag("theme"), themes.c.value, none, chats, zero(), zero())
        .select_from(matches)
        .join(themes, true())
        .group_by(themes.c.value),
        select(tag("month_theme"), m.month, themes.c.value, chats, zero(), zero())
        .select_from(matches)
        .join(themes, true())
        .group_by(m.month, themes.c.value),
        select(
            tag("place"),
            m.department,
            every.c.value,
            chats,
            func.count(distinct(case((m.schemes == 0, m.chat)))),
            func.count(distinct(case((m.counters == 0, m.chat)))),
        )
        .select_from(matches)
        .outerjoin(every, true())
        .group_by(m.department, every.c.value),
    ]
    return union_all(*branches)


def ideas_from_facets(
    rows: Sequence[Any], first: dt.datetime | None, last: dt.datetime | None
) -> IdeaRows:
    """The rows of `facets` as the core's idea rows."""
    total = 0
    tallies: dict[str, list[Tallied]] = {"department": [], "month": [], "theme": []}
    month_themes: list[MonthTheme] = []
    places: list[PlaceTheme] = []
    for facet, key, other, chats, schemes, counters in rows:
        if facet == "total":
            total = int(chats)
        elif facet in tallies:
            tallies[facet].append(Tallied(str(key or ""), int(chats)))
        elif facet == "month_theme":
            month_themes.append(MonthTheme(str(key), str(other), int(chats)))
        elif facet == "place":
            places.append(
                PlaceTheme(str(key or ""), other, int(chats), int(schemes), int(counters))
            )
    return IdeaRows(
        total=total,
        departments=tuple(sorted(tallies["department"], key=lambda t: t.key)),
        themes=tuple(sorted(tallies["theme"], key=lambda t: t.key)),
        months=tuple(sorted(tallies["month"], key=lambda t: t.key)),
        month_themes=tuple(sorted(month_themes, key=lambda t: (t.month, t.theme))),
        places=tuple(sorted(places, key=lambda p: (p.department, p.theme or ""))),
        first=first,
        last=last,
    )


def nothing_local(dialect: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Whether a pre-application's match snapshot lists no local scheme, no local counter."""
    found = []
    for part in ("schemes", "counters"):
        items = elements(dialect, member(dialect, P.match_snapshot, part), part)
        local = items.c.value["level"].as_string() != "national"
        found.append(~exists(select(literal(1)).select_from(items).where(local)))
    return found[0], found[1]


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
