"""Settings from the environment (`COMPTOIR_*` variables); the only module that reads it."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPOSITORY = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Deployment configuration; every field can be set as COMPTOIR_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="COMPTOIR_", extra="ignore", frozen=True)

    knowledge_dir: Path = REPOSITORY / "knowledge"
    dialogs_dir: Path = REPOSITORY / "dialogs"
    # Embedded default: a SQLite file under ./var/; production sets a postgresql+asyncpg URL.
    database_url: str = "sqlite+aiosqlite:///var/comptoir.sqlite3"

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Telegram: without a token the server still serves (health checks, later the web chat).
    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    telegram_per_chat_interval: float = Field(default=1.0, ge=0)
    telegram_overall_per_second: float = Field(default=30.0, gt=0)
    telegram_per_chat_burst: int = Field(default=3, ge=1, le=20)

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Settings:
        if self.webhook_url:
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
                raise ValueError(
                    "COMPTOIR_WEBHOOK_SECRET is required with COMPTOIR_WEBHOOK_URL: "
                    "1 to 256 characters among A-Z, a-z, 0-9, _ and -"
                )
        return self
