"""The shipped knowledge base is valid, and broken content is reported as `file:line: field`."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.catalog import Catalog
from bot.core.knowledge import ContentError, load_knowledge

REQUIRED_SCHEMES = {
    "pas-de-calais-budget-citoyen",
    "meurthe-et-moselle-boite-a-initiatives",
    "haute-garonne-fonds-rebond-innovation-sociale",
    "gironde-solutions-solidaires",
    "moselle-aap-innovation-sociale",
    "ille-et-vilaine-emergence-projets-collectifs",
    "occitanie-yess-academie",
}
THEME_SLUGS = [
    "economie-circulaire",
    "alimentation",
    "transition-energetique",
    "numerique",
    "bien-vieillir",
    "sante",
    "tiers-lieux",
    "habitat",
    "mobilite",
    "insertion-emploi",
    "solidarites",
    "handicap",
    "jeunesse-education",
    "culture-sport-loisirs",
    "environnement-biodiversite",
    "agriculture",
    "ruralite-services",
    "egalite-inclusion",
    "citoyennete-participation",
]
METROPOLITAN_REGIONS = {
    "11",
    "24",
    "27",
    "28",
    "32",
    "44",
    "52",
    "53",
    "75",
    "76",
    "84",
    "93",
    "94",
}


def test_shipped_content_has_the_nineteen_themes_in_order(catalog: Catalog) -> None:
    assert [t.slug for t in catalog.knowledge.themes] == THEME_SLUGS


def test_shipped_content_has_the_required_schemes_and_national_routes(catalog: Catalog) -> None:
    schemes = {s.id: s for s in catalog.knowledge.schemes}
    assert set(schemes) >= REQUIRED_SCHEMES
    broad = [s for s in schemes.values() if s.territory.national or s.territory.regions]
    assert len(broad) >= 8


def test_shipped_counters_cover_every_region_with_a_cress_and_the_entry_points(
    catalog: Catalog,
) -> None:
    counters = {c.id: c for c in catalog.knowledge.counters}
    assert {
        "pas-de-calais-comptoirs-initiatives-citoyennes",
        "adefpat",
        "dla",
        "france-active",
    } <= set(counters)
    cress_regions = {r for c in counters.values() if c.kind == "cress" for r in c.coverage.regions}
    assert cress_regions - METROPOLITAN_REGIONS == {"01", "03", "04", "06"}  # not Martinique yet
    assert cress_regions >= METROPOLITAN_REGIONS
    services = {
        d
        for c in counters.values()
        if c.kind == "department-service"
        for d in c.coverage.departments
    }
    assert {"62", "54", "31", "33", "57", "35"} <= services


def test_every_record_names_its_source_and_invents_no_contact_details(catalog: Catalog) -> None:
    import re

    phone = re.compile(r"\b0[1-9](?:[ .]?\d{2}){4}\b")
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    for record in (*catalog.knowledge.schemes, *catalog.knowledge.counters):
        assert record.source, record.id
        dumped = record.model_dump_json()
        assert not phone.search(dumped), record.id
        assert not email.search(dumped), record.id


def test_kb_check_passes_on_the_shipped_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "check"]) == 0
    assert "Base de connaissances valide" in capsys.readouterr().out


def _check(knowledge: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["kb", "check", "--knowledge", str(knowledge)])
    return code, capsys.readouterr().out.splitlines()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _set_key(path: Path, key: str, value: str) -> None:
    """Give a top-level key a new value, whatever it was."""
    text = path.read_text(encoding="utf-8")
    edited, count = re.subn(rf"(?m)^{key}: .*$", f"{key}: {value}", text, count=1)
    assert count == 1, f"no top-level {key!r} in {path.name}"
    path.write_text(edited, encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_unknown_key_is_reported_with_file_line_and_field(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = knowledge_copy / "schemes" / "moselle-aap-innovation-sociale.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "budget_total: 12\n", encoding="utf-8")
    code, lines = _check(knowledge_copy, capsys)
    assert code == 1
    line = _line_of(path, "budget_total")
    assert lines == [
        f"knowledge/schemes/moselle-aap-innovation-sociale.yaml:{line}: budget_total: clé inconnue"
    ]


def test_unknown_theme_slug_and_territory_code_are_reported(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = knowledge_copy / "counters" / "adefpat.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("coverage:", "themes: [recyclage]\ncoverage:\n  epci: ['123456789']", 1)
    text = text.replace("themes: []\n", "", 1)
    path.write_text(text, encoding="utf-8")
    code, lines = _check(knowledge_copy, capsys)
    assert code == 1
    prefix = "knowledge/counters/adefpat.yaml"
    assert f"{prefix}:{_line_of(path, 'recyclage')}: themes.0: thème inconnu « recyclage »" in lines
    line = _line_of(path, "123456789")
    expected = f"{prefix}:{line}: coverage.epci.0: code de territoire inconnu « 123456789 »"
    assert expected in lines


def test_bad_date_bad_url_and_bad_enum_are_each_located(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = knowledge_copy / "schemes" / "gironde-solutions-solidaires.yaml"
    _set_key(path, "compiled", "2026-13-45")
    text = path.read_text(encoding="utf-8")
    url_line = next(line for line in text.splitlines() if line.startswith("url:"))
    _edit(path, url_line, "url: www.gironde.fr sans protocole")
    _edit(path, "kind: ", "kind: subvention-magique\nformer_kind: ")
    code, lines = _check(knowledge_copy, capsys)
    assert code == 1
    prefix = "knowledge/schemes/gironde-solutions-solidaires.yaml"
    by_field = {line.split(": ")[1]: line for line in lines}
    line = _line_of(path, "compiled")
    assert by_field["compiled"] == (
        f"{prefix}:{line}: compiled: date invalide (attendu AAAA-MM-JJ)"
    )
    assert by_field["url"].startswith(
        f"{prefix}:{_line_of(path, 'url: www')}: url: doit être une adresse web"
    )
    assert by_field["kind"].startswith(
        f"{prefix}:{_line_of(path, 'subvention-magique')}: kind: valeur inconnue"
    )
    assert "'participatory-budget'" in by_field["kind"]


def test_duplicate_id_and_file_name_mismatch_are_reported(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = knowledge_copy / "schemes" / "dla.yaml"
    (knowledge_copy / "schemes" / "dla-copie.yaml").write_text(
        source.read_text(encoding="utf-8"), encoding="utf-8"
    )
    code, lines = _check(knowledge_copy, capsys)
    assert code == 1
    line = _line_of(source, "id: dla")
    mismatch = "id: l'identifiant doit être le nom du fichier (dla-copie)"
    assert f"knowledge/schemes/dla-copie.yaml:{line}: {mismatch}" in lines
    assert any(
        entry.startswith("knowledge/schemes/") and "identifiant déjà utilisé par" in entry
        for entry in lines
    )


def test_malformed_yaml_and_duplicate_keys_never_give_a_traceback(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (knowledge_copy / "schemes" / "dla.yaml").write_text("id: dla\nname: [oops\n", encoding="utf-8")
    fdva = knowledge_copy / "schemes" / "fdva-fonctionnement-innovation.yaml"
    fdva.write_text(fdva.read_text(encoding="utf-8") + "id: encore\n", encoding="utf-8")
    code, lines = _check(knowledge_copy, capsys)
    assert code == 1
    assert any(
        line.startswith("knowledge/schemes/dla.yaml:") and "YAML invalide" in line for line in lines
    )
    last = len(fdva.read_text(encoding="utf-8").splitlines())
    assert (
        f"knowledge/schemes/fdva-fonctionnement-innovation.yaml:{last}: id: clé présente deux fois"
        in lines
    )


def test_missing_required_field_points_at_the_record(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = knowledge_copy / "counters" / "dla.yaml"
    text = path.read_text(encoding="utf-8")
    url_line = next(line for line in text.splitlines() if line.startswith("url:"))
    path.write_text(text.replace(url_line + "\n", ""), encoding="utf-8")
    code, lines = _check(knowledge_copy, capsys)
    assert code == 1
    first_key = _line_of(path, "id: dla")
    assert lines == [f"knowledge/counters/dla.yaml:{first_key}: url: champ obligatoire manquant"]


def test_load_knowledge_raises_content_error_with_every_problem(knowledge_copy: Path) -> None:
    for name in ("dla.yaml", "france-active.yaml"):
        path = knowledge_copy / "counters" / name
        path.write_text(path.read_text(encoding="utf-8") + "phone: '0000'\n", encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        load_knowledge(knowledge_copy, today=dt.date(2026, 12, 3))
    assert [p.field for p in raised.value.problems] == ["phone", "phone"]


def test_a_compilation_or_verification_in_the_future_is_rejected(knowledge_copy: Path) -> None:
    path = knowledge_copy / "schemes" / "dla.yaml"
    _set_key(path, "compiled", "2030-01-01")
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^verified:\n(?:  .*\n)*", "", text)
    text += "verified:\n  on: 2031-02-03\n  by: Équipe\n  page: https://www.avise.org/dla\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        load_knowledge(knowledge_copy, today=dt.date(2026, 12, 3))
    assert [str(p).split(": ", 1)[1] for p in raised.value.problems] == [
        "compiled: date dans le futur",
        "verified.on: date dans le futur",
    ]


def test_kb_check_command_runs_as_a_process_and_exits_one_on_problems(knowledge_copy: Path) -> None:
    (knowledge_copy / "themes.yaml").write_text("source: [x]\nthemes: nope\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "check", "--knowledge", str(knowledge_copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.startswith("knowledge/themes.yaml:2: themes: liste attendue")
