"""`kb export`, `kb import [--dry-run]` and `kb history` from the command line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.cli import main

DLA_NAME = "Dispositif local d'accompagnement (DLA)"


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.setenv("COMPTOIR_PSEUDONYM_KEY", "5e" * 32)
    return tmp_path


def test_a_spreadsheet_round_trip_shows_its_diff_then_applies_it_and_logs_it(
    environment: Path, knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = environment / "fiches.csv"
    options = ["--knowledge", str(knowledge_copy)]
    assert (
        main(
            [
                "kb",
                "export",
                "--format",
                "csv",
                "--kind",
                "schemes",
                "--output",
                str(sheet),
                *options,
            ]
        )
        == 0
    )
    text = sheet.read_text(encoding="utf-8")
    assert text.startswith("\ufeff") and ";" in text.splitlines()[0]
    sheet.write_text(text.replace(DLA_NAME, "DLA, depuis le tableur", 1), encoding="utf-8")
    capsys.readouterr()

    assert main(["kb", "import", str(sheet), "--dry-run", *options]) == 0
    said = capsys.readouterr().out
    assert "Modifiés (1)" in said and "DLA, depuis le tableur" in said
    assert "Simulation : rien n'a été enregistré." in said
    path = knowledge_copy / "schemes" / "dla.yaml"
    assert "DLA, depuis le tableur" not in path.read_text(encoding="utf-8")

    assert main(["kb", "import", str(sheet), "--author", "Claire Martin", *options]) == 0
    assert "Import appliqué : 1 fiche(s) enregistrée(s)." in capsys.readouterr().out
    assert 'name: "DLA, depuis le tableur"' in path.read_text(encoding="utf-8")

    assert main(["kb", "history", "dla"]) == 0
    said = capsys.readouterr().out
    assert "Claire Martin : dispositif dla importé (schemes/dla.yaml)" in said
    assert '+name: "DLA, depuis le tableur"' in said
    assert main(["kb", "history"]) == 0
    assert "+name:" not in capsys.readouterr().out  # the list, without diffs


def test_a_spreadsheet_with_a_bad_cell_is_refused_with_its_line(
    environment: Path, knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = environment / "fiches.csv"
    options = ["--knowledge", str(knowledge_copy)]
    assert main(["kb", "export", "--kind", "schemes", "--output", str(sheet), *options]) == 0
    rows = list(csv.reader(io.StringIO(sheet.read_text(encoding="utf-8-sig")), delimiter=";"))
    index = next(n for n, cells in enumerate(rows) if cells[0] == "dla")
    rows[index][rows[0].index("kind")] = "subvention-magique"
    written = io.StringIO()
    csv.writer(written, delimiter=";").writerows(rows)
    sheet.write_text("\ufeff" + written.getvalue(), encoding="utf-8")
    capsys.readouterr()
    assert main(["kb", "import", str(sheet), *options]) == 1
    said = capsys.readouterr().out
    assert "ligne " in said and "kind" in said and "subvention-magique" in said, said
    assert main(["kb", "history"]) == 0
    assert "Aucune modification enregistrée." in capsys.readouterr().out
