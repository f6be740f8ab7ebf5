"""Conversations kept only while they last: their citizen refused consent.

- conversations: `ephemeral` (false for every existing row). Such a conversation is erased at
  its end and, once left, by the purge a day after its last message (`Retention.unkept`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add `conversations.ephemeral`."""
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(
            sa.Column("ephemeral", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Drop it (the purge then keeps such conversations for the usual 12 months)."""
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("ephemeral")
