"""The staff's content editing: the audit log of saved changes, and the published versions.

- content_changes: who changed which knowledge record when, with the file's unified diff.
- content_versions: one row per publication; replicas poll the newest to reload in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types of bot/storage/tables.py at this revision.
INSTANT = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the audit log and the versions."""
    op.create_table(
        "content_changes",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_content_changes"),
    )
    op.create_index("ix_content_changes_record_id", "content_changes", ["record_id"])
    op.create_table(
        "content_versions",
        sa.Column("version", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("published_at", INSTANT, nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("last_change", sa.BigInteger(), nullable=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_content_versions"),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("content_versions")
    op.drop_index("ix_content_changes_record_id", table_name="content_changes")
    op.drop_table("content_changes")
