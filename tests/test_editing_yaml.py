"""Record files rewritten by the editor: only what changed moves, and the loader reads it back."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.catalog import DEFAULT_KNOWLEDGE, Catalog
from bot.core.editing.fields import RecordKind, form_values, parse_form
from bot.core.editing.yaml_files import (
    created,
    record_path,
    template,
    unified_diff,
    updated,
    verified_today,
    write_atomically,
)
from bot.core.editing.yaml_patch import load
from bot.core.editing.yaml_render import normalised
from bot.core.knowledge import load_knowledge, parse_yaml, validate
from bot.core.models import Counter, Scheme

HOSTILE = [
    "no", "on", "off", "yes", "y", "n", "null", "~", "true", "12:30", "1e3", "0x1F", "0o17",
    "2026-12-03", "# x", "a # b", "a: b", "- x", "[x]", "{x}", "*alias", "&anchor", "!tag",
    "%percent", "@at", "`tick", "'single'", '"double"', "  leading spaces", "trailing  ",
    "emoji 🌱 et accents éàç « guillemets »", "ligne 1\nligne 2", "tab\there", "back\\slash",
    "\u2028separator", "nbsp\u00a0fine", "?", ":", "-", "|", ">", "=SOMME(A1)", "",
]  # fmt: skip


def shipped(kind: RecordKind, record_id: str) -> Path:
    return record_path(DEFAULT_KNOWLEDGE, kind, record_id)


def scheme(catalog: Catalog, record_id: str) -> Scheme:
    return next(s for s in catalog.knowledge.schemes if s.id == record_id)


def data_after(catalog: Catalog, record: Scheme | Counter, **changes: str) -> dict[str, object]:
    kind: RecordKind = "scheme" if isinstance(record, Scheme) else "counter"
    values = form_values(record) | {k.replace("__", "."): v for k, v in changes.items()}
    parsed = parse_form(kind, values, catalog.knowledge, record)
    assert parsed.errors == {} and parsed.data is not None
    return parsed.data


def changed_lines(old: str, new: str) -> list[str]:
    return [
        line
        for line in unified_diff(old, new, "f").splitlines()[2:]
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.mark.parametrize("kind", ["scheme", "counter"])
def test_an_unchanged_record_gives_back_the_exact_text(catalog: Catalog, kind: RecordKind) -> None:
    records = catalog.knowledge.schemes if kind == "scheme" else catalog.knowledge.counters
    for record in records:
        text = record_path(DEFAULT_KNOWLEDGE, kind, record.id).read_text(encoding="utf-8")
        data = parse_form(kind, form_values(record), catalog.knowledge, record).data
        assert data is not None
        assert updated(text, data) == text, record.id


def test_editing_one_field_touches_only_its_line(catalog: Catalog, knowledge_copy: Path) -> None:
    path = record_path(knowledge_copy, "scheme", "france-active-garantie")
    old = path.read_text(encoding="utf-8")
    record = scheme(catalog, "france-active-garantie")
    new = updated(old, data_after(catalog, record, amount__max="150000"))
    assert changed_lines(old, new) == ["-  max: 200000", "+  max: 150000"]
    assert [line for line in new.splitlines() if line.startswith("#")] == [
        line for line in old.splitlines() if line.startswith("#")
    ]
    write_atomically(path, new)
    knowledge = load_knowledge(knowledge_copy, catalog.knowledge.geo)
    edited = next(s for s in knowledge.schemes if s.id == "france-active-garantie")
    assert edited.amount is not None and edited.amount.max == 150000


def test_a_folded_string_is_rewritten_on_one_line_and_its_neighbours_kept(
    catalog: Catalog,
) -> None:
    counter = next(c for c in catalog.knowledge.counters if c.id == "adefpat")
    old = shipped("counter", "adefpat").read_text(encoding="utf-8")
    new = updated(old, data_after(catalog, counter, summary__fr="Nouveau résumé : l'Adefpat."))
    removed = [line for line in changed_lines(old, new) if line.startswith("-")]
    assert changed_lines(old, new)[-1] == "+  fr: 'Nouveau résumé : l''Adefpat.'"
    assert len(removed) == 6 and removed[0].startswith("-  fr: 'Association créée en 1983")
    assert "  en: 'Founded in 1983" in new  # the English, folded over several lines, untouched


def test_verified_today_goes_after_compiled_and_removing_a_key_removes_its_lines(
    catalog: Catalog, tmp_path: Path
) -> None:
    record = scheme(catalog, "france-active-garantie")
    old = shipped("scheme", "france-active-garantie").read_text(encoding="utf-8")
    data = data_after(catalog, record)
    data.pop("requirements")
    data = verified_today(
        data, dt.date(2026, 12, 4), "Équipe Comptoir", "https://www.franceactive.org", None
    )
    new = updated(old, data)
    assert changed_lines(old, new) == [
        "-requirements:",
        "-  cofunding: true",
        "+verified:",
        '+  "on": 2026-12-04',
        '+  by: "Équipe Comptoir"',
        '+  page: "https://www.franceactive.org"',
    ]
    assert new.index("compiled: 2026-12-03\nverified:") < new.index("verify:")
    path = tmp_path / "france-active-garantie.yaml"
    path.write_text(new, encoding="utf-8")
    document, problems = parse_yaml(path, "f.yaml")
    assert problems == [] and document is not None
    loaded, invalid = validate(document, Scheme)
    assert invalid == [] and loaded is not None and loaded.verified is not None
    assert loaded.verified.on == dt.date(2026, 12, 4) and loaded.requirements.cofunding is False


def test_list_items_are_added_and_removed_one_by_one_in_the_files_style(
    catalog: Catalog,
) -> None:
    counter = next(c for c in catalog.knowledge.counters if c.id == "adefpat")
    old = shipped("counter", "adefpat").read_text(encoding="utf-8")
    departments = "12\n81\n46\n48\n34\n31"  # 82 removed, 31 added
    new = updated(old, data_after(catalog, counter, coverage__departments=departments))
    assert changed_lines(old, new) == ["-  - '82'", "+  - '31'"]


def test_a_new_key_lands_in_the_models_order(catalog: Catalog) -> None:
    counter = next(c for c in catalog.knowledge.counters if c.id == "adefpat")
    old = shipped("counter", "adefpat").read_text(encoding="utf-8")
    new = updated(old, data_after(catalog, counter, latitude="44.35", longitude="2.03"))
    assert "commune: '12300'\nlatitude: 44.35\nlongitude: 2.03\nlocation_precision:" in new
    assert len(changed_lines(old, new)) == 2


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_read_back_exactly(catalog: Catalog, value: str) -> None:
    old = shipped("scheme", "dla").read_text(encoding="utf-8")
    data = data_after(catalog, scheme(catalog, "dla"))
    data["funder"] = value
    data["source"] = [value, "https://www.example.org"]
    new = updated(old, data)
    loaded = load(new)
    assert isinstance(loaded, dict)
    assert loaded["funder"] == value and loaded["source"] == [value, "https://www.example.org"]
    fresh = created({"id": "x", "name": value, "note": {"fr": value, "en": value}}, "# t")
    assert load(fresh) == {"id": "x", "name": value, "note": {"fr": value, "en": value}}


@settings(max_examples=150, deadline=None)
@given(st.text(), st.lists(st.text(max_size=20), max_size=3))
def test_any_text_reads_back_exactly(name: str, items: list[str]) -> None:
    old = "# a comment\nid: x\nname: 'old'\nitems:\n  - a\nnote: {fr: a, en: b}\n"
    data: dict[str, object] = {"id": "x", "name": name, "items": items, "note": {"fr": name}}
    assert load(updated(old, data)) == data
    assert updated(old, data).startswith("# a comment\nid: x\n")


def test_a_long_new_string_stays_on_one_line() -> None:
    long = "Une phrase très longue, " * 20
    text = created({"id": "x", "summary": {"fr": long, "en": long}}, "Header")
    assert text.splitlines()[3] == f'  fr: "{long}"'
    assert text.startswith("# Header\nid: x\n")


def test_a_created_record_loads_with_the_catalog(catalog: Catalog, knowledge_copy: Path) -> None:
    values = form_values(template("counter", dt.date(2026, 12, 4)), "counter")
    values.update(
        {
            "id": "comptoir-de-test",
            "name": "Comptoir de test",
            "kind": "comptoir",
            "summary.fr": "Un comptoir : pour « tester ».",
            "summary.en": "A counter: to test.",
            "how_to_reach.fr": "Écrivez-nous 🌱",
            "how_to_reach.en": "Write to us",
            "commune": "62041",
            "coverage.departments": "62",
            "url": "https://www.exemple.fr",
            "source": "https://www.exemple.fr\nno",
        }
    )
    parsed = parse_form("counter", values, catalog.knowledge, None)
    assert parsed.errors == {} and parsed.data is not None
    path = record_path(knowledge_copy, "counter", "comptoir-de-test")
    write_atomically(path, created(parsed.data, "Sources: see « source ».\nCreated in a test."))
    assert path.read_text(encoding="utf-8").startswith("# Sources: see « source ».\n# Created")
    loaded = Catalog.load(knowledge_copy).knowledge
    assert parsed.record in loaded.counters


def test_write_atomically_keeps_the_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "fiche.yaml"
    path.write_text("id: a\n", encoding="utf-8")
    os.chmod(path, 0o640)
    write_atomically(path, "id: b\r\n")
    assert path.read_bytes() == b"id: b\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["fiche.yaml"]


def test_record_path_is_the_loaders_file_and_refuses_other_paths(tmp_path: Path) -> None:
    assert record_path(tmp_path, "scheme", "dla") == tmp_path / "schemes" / "dla.yaml"
    assert record_path(tmp_path, "counter", "dla") == tmp_path / "counters" / "dla.yaml"
    with pytest.raises(ValueError):
        record_path(tmp_path, "scheme", "../secrets")


def test_the_diff_names_the_file_and_shows_the_change() -> None:
    diff = unified_diff("id: a\nname: b\n", "id: a\nname: c", "schemes/a.yaml")
    assert diff.splitlines()[:2] == ["--- a/schemes/a.yaml", "+++ b/schemes/a.yaml"]
    assert "-name: b" in diff and "+name: c" in diff and "\\ No newline at end of file" in diff


FILES = (
    sorted((DEFAULT_KNOWLEDGE / "schemes").glob("*.yaml"))[:6]
    + sorted((DEFAULT_KNOWLEDGE / "counters").glob("*.yaml"))[:6]
)
SCALARS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(HOSTILE),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
)
KEYS = st.sampled_from(["extra", "on", "no", "a b", "12", "é", "", "- x"])


def mutated(value: object, draw: st.DrawFn, depth: int = 0) -> object:
    """A random edit of loaded YAML data: values changed, keys and items removed or added."""
    action = "dig" if depth == 0 else draw(st.sampled_from(["keep", "keep", "dig", "replace"]))
    if action == "keep":
        return value
    if action == "replace" or depth > 3:
        return draw(
            SCALARS | st.lists(SCALARS, max_size=3) | st.dictionaries(KEYS, SCALARS, max_size=2)
        )
    if isinstance(value, dict):
        result = {k: mutated(v, draw, depth + 1) for k, v in value.items()}
        for key in draw(st.lists(st.sampled_from(sorted(value)), max_size=2)):
            if len(result) > 1:
                result.pop(key, None)
        if draw(st.booleans()):
            result[draw(KEYS)] = draw(SCALARS)
        return result
    if isinstance(value, list):
        items = [mutated(v, draw, depth + 1) for v in value]
        if items and draw(st.booleans()):
            del items[draw(st.integers(0, len(items) - 1))]
        if draw(st.booleans()):
            items.insert(draw(st.integers(0, len(items))), draw(SCALARS))
        return items
    return draw(SCALARS)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_random_edits_of_shipped_files_read_back_exactly(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(FILES))
    text = path.read_text(encoding="utf-8")
    new_data = mutated(load(text), data.draw)
    assert isinstance(new_data, dict)
    new = updated(text, new_data)
    assert load(new) == normalised(new_data)
