"""Errors the storage layer raises for callers to act on."""

from __future__ import annotations

from bot.services.ports_advisors import StaleLead


class StaleConversation(RuntimeError):
    """A save whose version is not the stored version + 1: someone else saved in between."""

    def __init__(self, chat_key_hash: str, stored: int, attempted: int) -> None:
        super().__init__(
            f"conversation {chat_key_hash[:12]}: stored version {stored}, "
            f"save attempted with version {attempted} (expected {stored + 1})"
        )
        self.stored = stored
        self.attempted = attempted


class DatabaseTooNew(RuntimeError):
    """The database was migrated by a newer Comptoir than this one: refuse to touch it."""

    def __init__(self, found: str, known_head: str | None) -> None:
        super().__init__(
            "La base de données est plus récente que ce programme "
            f"(révision {found!r}, la plus récente connue ici est {known_head!r}) : "
            "installez la version de Comptoir qui l'a migrée, ou restaurez une sauvegarde. "
            "/ The database is newer than this program "
            f"(revision {found!r}, newest known here is {known_head!r}): "
            "install the Comptoir version that migrated it, or restore a backup."
        )
        self.found = found
        self.known_head = known_head


class UnsupportedDatabase(ValueError):
    """A database URL whose backend Comptoir does not support (only SQLite and PostgreSQL)."""

    def __init__(self, backend: str) -> None:
        super().__init__(
            f"Base de données non prise en charge : {backend!r} (SQLite ou PostgreSQL). "
            f"/ Unsupported database {backend!r}: use sqlite+aiosqlite:// or "
            "postgresql+asyncpg://."
        )
        self.backend = backend


class NestedTransaction(RuntimeError):
    """A store call inside a `chat()` or `lead()` block of its task: it would wait for itself."""

    def __init__(self, operation: str) -> None:
        super().__init__(
            f"store.{operation}() called inside a store.chat() or leads.lead() block: it would "
            "wait for the lock that block holds; call it after the block ends"
        )
        self.operation = operation


class MissingSecret(RuntimeError):
    """A secret the deployment must provide is missing or too weak."""


def stale_lead(lead_id: int, stored: int, attempted: int) -> StaleLead:
    """The error of a lead saved with a version that is not the stored one + 1."""
    return StaleLead(
        f"lead {lead_id}: stored version {stored}, save attempted with version {attempted} "
        f"(expected {stored + 1})"
    )


class DatabaseClosed(RuntimeError):
    """A store used after its database was closed (at shutdown)."""

    def __init__(self) -> None:
        super().__init__("the database is closed")
