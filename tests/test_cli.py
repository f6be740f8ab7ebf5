"""The terminal demo and the command line behave for people, including on bad input."""

from __future__ import annotations

import io

import pytest

from bot.__main__ import main


def _demo(monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(answers) + "\n"))
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    assert main(["demo"]) == 0
    return out.getvalue()


def test_demo_orients_an_association_in_arras_with_a_recyclerie(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transcript = _demo(monkeypatch, ["Une recyclerie dans mon quartier", "Arras", "3", "2"])
    assert "Thèmes repérés : Réemploi" in transcript
    assert "Commune : Arras (62041)" in transcript
    assert "Budget citoyen du Pas-de-Calais" in transcript
    assert "Comptoirs à initiatives citoyennes du Pas-de-Calais" in transcript


def test_demo_asks_which_commune_and_re_asks_after_a_bad_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transcript = _demo(
        monkeypatch, ["Un tiers-lieu", "zzzzzz", "Beaulieu", "42", "8", "abc", "3", "1"]
    )
    assert "Je ne trouve pas cette commune" in transcript
    assert "Plusieurs communes correspondent" in transcript
    assert "Je n'ai pas compris, pouvez-vous reformuler ?" in transcript
    assert "Commune : Beaulieu (15020)" in transcript


def test_demo_ends_quietly_when_input_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "Dans quelle commune ?" in _demo(monkeypatch, ["Une idée"])


def test_unknown_profile_file_exits_2_with_a_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["match", "/nonexistent/profile.json"]) == 2
    assert "impossible de lire" in capsys.readouterr().err
