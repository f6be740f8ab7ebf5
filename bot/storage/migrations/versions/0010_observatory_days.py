"""The observatory's daily roll-ups: closed days counted once, read instead of the events.

- observed_days: which days in France are rolled up;
- idea_days, step_days, unheard_days: their qualified ideas, funnel and unheard answers.
  The roll-up fills them from the events still kept (the server's periodic look).
- lead_lines: `no_local_scheme`, `no_local_counter` (the gaps' ideas), filled in from each
  lead's match snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types of bot/storage/observatory_tables.py at this revision.
INSTANT = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NATIONAL = "national"
_BATCH = 500
_SNAPSHOTS = sa.table(
    "pre_applications", sa.column("id", sa.Integer()), sa.column("match_snapshot", JSON)
)
_LINES = sa.table(
    "lead_lines",
    sa.column("lead_id", sa.Integer()),
    sa.column("no_local_scheme", sa.Boolean()),
    sa.column("no_local_counter", sa.Boolean()),
)


def _counted(
    name: str, keys: Sequence[str], counts: Sequence[str], labels: Sequence[str] = ()
) -> None:
    op.create_table(
        name,
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(key, sa.String(), nullable=False) for key in (*keys, *labels)),
        *(sa.Column(count, sa.Integer(), nullable=False) for count in counts),
        sa.PrimaryKeyConstraint("day", *keys, name=f"pk_{name}"),
    )


def upgrade() -> None:
    """Create the four tables."""
    op.create_table(
        "observed_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rolled_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_observed_days"),
    )
    _counted(
        "idea_days",
        ("department", "theme"),
        ("conversations", "without_scheme", "without_counter"),
        ("month",),
    )
    op.create_index("ix_idea_days_theme_day", "idea_days", ["theme", "day"])
    _counted("step_days", ("department", "node", "kind"), ("events", "conversations"))
    op.create_index("ix_step_days_department_day", "step_days", ["department", "day"])
    _counted("unheard_days", ("department", "node", "text"), ("times", "conversations"))
    op.create_index("ix_unheard_days_department_day", "unheard_days", ["department", "day"])
    with op.batch_alter_table("lead_lines") as lines:
        for name in ("no_local_scheme", "no_local_counter"):
            lines.add_column(
                sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)
            )
    if not op.get_context().as_sql:  # a schema written as SQL has no rows to fill in
        _fill_in(op.get_bind())


def _fill_in(connection: sa.Connection) -> None:
    """Each lead's flags, from the levels of the schemes and counters its match showed."""
    table = _SNAPSHOTS
    last = 0
    while True:
        rows = connection.execute(
            sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            snapshot = row.match_snapshot or {}
            connection.execute(
                sa.update(_LINES)
                .where(_LINES.c.lead_id == row.id)
                .values(
                    no_local_scheme=not _local(snapshot.get("schemes")),
                    no_local_counter=not _local(snapshot.get("counters")),
                )
            )
        last = rows[-1].id


def _local(shown: object) -> bool:
    """Whether a list of shown records holds one below the national level."""
    return isinstance(shown, list) and any(
        isinstance(item, dict) and item.get("level") != NATIONAL for item in shown
    )


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("lead_lines") as lines:
        lines.drop_column("no_local_counter")
        lines.drop_column("no_local_scheme")
    op.drop_index("ix_unheard_days_department_day", table_name="unheard_days")
    op.drop_table("unheard_days")
    op.drop_index("ix_step_days_department_day", table_name="step_days")
    op.drop_table("step_days")
    op.drop_index("ix_idea_days_theme_day", table_name="idea_days")
    op.drop_table("idea_days")
    op.drop_table("observed_days")
