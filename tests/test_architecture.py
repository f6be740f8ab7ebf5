"""The arrows point inward: core ← services ← storage, channels, web; one concept per module."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
CORE = BOT / "core"
# snowballstemmer: pure-Python French stemming for theme detection (no I/O).
ALLOWED_THIRD_PARTY = {"pydantic", "yaml", "rapidfuzz", "snowballstemmer"}
TRANSPORTS = {"telegram", "aiohttp", "sqlalchemy", "asyncpg", "aiosqlite", "httpx", "alembic"}
MAX_LINES = 400


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, absolute (`bot.core.geo`, `sqlalchemy`…)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _offenders(folder: Path, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in _modules(folder):
        bad = sorted(
            name
            for name in _imports(path)
            if any(name == f or name.startswith(f"{f}.") for f in forbidden)
        )
        if bad:
            found[str(path.relative_to(BOT))] = bad
    return found


def test_core_imports_only_the_standard_library_and_its_chosen_dependencies() -> None:
    offenders = {}
    for path in _modules(CORE):
        roots = {name.split(".")[0] for name in _imports(path)}
        outside = {
            root
            for root in roots
            if root not in sys.stdlib_module_names and root not in ALLOWED_THIRD_PARTY | {"bot"}
        }
        if outside:
            offenders[path.name] = sorted(outside)
    assert offenders == {}


def test_core_does_not_import_outer_layers_of_the_bot() -> None:
    outer = ("bot.services", "bot.storage", "bot.channels", "bot.web", "bot.cli", "bot.config")
    assert _offenders(CORE, (*outer, "bot.bootstrap")) == {}


def test_services_know_no_storage_channel_web_nor_transport() -> None:
    outer = ("bot.storage", "bot.channels", "bot.web", "bot.cli", "bot.bootstrap")
    assert _offenders(BOT / "services", (*outer, *TRANSPORTS)) == {}


def test_channels_know_no_storage_nor_web() -> None:
    outer = ("bot.storage", "bot.web", "bot.cli", "bot.bootstrap", "sqlalchemy")
    assert _offenders(BOT / "channels", outer) == {}


def test_storage_knows_no_channel_nor_web() -> None:
    outer = ("bot.channels", "bot.web", "bot.cli", "bot.bootstrap", "telegram", "aiohttp")
    assert _offenders(BOT / "storage", outer) == {}


def test_a_channel_never_imports_another_channel() -> None:
    channels = BOT / "channels"
    names = {p.stem for p in channels.glob("*.py")} | {
        p.name for p in channels.iterdir() if p.is_dir()
    }
    names -= {"__init__", "__pycache__"}
    for name in sorted(names):
        own = channels / name if (channels / name).is_dir() else channels / f"{name}.py"
        paths = _modules(own) if own.is_dir() else [own]
        others = tuple(f"bot.channels.{other}" for other in names if other != name)
        for path in paths:
            imported = _imports(path)
            assert not {i for i in imported if i.startswith(others)}, path.name


def test_only_config_reads_the_environment() -> None:
    for path in _modules(BOT):
        if path.name == "config.py":
            continue
        source = path.read_text(encoding="utf-8")
        assert "os.environ" not in source and "getenv" not in source, path


def test_no_module_is_longer_than_a_few_hundred_lines() -> None:
    long = {
        str(path.relative_to(BOT)): count
        for path in _modules(BOT)
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_module_opens_with_a_docstring() -> None:
    missing = [
        str(path.relative_to(BOT))
        for path in _modules(BOT)
        if ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
    ]
    assert missing == []
