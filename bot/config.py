"""Settings from the environment (`COMPTOIR_*` variables); the only module that reads it."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPOSITORY = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Deployment configuration; every field can be set as COMPTOIR_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="COMPTOIR_", extra="ignore", frozen=True)

    knowledge_dir: Path = REPOSITORY / "knowledge"
    dialogs_dir: Path = REPOSITORY / "dialogs"
    # Embedded default: a SQLite file under ./var/; production sets a postgresql+asyncpg URL.
    database_url: str = "sqlite+aiosqlite:///var/comptoir.sqlite3"
