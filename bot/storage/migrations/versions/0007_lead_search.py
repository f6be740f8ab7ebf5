"""The dashboard's lead search and the timeline's texts.

- pre_applications get what a lead list filters and searches on, written at filing:
  `department`, `commune_name`, `themes_key` (« |alimentation|numerique| »), `search_public`
  (the reference and the commune, folded) and `search_private` (the idea and the first name,
  folded: cleared with them when the lead is anonymised). Existing rows are filled in.
- lead_events get `text`: a note's, or a message's to or from the citizen (cleared when the
  lead is anonymised).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from bot.core.search import folded, theme_key

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types of bot/storage/tables.py at this revision.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_COLUMNS = ("department", "commune_name", "themes_key", "search_public", "search_private")
_PRE_APPLICATIONS = sa.table(
    "pre_applications",
    sa.column("id", sa.Integer()),
    sa.column("reference", sa.String()),
    sa.column("profile", JSON),
    sa.column("match_snapshot", JSON),
    sa.column("idea", sa.Text()),
    sa.column("contact", JSON),
    *(sa.column(name, sa.Text()) for name in _COLUMNS),
)
_BATCH = 500


def upgrade() -> None:
    """Add the search columns (filled in for the existing leads) and the events' texts."""
    with op.batch_alter_table("pre_applications") as table:
        for name in _COLUMNS:
            kind = sa.Text() if name.startswith("search") else sa.String()
            table.add_column(sa.Column(name, kind, nullable=True))
    op.create_index("ix_pre_applications_department", "pre_applications", ["department"])
    with op.batch_alter_table("lead_events") as events:
        events.add_column(sa.Column("text", sa.Text(), nullable=True))
    if not op.get_context().as_sql:  # a schema written as SQL has no rows to fill in
        _fill_in(op.get_bind())


def _fill_in(connection: sa.Connection) -> None:
    table = _PRE_APPLICATIONS
    last = 0
    while True:
        rows = connection.execute(
            sa.select(
                table.c.id,
                table.c.reference,
                table.c.profile,
                table.c.match_snapshot,
                table.c.idea,
                table.c.contact,
            )
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            connection.execute(
                sa.update(table).where(table.c.id == row.id).values(**_search_values(row))
            )
        last = rows[-1].id


def _search_values(row: Any) -> dict[str, Any]:
    profile = row.profile or {}
    commune = (row.match_snapshot or {}).get("commune") or {}
    name = str(commune.get("name") or profile.get("commune") or "")
    contact = row.contact or {}
    return {
        "department": commune.get("department") or None,
        "commune_name": name or None,
        "themes_key": theme_key(profile.get("themes") or ()),
        "search_public": folded(row.reference, name),
        "search_private": folded(row.idea, contact.get("first_name")) or None,
    }


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("lead_events") as events:
        events.drop_column("text")
    op.drop_index("ix_pre_applications_department", table_name="pre_applications")
    with op.batch_alter_table("pre_applications") as table:
        for name in reversed(_COLUMNS):
            table.drop_column(name)
