"""The observatory's figures on a seeded world: exactly the expected counts, « < 5 » included,
on the memory store, SQLite and (given a URL) PostgreSQL; the weekly digest, once a week."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.content import Content
from bot.core.conversation import ChatRef, Context, Inbound
from bot.core.observatory.document import document
from bot.core.observatory.figures import SMALL, Count
from bot.core.observatory.names import step_labels, steps
from bot.core.observatory.scope import Period, Territory, UnknownTerritory, months
from bot.core.observatory.tables import VIEWS
from bot.core.observatory.unheard import invalid_detail, masked, sample
from bot.services.observatory import Observatory
from bot.services.outbox import Courier
from bot.services.ports import Storage
from bot.services.ports_observatory import DIGEST
from bot.storage import open_storage
from tests.dialog_driver import QualificationEngine
from tests.lead_stores import Clock
from tests.observatory_seed import EMAIL, TODAY, seed

ALL = (Period(), Territory())
MARCH_ONLY = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def observatory(content: Content, storage: Storage, clock: Clock) -> Observatory:
    return Observatory(lambda: content, storage, Courier(storage.outbox, clock=clock), clock)


@pytest.fixture
async def seeded(lead_content: Content, lead_storage: Storage, lead_clock: Clock) -> Observatory:
    await seed(lead_storage)
    lead_clock.now = TODAY
    return observatory(lead_content, lead_storage, lead_clock)


def shown(counts: object) -> object:
    """Counts as the JSON document gives them."""
    if isinstance(counts, Count):
        return counts.json()
    if isinstance(counts, dict):
        return {k: shown(v) for k, v in counts.items()}
    return counts


async def test_qualified_ideas_are_counted_once_by_theme_department_and_month(
    seeded: Observatory,
) -> None:
    ideas = (await seeded.count(*ALL)).ideas
    assert ideas.total == Count(18)
    assert [(b.label, str(b.count)) for b in ideas.departments] == [
        ("Pas-de-Calais (62)", "10"),
        ("Nord (59)", "6"),
        ("Gironde (33)", SMALL),
    ]
    assert [(b.key, str(b.count)) for b in ideas.themes] == [
        ("alimentation", "10"),
        ("culture-sport-loisirs", SMALL),
        ("numerique", SMALL),
    ]
    assert [(b.key, b.label, str(b.count)) for b in ideas.months] == [
        ("2026-03", "mars 2026", "15"),
        ("2026-04", "avril 2026", SMALL),
    ]
    assert [(c.department, c.theme, str(c.count)) for c in ideas.cells] == [
        ("62", "alimentation", "10"),
        ("59", "", "6"),
        ("33", "culture-sport-loisirs", SMALL),
        ("62", "numerique", SMALL),
    ]
    assert ideas.cells[1].theme_label == "Sans thème précisé"


async def test_a_region_a_department_and_a_period_narrow_the_ideas(seeded: Observatory) -> None:
    hauts_de_france = await seeded.count(Period(), Territory("region", "32"))
    assert hauts_de_france.ideas.total == Count(16)
    assert hauts_de_france.territory == "région Hauts-de-France"
    pas_de_calais_in_march = await seeded.count(MARCH_ONLY, Territory("department", "62"))
    assert pas_de_calais_in_march.ideas.total == Count(7)
    assert [b.key for b in pas_de_calais_in_march.ideas.months] == ["2026-03"]
    assert pas_de_calais_in_march.period == "du 01/03/2026 au 31/03/2026"
    with pytest.raises(UnknownTerritory):
        await seeded.count(Period(), Territory("department", "00"))


async def test_the_funnel_follows_the_dialog_node_by_node(seeded: Observatory) -> None:
    funnel = (await seeded.count(*ALL)).funnel
    by_node = {s.node: s for s in funnel.steps}
    consent, idea, where = by_node["consent"], by_node["idea"], by_node["where"]
    assert (consent.entered, consent.answered) == (Count(22), Count(22))
    assert (idea.entered, idea.answered, idea.abandoned) == (Count(22), Count(18), Count(None))
    assert where.invalid == Count(7)  # answers, not conversations
    assert by_node["carrier"].invalid == Count(None)
    assert by_node["stage"].entered == Count(0)
    nodes = [s.node for s in funnel.steps]
    assert nodes.index("consent") < nodes.index("idea") < nodes.index("where")
    assert nodes.index("where") < nodes.index("carrier") < nodes.index("recap")
    assert not funnel.territorial


async def test_a_territory_s_funnel_counts_the_conversations_matched_there(
    seeded: Observatory,
) -> None:
    funnel = (await seeded.count(Period(), Territory("department", "62"))).funnel
    by_node = {s.node: s for s in funnel.steps}
    assert by_node["consent"].entered == Count(10)
    assert by_node["idea"].abandoned == Count(0)
    assert by_node["where"].invalid == Count(7)
    assert funnel.territorial


async def test_gaps_cross_territory_and_theme_with_their_anonymised_ideas(
    seeded: Observatory,
) -> None:
    figures = await seeded.count(*ALL)
    gaps = figures.gaps
    assert [
        (g.department, g.theme, str(g.conversations), str(g.without_scheme), str(g.without_counter))
        for g in gaps.cells
    ] == [
        ("62", "alimentation", "10", "7", SMALL),
        ("33", "culture-sport-loisirs", SMALL, SMALL, SMALL),
        ("62", "numerique", SMALL, "0", SMALL),
    ]
    assert len(gaps.ideas) == 6  # lead 6 found a local scheme and a local counter
    without_counter = [i for i in gaps.ideas if i.without_counter]
    assert len(without_counter) == 1 and without_counter[0].idea is None
    texts = sorted(i.idea or "" for i in gaps.ideas if i.idea)
    assert texts[0] == "Une épicerie solidaire n°0 ; écrire à [e-mail]"
    first = gaps.ideas[0]
    assert first.department_label == "Pas-de-Calais (62)" and first.month == "mars 2026"
    assert (first.carrier, first.stage) == ("une association", "Ça prend forme")
    dumped = json.dumps(document(figures), ensure_ascii=False)
    assert EMAIL not in dumped and "Camille" not in dumped and "CPT-" not in dumped
    assert "telegram:" not in dumped and "62041" not in dumped


async def test_only_answers_typed_in_five_conversations_are_shown(seeded: Observatory) -> None:
    unheard = (await seeded.count(*ALL)).gaps.unheard
    assert [(u.node, u.label, u.text, str(u.times), str(u.conversations)) for u in unheard] == [
        ("where", "Commune", "je sais pas", "7", "6")
    ]
    nord = (await seeded.count(Period(), Territory("department", "59"))).gaps.unheard
    assert nord == ()  # « bof »: 2 conversations only


async def test_leads_by_counter_and_status_with_their_delays(seeded: Observatory) -> None:
    leads = (await seeded.count(*ALL)).leads
    columns = [status for status, _ in leads.statuses]
    assert [(c.name, str(c.total)) for c in leads.counters] == [
        ("Pas-de-Calais Actif (réseau France Active)", "5"),
        ("L'équipe du Département", SMALL),
    ]
    counter = leads.counters[0]
    assert counter.statuses[columns.index("pris_en_charge")] == Count(5)
    assert counter.statuses[columns.index("nouveau")] == Count(0)
    assert leads.total == Count(7)
    delays = leads.delays
    assert delays.taken == Count(5)
    assert delays.median_hours == pytest.approx(24.0)
    assert (delays.judged, delays.within) == (Count(7), Count(None))
    assert delays.share_within == pytest.approx(4 / 7)


async def test_medians_and_shares_are_hidden_below_five_leads(seeded: Observatory) -> None:
    elsewhere = (await seeded.count(Period(dt.date(2026, 3, 2), dt.date(2026, 3, 2)),
                                    Territory("department", "33"))).leads  # fmt: skip
    assert elsewhere.total == Count(0) and elsewhere.delays.median_hours is None
    arras = await seeded.count(*ALL)
    rows = {label: value for label, value in VIEWS["delais"](arras).rows}
    assert rows["Délai médian du dépôt à la prise en charge"] == "1 jour"
    assert rows["Part prise en charge en 5 jours ouvrés au plus"] == "57\u00a0%"


async def test_the_self_assessment_by_marker_and_level(seeded: Observatory) -> None:
    assessment = (await seeded.count(*ALL)).assessment
    assert assessment.assessed == Count(5)
    assert assessment.scale[0] == "Pas encore"
    markers = {m.marker: m for m in assessment.markers}
    assert list(markers) == [
        "collectif",
        "place-des-beneficiaires",
        "ancrage-territorial",
        "gouvernance",
    ]
    collectif = markers["collectif"]
    assert collectif.levels == (Count(0), Count(0), Count(None), Count(None))
    assert collectif.answered == Count(5)
    assert markers["gouvernance"].levels[1] == Count(None)
    assert markers["ancrage-territorial"].answered == Count(0)


async def test_the_json_document_writes_small_counts_as_a_string(seeded: Observatory) -> None:
    data = document(await seeded.count(*ALL))
    assert data["ideas"]["total"] == 18
    assert {d["department"]: d["count"] for d in data["ideas"]["departments"]} == {
        "62": 10,
        "59": 6,
        "33": "< 5",
    }
    assert data["leads"]["delays"]["median_hours"] == 24.0
    assert data["leads"]["by_status"]["nouveau"] == "< 5"
    assert data["assessment"]["markers"][0]["levels"] == [0, 0, "< 5", "< 5"]
    json.dumps(data)  # every value is JSON


async def test_every_view_is_a_table_with_the_same_figures(seeded: Observatory) -> None:
    figures = await seeded.count(*ALL)
    for name, view in VIEWS.items():
        table = view(figures)
        assert table.name == name and table.headers
        assert all(len(row) == len(table.headers) for row in table.rows), name
    cells = VIEWS["idees-departements"](figures).rows
    assert cells == (("Pas-de-Calais (62)", "10"), ("Nord (59)", "6"), ("Gironde (33)", SMALL))


async def test_the_weekly_digest_goes_to_the_staff_group_once_a_week(
    lead_content: Content, lead_storage: Storage, lead_clock: Clock
) -> None:
    await seed(lead_storage)
    lead_clock.now = dt.datetime(2026, 3, 9, 7, 0, tzinfo=dt.UTC)  # Monday 8:00 in Paris
    first = observatory(lead_content, lead_storage, lead_clock)
    assert not await first.once()  # before 9:00
    lead_clock.now = dt.datetime(2026, 3, 9, 8, 30, tzinfo=dt.UTC)
    assert not await first.once()  # no staff group linked yet
    await lead_storage.accounts.link_group(-1001, None, lead_clock.now)
    await lead_storage.accounts.link_group(-2002, "pas-de-calais-actif", lead_clock.now)
    assert await first.once()
    assert not await first.once()
    restarted = observatory(lead_content, lead_storage, lead_clock)
    lead_clock.now += dt.timedelta(days=2)
    assert not await restarted.once()  # the same week, after a restart
    queued = await lead_storage.outbox.queued("telegram:-1001", lead_clock.now, 10)
    assert [q.kind for q in queued] == [DIGEST]
    assert await lead_storage.outbox.queued("telegram:-2002", lead_clock.now, 10) == []
    text = queued[0].payload["reply"]["text"]
    assert "semaine du 2 mars 2026 au 8 mars 2026" in text
    assert "• Pas-de-Calais (62) · Alimentation" in text and "7 sans dispositif local" in text
    assert "< 5 sans structure locale" in text and "Gironde (33)" in text
    lead_clock.now = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)
    assert await restarted.once()  # the next week
    assert (
        "Aucun manque relevé"
        in (
            (await lead_storage.outbox.queued("telegram:-1001", lead_clock.now, 10))[1].payload[
                "reply"
            ]["text"]
        )
    )


def test_an_unheard_answer_is_kept_folded_masked_and_short() -> None:
    assert sample("Écrivez-moi : jean.dupont@mail.fr") == "ecrivez moi [e-mail]"
    assert sample("mon numéro 06 12 34 56 78") == "mon numero [numéro]"
    assert sample("Arras 62000") == "arras 62000"  # a postcode stays
    assert len(sample("x" * 500)) == 60
    assert invalid_detail("invalid_text_long", "text", "mon idée") == {
        "reason": "invalid_text_long"
    }
    assert invalid_detail("invalid_choice", "choice", None) == {"reason": "invalid_choice"}
    assert masked("Appelez le 06.12.34.56.78") == "Appelez le [numéro]"


def test_the_walk_logs_what_was_typed_at_a_question_with_choices(
    engine: QualificationEngine,
) -> None:
    context = Context(now=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), today=dt.date(2026, 3, 2))
    chat = ChatRef("test", "observatory")
    turn = engine.advance(None, Inbound(chat, text="/start"), context)
    assert turn.state.node == "consent"
    turn = engine.advance(turn.state, Inbound(chat, text="Zorglub 06 12 34 56 78 ?"), context)
    invalid = [e for e in turn.events if e.kind == "invalid_input"]
    assert [dict(e.detail) for e in invalid] == [
        {"reason": "invalid_choice", "typed": "zorglub [numéro]"}
    ]
    turn = engine.advance(turn.state, Inbound(chat, text="oui"), context)
    assert turn.state.node == "idea"
    turn = engine.advance(turn.state, Inbound(chat, text="   "), context)
    typed = [e.detail for e in turn.events if e.kind == "invalid_input"]
    assert typed and all("typed" not in d for d in typed)  # a free text is never kept


def test_the_funnel_s_order_is_the_dialog_s(lead_content: Content) -> None:
    order = steps(lead_content.dialog)
    assert order[:4] == ["consent", "idea", "themes", "where"]
    assert order.index("assess_offer") < order.index("marker_collectif") < order.index("recap")
    assert "welcome" not in order and "match" not in order  # said or done, never asked


def test_every_step_has_a_name_of_its_own(lead_content: Content) -> None:
    dialog = lead_content.dialog
    order = steps(dialog)
    labels = step_labels(dialog, order)
    assert len(set(labels)) == len(labels)
    filed = [label for label in labels if label.startswith("Fin : Et maintenant ?")]
    assert len(filed) == 2  # two ends start alike: named by where their texts part
    assert all(" … " in label and len(label.split()) <= 20 for label in filed)

    first, second = [n for n in order if dialog.nodes[n].kind == "end"][:2]
    twin = dialog.nodes[first].model_copy(update={"text": dialog.nodes[second].text})
    same = dialog.model_copy(update={"nodes": {**dialog.nodes, first: twin}})
    named = dict(zip(order, step_labels(same, order), strict=True))
    assert named[first].endswith(f"({first})") and named[second].endswith(f"({second})")


def test_months_follow_the_french_calendar() -> None:
    first = dt.datetime(2026, 2, 28, 23, 30, tzinfo=dt.UTC)  # 1 March in Paris
    assert [key for key, _ in months(first, first + dt.timedelta(days=40))] == [
        "2026-03",
        "2026-04",
    ]


def test_the_command_line_prints_the_pages_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3"

    async def seeded() -> None:
        storage = await open_storage(database)
        try:
            await seed(storage)
        finally:
            await storage.close()

    asyncio.run(seeded())
    assert main(["observatory", "--database", database, "--department", "62", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["territory"] == "Pas-de-Calais (62)" and data["ideas"]["total"] == 10
    assert [(c["theme"], c["without_local_counter"]) for c in data["gaps"]["crossings"]] == [
        ("alimentation", "< 5"),
        ("numerique", "< 5"),
    ]
    march = ["--from", "2026-03-01", "--to", "2026-03-31", "--region", "32"]
    assert main(["observatory", "--database", database, *march]) == 0
    summary = capsys.readouterr().out
    assert "du 01/03/2026 au 31/03/2026, région Hauts-de-France" in summary
    assert "Idées qualifiées : 13." in summary and "« je sais pas » (Commune) : 7" in summary
    assert main(["observatory", "--database", database, "--department", "00"]) == 2
    assert "département inconnu" in capsys.readouterr().err
