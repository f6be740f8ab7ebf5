"""The settings as documented: `Settings`, the README's table and the environment template agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config import REPOSITORY, Settings

README = REPOSITORY / "README.md"
TEMPLATE = REPOSITORY / "deploy" / "comptoir.env.example"
ROW = re.compile(r"^\| `(COMPTOIR_[A-Z0-9_]+)` \| (.+?) \| (.+) \|$")
LINE = re.compile(r"^(#\s*)?(COMPTOIR_[A-Z0-9_]+)=(.*)$")


# Read by the deploy scripts (deploy/backup.sh), not by Comptoir: in the template, not in Settings.
SCRIPTS = {"COMPTOIR_BACKUP_DIR": "/var/backups/comptoir", "COMPTOIR_BACKUP_KEEP_DAYS": "30"}


def variables() -> dict[str, object]:
    """Every setting's variable and its default."""
    return {f"COMPTOIR_{name.upper()}": f.default for name, f in Settings.model_fields.items()}


def secrets() -> set[str]:
    return {
        f"COMPTOIR_{name.upper()}"
        for name, f in Settings.model_fields.items()
        if SecretStr in getattr(f.annotation, "__args__", (f.annotation,))
    }


def documented(default: object) -> str:
    """A default as the README's table writes it."""
    if default is None:
        return "none"
    if default == "":
        return "empty"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, Path):
        return f"`<repository>/{default.relative_to(REPOSITORY)}`"
    return f"`{default}`"


def in_environment(default: object) -> str:
    """A default as an environment file writes it."""
    if default is None:
        return ""
    if isinstance(default, bool):
        return str(default).lower()
    return str(default)


def readme_table() -> dict[str, tuple[str, str]]:
    section = README.read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        if match := ROW.match(line):
            assert match[1] not in rows, f"{match[1]} twice in the README"
            rows[match[1]] = (match[2], match[3])
    return rows


def template() -> dict[str, tuple[bool, str]]:
    lines: dict[str, tuple[bool, str]] = {}
    for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
        if match := LINE.match(line):
            assert match[2] not in lines, f"{match[2]} twice in the template"
            lines[match[2]] = (match[1] is not None, match[3])
    return lines


def test_the_readme_table_names_exactly_the_settings_with_their_real_defaults() -> None:
    table = readme_table()
    assert sorted(table) == sorted(variables())
    for name, default in variables().items():
        cell, meaning = table[name]
        assert cell == documented(default), name
        assert meaning.strip(), name


def test_the_template_names_exactly_the_settings_and_leaves_every_secret_empty() -> None:
    lines = template()
    assert sorted(lines) == sorted([*variables(), *SCRIPTS])
    for name in secrets():
        assert lines[name][1] == "", f"{name} must be empty in the template"
    assert secrets() == {
        "COMPTOIR_PSEUDONYM_KEY",
        "COMPTOIR_TELEGRAM_TOKEN",
        "COMPTOIR_WEBHOOK_SECRET",
    }


def test_a_commented_line_of_the_template_shows_the_real_default() -> None:
    for name, (commented, value) in template().items():
        default = variables().get(name, SCRIPTS.get(name))
        if commented and not isinstance(default, Path):
            assert value == in_environment(default), name


def test_the_backup_script_reads_the_template_s_variables_with_the_same_default() -> None:
    script = (REPOSITORY / "deploy" / "backup.sh").read_text(encoding="utf-8")
    assert '"${COMPTOIR_BACKUP_DIR:?' in script  # required: no default folder
    assert f'"${{COMPTOIR_BACKUP_KEEP_DAYS:-{SCRIPTS["COMPTOIR_BACKUP_KEEP_DAYS"]}}}"' in script


def test_the_template_as_an_environment_file_is_valid_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its active lines, empty ones included, give valid settings once the secrets are filled."""
    for name in variables():
        monkeypatch.delenv(name, raising=False)
    for name, (commented, value) in template().items():
        if not commented and name not in SCRIPTS:
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("COMPTOIR_PSEUDONYM_KEY", "5e" * 32)
    settings = Settings()
    assert settings.telegram_token is None  # empty: no bot
    assert settings.webhook_url is None and settings.public_url is None
    assert settings.database_url.startswith("postgresql+asyncpg://")
