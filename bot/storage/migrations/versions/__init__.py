"""Alembic revision scripts, oldest first by their number (Alembic skips this file)."""
