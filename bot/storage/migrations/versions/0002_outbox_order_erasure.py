"""Every reply through the outbox, in order per recipient; pre-applications that can be erased.

- outbox: `dead_at` and `error` (a message given up: refused, or its recipient blocked us),
  and an index on (recipient, id) for the per-recipient order.
- pre_applications: the free-text idea, the self-assessment and the campaign get columns of
  their own, so that an erasure can empty them (the idea used to sit inside `profile`).
- inbox: updates fetched by long polling and not yet processed, so that acknowledging them
  to Telegram (which it needs before it sends newer ones) loses none in a crash.
- events: rows keyed by the former unkeyed SHA-256 of the chat key are deleted. Anyone could
  find a chat id back from them by hashing candidate ids; events are now keyed by an HMAC.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the columns, the index and the inbox; move ideas out of profiles; drop unkeyed events."""
    op.create_table(
        "inbox",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("channel", "update_id", name="pk_inbox"),
    )
    op.create_index("ix_inbox_received_at", "inbox", ["received_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("dead_at", INSTANT, nullable=True))
        batch.add_column(sa.Column("error", sa.String(), nullable=True))
    op.create_index("ix_outbox_recipient_id", "outbox", ["recipient", "id"])
    with op.batch_alter_table("pre_applications") as batch:
        batch.add_column(sa.Column("idea", sa.Text(), nullable=True))
        batch.add_column(sa.Column("assessment", JSON, nullable=True))
        batch.add_column(sa.Column("campaign", sa.String(), nullable=True))
    # One statement per dialect rather than a loop over rows: `alembic upgrade --sql` has no
    # connection to read rows from, and a large table would be read into memory.
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "UPDATE pre_applications SET profile = profile - 'idea', "
            "idea = CASE WHEN jsonb_typeof(profile -> 'idea') = 'string' "
            "THEN profile ->> 'idea' END "
            "WHERE profile -> 'idea' IS NOT NULL"
        )
    else:
        op.execute(
            "UPDATE pre_applications SET profile = json_remove(profile, '$.idea'), "
            "idea = CASE WHEN json_type(profile, '$.idea') = 'text' "
            "THEN json_extract(profile, '$.idea') END "
            "WHERE json_type(profile, '$.idea') IS NOT NULL"
        )
    op.execute("DELETE FROM events")


def downgrade() -> None:
    """Drop what `upgrade` added (ideas go back into profiles; deleted events stay deleted)."""
    op.drop_index("ix_inbox_received_at", table_name="inbox")
    op.drop_table("inbox")
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "UPDATE pre_applications SET profile = profile || jsonb_build_object('idea', idea) "
            "WHERE idea IS NOT NULL"
        )
    else:
        op.execute(
            "UPDATE pre_applications SET profile = json_set(profile, '$.idea', idea) "
            "WHERE idea IS NOT NULL"
        )
    with op.batch_alter_table("pre_applications") as batch:
        batch.drop_column("campaign")
        batch.drop_column("assessment")
        batch.drop_column("idea")
    op.drop_index("ix_outbox_recipient_id", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("error")
        batch.drop_column("dead_at")
