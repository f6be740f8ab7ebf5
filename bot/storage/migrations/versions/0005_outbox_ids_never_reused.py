"""Outbox ids are never reused: a web chat message's `seq` is its row's id.

- outbox: on SQLite, AUTOINCREMENT. Without it SQLite gives a new row the largest id + 1, so
  once the newest replies were delivered (and deleted), their ids came back for the next ones,
  and a web page dropped them as already shown. PostgreSQL's sequence never goes back: no-op.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Rebuild SQLite's outbox with AUTOINCREMENT (its rows and indexes kept)."""
    if op.get_context().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "outbox", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade() -> None:
    """Rebuild it without (ids may then be reused again)."""
    if op.get_context().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "outbox", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
