"""The arrows point inward: the pure core imports nothing from transports or storage."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "bot" / "core"
# snowballstemmer: pure-Python French stemming for theme detection (no I/O).
ALLOWED_THIRD_PARTY = {"pydantic", "yaml", "rapidfuzz", "snowballstemmer"}
FORBIDDEN = {"telegram", "aiohttp", "sqlalchemy", "asyncpg", "aiosqlite", "httpx"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_only_the_standard_library_and_its_chosen_dependencies() -> None:
    offenders = {}
    for path in sorted(CORE.glob("*.py")):
        imported = _imports(path)
        outside = {
            name
            for name in imported
            if name not in sys.stdlib_module_names and name not in ALLOWED_THIRD_PARTY | {"bot"}
        }
        if outside or imported & FORBIDDEN:
            offenders[path.name] = sorted(outside | (imported & FORBIDDEN))
    assert offenders == {}


def test_core_does_not_import_outer_layers_of_the_bot() -> None:
    for path in sorted(CORE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot."):
                assert node.module.startswith("bot.core"), f"{path.name} imports {node.module}"


def test_only_config_reads_the_environment() -> None:
    bot = CORE.parent
    for path in sorted(bot.rglob("*.py")):
        if path.name == "config.py":
            continue
        source = path.read_text(encoding="utf-8")
        assert "os.environ" not in source and "getenv" not in source, path


def test_a_channel_never_imports_another_channel() -> None:
    # A channel's own helper modules carry its name as a prefix (telegram_http.py).
    channels = CORE.parent / "channels"
    names = {path.stem for path in channels.glob("*.py")} - {"__init__"}
    for path in sorted(channels.glob("*.py")):
        imported = {
            node.module
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.module
        }
        channel = path.stem.split("_")[0]
        others = {f"bot.channels.{name}" for name in names if name.split("_")[0] != channel}
        assert not imported & others, path.name


def test_storage_and_web_are_not_imported_by_the_service_or_the_channels() -> None:
    for path in [CORE.parent / "service.py", *sorted((CORE.parent / "channels").glob("*.py"))]:
        source = path.read_text(encoding="utf-8")
        assert "bot.storage" not in source and "bot.web" not in source, path.name
