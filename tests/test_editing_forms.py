"""The editing form: from the models, round trip over the shipped knowledge, French errors."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.catalog import Catalog
from bot.core.editing.fields import (
    FormField,
    RecordKind,
    form_fields,
    form_values,
    parse_form,
)
from bot.core.editing.yaml_files import template
from bot.core.knowledge import Knowledge
from bot.core.models import Counter, Scheme

KINDS: tuple[RecordKind, ...] = ("scheme", "counter")
COMMON = {
    "scheme": (
        "name", "funder", "summary.fr", "summary.en", "territory.national",
        "territory.departments", "carriers", "stages", "themes", "needs", "amount.max",
        "calendar.mode", "url", "official", "source", "conditions.fr", "conditions.en",
        "expenses.fr", "expenses.en", "verified.on", "verified.by", "verified.page", "confirmed",
    ),
    "counter": (
        "name", "summary.fr", "coverage.regions", "coverage.radius_km", "commune", "latitude",
        "longitude", "how_to_reach.fr", "how_to_reach.en", "url", "source", "verified.on",
    ),
}  # fmt: skip


def records(knowledge: Knowledge, kind: RecordKind) -> tuple[Scheme | Counter, ...]:
    return knowledge.schemes if kind == "scheme" else knowledge.counters


def by_id(knowledge: Knowledge, record_id: str) -> Scheme:
    return next(s for s in knowledge.schemes if s.id == record_id)


def fields(catalog: Catalog, kind: RecordKind) -> dict[str, FormField]:
    return {f.path: f for f in form_fields(kind, catalog.knowledge)}


def edit(catalog: Catalog, record: Scheme | Counter, **changes: str | list[str]) -> dict[str, str]:
    kind: RecordKind = "scheme" if isinstance(record, Scheme) else "counter"
    values = form_values(record)
    values.update({path.replace("__", "."): value for path, value in changes.items()})
    return parse_form(kind, values, catalog.knowledge, record).errors


@pytest.mark.parametrize("kind", KINDS)
def test_every_shipped_record_comes_back_equal_from_its_own_form(
    catalog: Catalog, kind: RecordKind
) -> None:
    shipped = records(catalog.knowledge, kind)
    assert shipped
    for record in shipped:
        parsed = parse_form(kind, form_values(record), catalog.knowledge, record)
        assert parsed.errors == {}, record.id
        assert parsed.record == record, record.id
        assert parsed.data is not None and parsed.data["id"] == record.id


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_of_the_model_has_a_place_in_the_form(
    catalog: Catalog, kind: RecordKind
) -> None:
    form = fields(catalog, kind)
    model = Scheme if kind == "scheme" else Counter
    tops = {path.split(".")[0] for path in form}
    assert tops == set(model.model_fields)
    assert set(COMMON[kind]) <= set(form)


@pytest.mark.parametrize("kind", KINDS)
def test_labels_are_french_unique_and_every_choice_is_worded(
    catalog: Catalog, kind: RecordKind
) -> None:
    form = form_fields(kind, catalog.knowledge)
    labels = [f.label for f in form]
    assert len(set(labels)) == len(labels)
    assert all(f.label != f.path and f.group for f in form)
    for field in form:
        assert all(label and label != value for value, label in field.choices), field.path
    by_path = {f.path: f for f in form}
    assert by_path["summary.fr"].label == "Résumé (français)"
    assert by_path["name"].required and by_path["name"].label == "Nom"
    slugs = tuple(t.slug for t in catalog.knowledge.themes)
    assert tuple(v for v, _ in by_path["themes"].choices) == slugs
    assert by_path["themes"].widget == "checkboxes"


def test_widgets_follow_the_fields_types(catalog: Catalog) -> None:
    form = fields(catalog, "scheme")
    assert form["amount.max"].widget == "number"
    assert form["amount.max"].label == "Montant maximum (€)"
    assert form["amount.max"].group == "Montant"
    assert form["compiled"].widget == "date"
    assert form["official"].widget == "checkbox"
    assert form["kind"].widget == "select"
    assert ("guarantee", "Garantie") in form["kind"].choices
    assert form["carriers"].widget == "checkboxes"
    assert form["source"].widget == "lines"
    assert form["conditions.fr"].widget == "lines"
    assert form["summary.en"].widget == "textarea"
    assert form["requirements.sponsor"].choices[0] == ("true", "Tous les porteurs concernés")


def test_errors_are_in_french_next_to_their_field(catalog: Catalog) -> None:
    scheme = by_id(catalog.knowledge, "france-active-garantie")
    errors = edit(
        catalog,
        scheme,
        amount__max="deux cents",
        name="",
        verified__on="2026-13-45",
        verified__by="Équipe Comptoir",
        verified__page="franceactive",
    )
    assert errors == {
        "amount.max": "Nombre entier attendu.",
        "name": "Ce champ est obligatoire.",
        "verified.on": "Date au format AAAA-MM-JJ attendue.",
        "verified.page": "Doit être une adresse web complète commençant par http:// ou https://.",
    }


def test_a_missing_translation_names_its_line(catalog: Catalog) -> None:
    scheme = by_id(catalog.knowledge, "france-active-garantie")
    english = form_values(scheme)["conditions.en"]
    assert isinstance(english, list) and len(english) == 3
    errors = edit(catalog, scheme, conditions__en=english[:2])
    assert errors == {"conditions.en": "Ligne 3 : ce champ est obligatoire."}


def test_the_models_own_rules_land_on_the_field_they_name(catalog: Catalog) -> None:
    scheme = by_id(catalog.knowledge, "france-active-garantie")
    assert edit(catalog, scheme, amount__min="300000") == {"amount.min": "« min » dépasse « max »."}
    assert edit(catalog, scheme, territory__national="non") == {
        "territory.national": "Indiquez « national: true » ou au moins une liste de codes."
    }
    counter = next(c for c in catalog.knowledge.counters if c.latitude is None)
    assert edit(catalog, counter, latitude="48.1") == {
        "latitude": "« latitude » et « longitude » vont ensemble."
    }


def test_the_checks_of_kb_check_run_too(catalog: Catalog) -> None:
    scheme = by_id(catalog.knowledge, "pas-de-calais-budget-citoyen")
    errors = edit(catalog, scheme, territory__departments="62\n\n999", themes=["pas-un-theme"])
    assert errors == {
        "territory.departments": "Ligne 3 : code de territoire inconnu « 999 ».",
        "themes": "Thème inconnu « pas-un-theme ».",
    }


def test_the_identifier_is_the_file_name_and_stays_unique(catalog: Catalog) -> None:
    scheme = by_id(catalog.knowledge, "dla")
    assert edit(catalog, scheme, id="dla-bis") == {
        "id": "L'identifiant est aussi le nom du fichier : il ne se change pas."
    }
    copy = parse_form("scheme", form_values(scheme), catalog.knowledge, None)
    assert copy.errors == {"id": "Cet identifiant est déjà pris par une autre fiche."}


def test_requirements_apply_to_all_carriers_some_or_none(catalog: Catalog) -> None:
    scheme = by_id(catalog.knowledge, "pas-de-calais-budget-citoyen")
    values = form_values(scheme)
    assert values["requirements.prior_workshop"] == ["true"]
    values["requirements.prior_workshop"] = ["habitant", "association"]
    values["requirements.sponsor"] = []
    parsed = parse_form("scheme", values, catalog.knowledge, scheme)
    assert isinstance(parsed.record, Scheme)
    assert parsed.record.requirements.prior_workshop == ("habitant", "association")
    values["requirements.prior_workshop"] = ["true", "habitant"]
    assert parse_form("scheme", values, catalog.knowledge, scheme).errors == {
        "requirements.prior_workshop": (
            "Cochez « tous les porteurs concernés » ou certains porteurs, pas les deux."
        )
    }


def test_what_is_not_posted_keeps_its_value_but_an_unticked_box_is_off(
    catalog: Catalog,
) -> None:
    scheme = by_id(catalog.knowledge, "france-active-garantie")
    form = fields(catalog, "scheme")
    ticked = {
        path: value
        for path, value in form_values(scheme).items()
        if form[path].widget in ("checkbox", "checkboxes")
    }
    posted = ticked | {"amount.max": "150 000"}  # French thousands separator
    parsed = parse_form("scheme", posted, catalog.knowledge, scheme)
    assert scheme.amount is not None
    amount = scheme.amount.model_copy(update={"max": 150000})
    assert parsed.record == scheme.model_copy(update={"amount": amount})
    del posted["carriers"]
    errors = parse_form("scheme", posted, catalog.knowledge, scheme).errors
    assert errors == {"carriers": "Indiquez-en au moins un."}


def test_french_numbers_and_dates_are_understood(catalog: Catalog) -> None:
    counter = next(c for c in catalog.knowledge.counters if c.latitude is None)
    values = form_values(counter)
    values.update({"latitude": "50,29", "longitude": "2,78", "verified.on": "03/12/2026"})
    values.update({"verified.by": "Équipe Comptoir", "verified.page": counter.url})
    parsed = parse_form("counter", values, catalog.knowledge, counter)
    assert isinstance(parsed.record, Counter) and parsed.record.verified is not None
    assert (parsed.record.latitude, parsed.record.longitude) == (50.29, 2.78)
    assert parsed.record.verified.on == dt.date(2026, 12, 3)


def test_a_date_in_the_future_is_refused_when_today_is_given(catalog: Catalog) -> None:
    scheme = by_id(catalog.knowledge, "dla")
    values = form_values(scheme) | {"compiled": "2031-01-01"}
    today = dt.date(2027, 1, 1)
    parsed = parse_form("scheme", values, catalog.knowledge, scheme, today=today)
    assert parsed.errors == {"compiled": "Date dans le futur."}


def test_unchanged_data_keeps_the_defaults_the_file_spells_out(catalog: Catalog) -> None:
    scheme = by_id(catalog.knowledge, "france-active-garantie")
    data = parse_form("scheme", form_values(scheme), catalog.knowledge, scheme).data
    assert data is not None and data["themes"] == []
    assert "official" not in data and "verified" not in data
    copy = form_values(scheme) | {"id": "france-active-garantie-copie"}
    fresh = parse_form("scheme", copy, catalog.knowledge, None).data
    assert fresh is not None and "themes" not in fresh


def test_a_new_record_starts_from_the_template_and_asks_for_what_is_missing(
    catalog: Catalog,
) -> None:
    start = template("scheme", dt.date(2026, 12, 4))
    values = form_values(start, "scheme")
    assert values["compiled"] == "2026-12-04" and values["calendar.mode"] == "permanent"
    errors = parse_form("scheme", values, catalog.knowledge, None).errors
    assert errors["name"] == "Ce champ est obligatoire."
    assert errors["carriers"] == "Indiquez-en au moins un."
    values.update(
        {
            "id": "aide-de-test",
            "name": "Aide de test",
            "funder": "Département de test",
            "kind": "grant",
            "summary.fr": "Une aide pour tester.",
            "summary.en": "An aid to test.",
            "territory.departments": "62",
            "carriers": ["association"],
            "stages": ["idee"],
            "needs": ["financement"],
            "url": "https://www.exemple.fr/aide",
            "source": "https://www.exemple.fr/aide",
        }
    )
    parsed = parse_form("scheme", values, catalog.knowledge, None)
    assert parsed.errors == {}
    assert parsed.data is not None and list(parsed.data)[:3] == ["id", "name", "funder"]
