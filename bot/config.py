"""Settings from the environment (`COMPTOIR_*` variables); the only module that reads it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/comptoir.sqlite3"


class Settings(BaseSettings):
    """Deployment configuration; every field can be set as COMPTOIR_<NAME>."""

    # An empty variable (`COMPTOIR_TELEGRAM_TOKEN=` in an environment file) means its default.
    model_config = SettingsConfigDict(
        env_prefix="COMPTOIR_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    knowledge_dir: Path = REPOSITORY / "knowledge"
    dialogs_dir: Path = REPOSITORY / "dialogs"
    dialog: str = Field(default="qualification", pattern=r"^[a-z0-9_-]{1,64}$")
    # Embedded default: a SQLite file under ./var/; production sets a postgresql+asyncpg URL.
    database_url: str = DEFAULT_DATABASE_URL
    # Keys the event log's pseudonyms (HMAC); required with PostgreSQL. Hex, 32 bytes or more.
    pseudonym_key: SecretStr | None = None

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # The address citizens use (https://… behind a reverse proxy): its origin may open /ws,
    # and with https the chat's cookie is Secure.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^/\s]+/?$")
    # Other sites allowed to embed the web chat (their origins, comma-separated).
    web_origins: str = ""
    # Behind a reverse proxy: read the client's address and scheme from X-Forwarded-For and
    # X-Forwarded-Proto (never set it on a server reachable without the proxy).
    trust_proxy: bool = False
    # The web chat's pace: messages a second, sustained, and the burst, per connection and per
    # client address (all of its connections together).
    web_rate_per_connection: float = Field(default=2.0, gt=0)
    web_burst_per_connection: int = Field(default=10, ge=1)
    web_rate_per_address: float = Field(default=10.0, gt=0)
    web_burst_per_address: int = Field(default=40, ge=1)
    # Content publications: how often each replica looks for a newer one (seconds).
    content_poll_seconds: float = Field(default=2.0, ge=0.1, le=60)
    # Logs: `text` for a terminal, `json` (one object per line) for a log collector.
    log_format: Literal["text", "json"] = "text"
    # /readyz answers 503 when more outbox messages than this are due and waiting.
    ready_max_backlog: int = Field(default=1000, ge=1)
    # Telegram: without a token the server still serves (health checks, later the web chat).
    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    telegram_per_chat_interval: float = Field(default=1.0, ge=0)
    telegram_overall_per_second: float = Field(default=30.0, gt=0)
    telegram_per_chat_burst: int = Field(default=3, ge=1, le=20)
    telegram_per_group_interval: float = Field(default=3.05, ge=0)  # 20 messages a minute

    def pseudonym_bytes(self) -> bytes | None:
        """The pseudonym key as bytes (hex in the environment), if one is set."""
        if self.pseudonym_key is None:
            return None
        return bytes.fromhex(self.pseudonym_key.get_secret_value())

    def allowed_origins(self) -> frozenset[str]:
        """The origins besides the server's own that may open the web chat's WebSocket."""
        origins = {o.strip().rstrip("/") for o in self.web_origins.split(",") if o.strip()}
        if self.public_url:
            origins.add(self.public_url.rstrip("/"))
        return frozenset(origins)

    def secrets(self) -> list[str]:
        """Every secret value set, for the log redactor."""
        values = (self.telegram_token, self.webhook_secret, self.pseudonym_key)
        return [v.get_secret_value() for v in values if v is not None]

    @model_validator(mode="after")
    def _pseudonym_key_is_hex(self) -> Settings:
        if self.pseudonym_key is not None:
            value = self.pseudonym_key.get_secret_value()
            if not re.fullmatch(r"(?:[0-9a-fA-F]{2}){16,}", value):
                raise ValueError(
                    "COMPTOIR_PSEUDONYM_KEY must be hexadecimal, 32 digits or more "
                    "(python -c 'import secrets; print(secrets.token_hex(32))')"
                )
        return self

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
