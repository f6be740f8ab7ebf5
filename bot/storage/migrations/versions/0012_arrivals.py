"""The webhook's arrivals: updates pushed to any replica, processed per chat in update_id order."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types of bot/storage/arrival_table.py at this revision.
INSTANT = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the table and its indexes."""
    op.create_table(
        "arrivals",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat", sa.String(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claimed_until", INSTANT, nullable=True),
        sa.Column("done_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("channel", "update_id", name="pk_arrivals"),
    )
    op.create_index(
        "ix_arrivals_channel_chat_update_id", "arrivals", ["channel", "chat", "update_id"]
    )
    op.create_index("ix_arrivals_received_at", "arrivals", ["received_at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_arrivals_received_at", table_name="arrivals")
    op.drop_index("ix_arrivals_channel_chat_update_id", table_name="arrivals")
    op.drop_table("arrivals")
