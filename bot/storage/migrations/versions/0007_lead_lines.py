"""The dashboard's lead list and the timeline's texts.

- lead_lines: a lead as the list shows, filters and searches it (a narrow copy written with the
  lead), with folded search texts: `search_public` (the reference and the commune) and
  `search` (those and the idea and the first name; back to `search_public` when the lead is
  anonymised). Existing leads get theirs.
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
INSTANT = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BATCH = 500
_PRE_APPLICATIONS = sa.table(
    "pre_applications",
    *(
        sa.column(name, kind)
        for name, kind in (
            ("id", sa.Integer()),
            ("reference", sa.String()),
            ("profile", JSON),
            ("match_snapshot", JSON),
            ("idea", sa.Text()),
            ("contact", JSON),
            ("status", sa.String()),
            ("status_at", INSTANT),
            ("created_at", INSTANT),
            ("assigned_counter_id", sa.String()),
            ("taken_by", sa.BigInteger()),
            ("version", sa.Integer()),
        )
    ),
)


def upgrade() -> None:
    """Create the lead lines (filled in for the existing leads); add the events' texts."""
    lines = op.create_table(
        "lead_lines",
        sa.Column("lead_id", BIG_ID, nullable=False),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("status_at", INSTANT, nullable=False),
        sa.Column("counter_id", sa.String(), nullable=True),
        sa.Column("taken_by", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("commune_name", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=True),
        sa.Column("carrier", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("themes_key", sa.String(), nullable=False),
        sa.Column("needs_key", sa.String(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("idea", sa.Text(), nullable=True),
        sa.Column("first_name", sa.String(), nullable=True),
        sa.Column("search_public", sa.Text(), nullable=False),
        sa.Column("search", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["pre_applications.id"],
            name="fk_lead_lines_lead_id_pre_applications",
        ),
        sa.PrimaryKeyConstraint("lead_id", name="pk_lead_lines"),
    )
    op.create_index("ix_lead_lines_counter_id", "lead_lines", ["counter_id"])
    op.create_index("ix_lead_lines_department", "lead_lines", ["department"])
    with op.batch_alter_table("lead_events") as events:
        events.add_column(sa.Column("text", sa.Text(), nullable=True))
    if not op.get_context().as_sql:  # a schema written as SQL has no rows to fill in
        _fill_in(op.get_bind(), lines)


def _fill_in(connection: sa.Connection, lines: Any) -> None:
    table = _PRE_APPLICATIONS
    last = 0
    while True:
        rows = connection.execute(
            sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        connection.execute(sa.insert(lines), [_line(row) for row in rows])
        last = rows[-1].id


def _line(row: Any) -> dict[str, Any]:
    profile = row.profile or {}
    commune = (row.match_snapshot or {}).get("commune") or {}
    name = str(commune.get("name") or profile.get("commune") or "")
    first_name = (row.contact or {}).get("first_name")
    amount = profile.get("amount")
    return {
        "lead_id": row.id,
        "reference": row.reference,
        "created_at": row.created_at,
        "status": row.status,
        "status_at": row.status_at or row.created_at,
        "counter_id": row.assigned_counter_id,
        "taken_by": row.taken_by,
        "version": row.version or 1,
        "commune_name": name,
        "department": commune.get("department") or None,
        "carrier": str(profile.get("carrier", "")),
        "stage": str(profile.get("stage", "")),
        "themes_key": theme_key(profile.get("themes") or ()),
        "needs_key": theme_key(profile.get("needs") or ()),
        "amount": amount if isinstance(amount, int) else None,
        "idea": row.idea,
        "first_name": first_name,
        "search_public": folded(row.reference, name),
        "search": folded(row.reference, name, row.idea, first_name),
    }


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("lead_events") as events:
        events.drop_column("text")
    op.drop_index("ix_lead_lines_department", table_name="lead_lines")
    op.drop_index("ix_lead_lines_counter_id", table_name="lead_lines")
    op.drop_table("lead_lines")
