"""Alembic migrations of the Comptoir schema (run by `bot.storage.migrate`)."""
