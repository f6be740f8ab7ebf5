"""The command line: dialogs check and graph, database upgrade, and a scripted terminal chat."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_dialogs_check_passes_on_the_shipped_dialogs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dialogs", "check"]) == 0
    assert "qualification.yaml" in capsys.readouterr().out


def test_dialogs_graph_prints_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dialogs", "graph"]) == 0
    assert capsys.readouterr().out.startswith("flowchart TD")


def test_chat_script_replays_a_whole_conversation(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/chat.sqlite3"
    script = ROOT / "deploy" / "transcripts" / "arras-recyclerie.txt"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--script", str(script), "--database", database],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "Budget citoyen du Pas-de-Calais" in done.stdout
    assert "Comptoirs à initiatives citoyennes du Pas-de-Calais" in done.stdout


def test_db_upgrade_is_idempotent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/up.sqlite3"
    assert main(["db", "upgrade", "--database", database]) == 0
    assert main(["db", "upgrade", "--database", database]) == 0
    assert "à jour" in capsys.readouterr().out


def test_unknown_profile_file_exits_2_with_a_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["match", "/nonexistent/profile.json"]) == 2
    assert "impossible de lire" in capsys.readouterr().err


def test_db_purge_applies_the_retention_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/purge.sqlite3"
    assert main(["db", "purge", "--database", database]) == 0
    assert "0 conversation(s) inactive(s) effacée(s), 0 demande(s) anonymisée(s)" in (
        capsys.readouterr().out
    )
