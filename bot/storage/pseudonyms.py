"""Pseudonyms of chats in the event log: a keyed hash (HMAC-SHA256), not reversible by guessing.

An unkeyed hash of « telegram:12345 » is found back by hashing every plausible id; with a secret
key it is not. The key comes from the environment (COMPTOIR_PSEUDONYM_KEY, required with
PostgreSQL, i.e. in production); the embedded default keeps a generated one beside its SQLite
file (`var/pseudonym.key`, 0600).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from bot.storage.errors import MissingSecret

KEY_FILE = "pseudonym.key"
KEY_BYTES = 32


class Pseudonyms:
    """The pseudonym of each chat key under one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise MissingSecret("COMPTOIR_PSEUDONYM_KEY must be at least 16 bytes long")
        self._key = key

    def of(self, chat_key: str) -> str:
        """The 64-hex-digit pseudonym of a chat."""
        return hmac.new(self._key, chat_key.encode("utf-8"), hashlib.sha256).hexdigest()


def random_pseudonyms() -> Pseudonyms:
    """Pseudonyms under a key of this process only (the memory storage, tests)."""
    return Pseudonyms(secrets.token_bytes(KEY_BYTES))


def stored_key(folder: Path) -> bytes:
    """The key kept in `folder` (created 0600 at first use) for the embedded default."""
    path = folder / KEY_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key.hex())
    return key
