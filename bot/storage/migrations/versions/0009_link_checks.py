"""The staff's upkeep list: what citizens were shown, and the link checks.

- matched_records: the schemes and counters ever shown to a citizen, gathered from the
  `match_run` events (their ids are logged since this release) and kept past the events'
  retention; match_scans: how far that gathering has read the events.
- link_checks: one row per check a staff member started (`running` unique: one at a time
  across replicas); link_results: what each link of each record gave.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types of bot/storage/tables.py at this revision.
INSTANT = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the four tables."""
    op.create_table(
        "matched_records",
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("first_at", INSTANT, nullable=False),
        sa.Column("last_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("kind", "record_id", name="pk_matched_records"),
    )
    op.create_table(
        "match_scans",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("settled_at", INSTANT, nullable=True),
        sa.Column("since", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_match_scans"),
    )
    op.create_table(
        "link_checks",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("started_at", INSTANT, nullable=False),
        sa.Column("started_by", sa.String(), nullable=False),
        sa.Column("finished_at", INSTANT, nullable=True),
        sa.Column("running", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_link_checks"),
        sa.UniqueConstraint("running", name="uq_link_checks_running"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "link_results",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("check_id", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("record_kind", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["check_id"], ["link_checks.id"], name="fk_link_results_check_id_link_checks"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_link_results"),
    )
    op.create_index("ix_link_results_check_id", "link_results", ["check_id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_link_results_check_id", table_name="link_results")
    op.drop_table("link_results")
    op.drop_table("link_checks")
    op.drop_table("match_scans")
    op.drop_table("matched_records")
