"""The advisors' side: people, groups, link codes; pre-applications worked as leads.

- people (an advisor or a staff member, e-mail lower-case and unique, a Telegram account at
  most once) and the counters they advise for (person_counters).
- groups: Telegram groups linked to a counter, or the staff group (counter_id NULL).
- link_codes (one-time codes, by hash) and wrong_codes (tries, counted per chat and hour).
- pre_applications get the lead's columns; their status « nouvelle » becomes « nouveau », and
  `status_at` starts at the filing time.
- lead_events (a lead's timeline, no personal data) and lead_cards (where its card is shown,
  and the lead's version it shows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types of bot/storage/tables.py at this revision.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
INSTANT = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_LEAD_COLUMNS: tuple[tuple[str, Any, dict[str, Any]], ...] = (
    ("status_at", INSTANT, {}),
    ("version", sa.Integer(), {"server_default": "1", "nullable": False}),
    ("assigned_counter_id", sa.String(), {}),
    ("assignment_reason", sa.String(), {}),
    ("assigned_at", INSTANT, {}),
    ("taken_by", sa.BigInteger(), {}),
    ("relay_open", sa.Boolean(), {"server_default": sa.false(), "nullable": False}),
    ("citizen_told", sa.Boolean(), {"server_default": sa.false(), "nullable": False}),
    ("reminded_on", sa.Date(), {}),
    ("escalated_at", INSTANT, {}),
    ("excluded", JSON, {"server_default": sa.text("'[]'"), "nullable": False}),
    ("awaiting_person_id", sa.BigInteger(), {}),
    ("awaiting_action", sa.String(), {}),
)
_LEAD_INDEXES = (
    ("ix_pre_applications_assigned_counter_id_status", ["assigned_counter_id", "status"]),
    ("ix_pre_applications_status", ["status"]),
    ("ix_pre_applications_awaiting_person_id", ["awaiting_person_id"]),
)
_TAKEN_BY_FK = "fk_pre_applications_taken_by_people"


def upgrade() -> None:
    """Create the advisors' tables; turn pre-applications into leads."""
    op.create_table(
        "people",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("disabled_at", INSTANT, nullable=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("email", name="uq_people_email"),
        sa.UniqueConstraint("telegram_user_id", name="uq_people_telegram_user_id"),
    )
    op.create_table(
        "person_counters",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("counter_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_person_counters_person_id_people"
        ),
        sa.PrimaryKeyConstraint("person_id", "counter_id", name="pk_person_counters"),
    )
    op.create_table(
        "groups",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("counter_id", sa.String(), nullable=True),
        sa.Column("digest", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("linked_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name="pk_groups"),
    )
    op.create_table(
        "link_codes",
        sa.Column("code_hash", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.Column("used_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_link_codes"),
    )
    op.create_table(
        "wrong_codes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_wrong_codes"),
    )
    op.create_index("ix_wrong_codes_chat_id_at", "wrong_codes", ["chat_id", "at"])

    with op.batch_alter_table("pre_applications") as batch:
        for name, type_, options in _LEAD_COLUMNS:
            batch.add_column(sa.Column(name, type_, **{"nullable": True, **options}))
    # One statement each, no loop over rows (`alembic upgrade --sql` has no rows to read).
    op.execute("UPDATE pre_applications SET status = 'nouveau' WHERE status = 'nouvelle'")
    op.execute("UPDATE pre_applications SET status_at = created_at")
    # SQLite recreates the table here (a constraint and a NOT NULL cannot be added in place);
    # no other table references it yet.
    with op.batch_alter_table("pre_applications") as batch:
        batch.alter_column("status_at", existing_type=INSTANT, nullable=False)
        batch.alter_column(
            "status",
            existing_type=sa.String(),
            existing_nullable=False,
            server_default="nouveau",
        )
        batch.create_foreign_key(_TAKEN_BY_FK, "people", ["taken_by"], ["id"])
    for name, columns in _LEAD_INDEXES:
        op.create_index(name, "pre_applications", columns)

    op.create_table(
        "lead_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["pre_applications.id"], name="fk_lead_events_lead_id_pre_applications"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lead_events"),
    )
    op.create_index("ix_lead_events_lead_id", "lead_events", ["lead_id"])
    op.create_table(
        "lead_cards",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["pre_applications.id"], name="fk_lead_cards_lead_id_pre_applications"
        ),
        sa.PrimaryKeyConstraint("lead_id", "chat_id", name="pk_lead_cards"),
    )
    op.create_index("ix_lead_cards_chat_id_message_id", "lead_cards", ["chat_id", "message_id"])


def downgrade() -> None:
    """Drop what `upgrade` added; « nouveau » goes back to « nouvelle » (other statuses stay)."""
    op.drop_index("ix_lead_cards_chat_id_message_id", table_name="lead_cards")
    op.drop_table("lead_cards")
    op.drop_index("ix_lead_events_lead_id", table_name="lead_events")
    op.drop_table("lead_events")
    for name, _ in _LEAD_INDEXES:
        op.drop_index(name, table_name="pre_applications")
    with op.batch_alter_table("pre_applications") as batch:
        batch.drop_constraint(_TAKEN_BY_FK, type_="foreignkey")
        batch.alter_column(
            "status",
            existing_type=sa.String(),
            existing_nullable=False,
            server_default="nouvelle",
        )
        for name, _, _ in reversed(_LEAD_COLUMNS):
            batch.drop_column(name)
    op.execute("UPDATE pre_applications SET status = 'nouvelle' WHERE status = 'nouveau'")
    op.drop_index("ix_wrong_codes_chat_id_at", table_name="wrong_codes")
    op.drop_table("wrong_codes")
    op.drop_table("link_codes")
    op.drop_table("groups")
    op.drop_table("person_counters")
    op.drop_table("people")
