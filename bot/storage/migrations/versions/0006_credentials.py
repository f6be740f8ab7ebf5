"""The dashboard's accounts: passwords, session generations, wrong passwords counted.

- people: `password_hash` (Argon2id, never the password), `password_set_at`, and
  `session_generation` (a session cookie names it: moving it on ends older sessions).
- sign_in_failures: wrong passwords, by a keyed hash of the e-mail or of the address.
- link_codes also hold dashboard links (first start, invitations); their kind is checked by
  the code, not by the schema.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types of bot/storage/tables.py at this revision.
INSTANT = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add the people's credentials and the sign-in failures."""
    with op.batch_alter_table("people") as people:
        people.add_column(sa.Column("password_hash", sa.String(), nullable=True))
        people.add_column(sa.Column("password_set_at", INSTANT, nullable=True))
        people.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "sign_in_failures",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_failures"),
    )
    op.create_index(
        "ix_sign_in_failures_key_hash_at", "sign_in_failures", ["key_hash", "at"], unique=False
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_sign_in_failures_key_hash_at", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("people") as people:
        people.drop_column("session_generation")
        people.drop_column("password_set_at")
        people.drop_column("password_hash")
