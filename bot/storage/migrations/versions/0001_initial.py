"""Initial schema: conversations, processed updates, pre-applications, events, outbox."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types of bot/storage/tables.py at this revision.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
INSTANT = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "conversations",
        sa.Column("chat_key", sa.String(), nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("tree_version", sa.String(), nullable=False),
        sa.Column("node", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("campaign", sa.String(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("chat_key", name="pk_conversations"),
    )
    op.create_index("ix_conversations_updated_at", "conversations", ["updated_at"])

    op.create_table(
        "processed_updates",
        sa.Column("chat_key", sa.String(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("chat_key", "update_id", name="pk_processed_updates"),
    )
    op.create_index("ix_processed_updates_at", "processed_updates", ["at"])

    op.create_table(
        "reference_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name="pk_reference_counters"),
    )

    op.create_table(
        "pre_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("chat_key", sa.String(), nullable=True),
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("profile", JSON, nullable=False),
        sa.Column("match_snapshot", JSON, nullable=False),
        sa.Column("contact", JSON, nullable=False),
        sa.Column("consent_at", INSTANT, nullable=False),
        sa.Column("consent_version", sa.String(), nullable=False),
        sa.Column("counter_id", sa.String(), nullable=True),
        sa.Column("status", sa.String(), server_default="nouvelle", nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("anonymised_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_pre_applications"),
        sa.UniqueConstraint(
            "chat_key", "idempotency_key", name="uq_pre_applications_chat_key_idempotency_key"
        ),
        sa.UniqueConstraint("reference", name="uq_pre_applications_reference"),
    )
    op.create_index("ix_pre_applications_chat_key", "pre_applications", ["chat_key"])

    op.create_table(
        "events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("chat_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("node", sa.String(), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_chat_hash", "events", ["chat_hash"])
    op.create_index("ix_events_at", "events", ["at"])

    op.create_table(
        "outbox",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", INSTANT, nullable=False),
        sa.Column("delivered_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index(
        "ix_outbox_delivered_at_next_attempt_at", "outbox", ["delivered_at", "next_attempt_at"]
    )


def downgrade() -> None:
    """Drop the tables."""
    op.drop_table("outbox")
    op.drop_table("events")
    op.drop_table("pre_applications")
    op.drop_table("reference_counters")
    op.drop_table("processed_updates")
    op.drop_table("conversations")
