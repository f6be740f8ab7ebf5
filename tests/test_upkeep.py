"""The staff's upkeep list: each section on the shipped knowledge (a fixed day) or a changed copy,
and the facts it reads from every store (memory, SQLite, PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

import bot.cli.upkeep as cli_upkeep
import bot.storage.upkeep as sql_upkeep
from bot.cli import main
from bot.core.catalog import Catalog
from bot.core.conversation import Event
from bot.core.freshness import needs_check
from bot.core.knowledge import Knowledge
from bot.core.links import LinkOutcome, LinkReport, LinkResult, LinkTarget, link_targets
from bot.core.models import Calendar, Counter, Scheme, Session, Verification
from bot.core.upkeep import Facts, Item, Matched, Section, Staffing, Upkeep, upkeep
from bot.services.links import LinkChecker, Politeness
from bot.services.ports import RETENTION, Storage
from bot.services.ports_upkeep import STALE_CHECK
from tests.lead_stores import Clock
from tests.local_links import LocalProbe, Sites

TODAY = dt.date(2026, 12, 3)
AT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def items(listed: Upkeep, section: Section) -> list[Item]:
    return list(next(part for part in listed.parts if part.section == section).items)


def part_note(listed: Upkeep, section: Section) -> str | None:
    return next(part for part in listed.parts if part.section == section).note


def scheme(knowledge: Knowledge, scheme_id: str) -> Scheme:
    return next(s for s in knowledge.schemes if s.id == scheme_id)


def with_schemes(knowledge: Knowledge, *changed: Scheme) -> Knowledge:
    """The knowledge with these schemes in place of those of the same id."""
    by_id = {s.id: s for s in changed}
    return dataclasses.replace(
        knowledge, schemes=tuple(by_id.get(s.id, s) for s in knowledge.schemes)
    )


def with_calendar(knowledge: Knowledge, scheme_id: str, calendar: Calendar) -> Knowledge:
    return with_schemes(
        knowledge, scheme(knowledge, scheme_id).model_copy(update={"calendar": calendar})
    )


@pytest.fixture(scope="module")
def knowledge(catalog: Catalog) -> Knowledge:
    return catalog.knowledge


# -- (a) verification ----------------------------------------------------------------------


def test_records_never_verified_or_for_a_year_are_listed_where_they_are_written(
    knowledge: Knowledge,
) -> None:
    first = knowledge.schemes[0]
    year_old = first.model_copy(
        update={
            "verified": Verification(
                on=dt.date(2025, 11, 20), by="Claire Dupont", page="https://www.example.fr/aide"
            )
        }
    )
    changed = with_schemes(knowledge, year_old)
    listed = items(upkeep(changed, TODAY, Facts()), Section.UNVERIFIED)
    records: list[Scheme | Counter] = [*changed.schemes, *changed.counters]
    expected = {(type(r).__name__.lower(), r.id) for r in records if needs_check(r, TODAY)}
    assert {(i.kind, i.id) for i in listed} == expected and len(listed) == len(expected)
    old = next(i for i in listed if i.id == first.id)
    assert old.text.startswith(
        "Fiche vérifiée pour la dernière fois le 20/11/2025, il y a plus de 12 mois : "
    )
    assert old.url == "https://www.example.fr/aide" and old.date == dt.date(2025, 11, 20)
    never = next(i for i in listed if i.kind == "counter")
    assert never.text.startswith("Fiche jamais vérifiée (compilée le ")
    assert "« Vérifié aujourd'hui »" in never.text
    assert (never.file, never.line) == changed.places[("Counter", never.id)]
    assert never.file.startswith("knowledge/counters/") and never.line > 1
    assert any(not needs_check(r, TODAY) for r in records)  # the verified ones are not listed


# -- (b) calendars ---------------------------------------------------------------------------


def test_on_the_shipped_knowledge_the_three_calls_whose_session_passed_are_listed(
    knowledge: Knowledge,
) -> None:
    listed = items(upkeep(knowledge, TODAY, Facts()), Section.CALENDAR)
    assert {i.id: i.date for i in listed} == {
        "meurthe-et-moselle-agir": dt.date(2025, 6, 10),
        "moselle-aap-innovation-sociale": dt.date(2025, 6, 13),
        "pas-de-calais-budget-citoyen": dt.date(2025, 3, 4),
    }
    agir = next(i for i in listed if i.id == "meurthe-et-moselle-agir")
    assert agir.text == (
        "La session annoncée s'est terminée le 10/06/2025 et aucune édition suivante n'est "
        "confirmée : regardez si le financeur en a annoncé une et mettez le calendrier à jour."
    )
    budget = next(i for i in listed if i.id == "pas-de-calais-budget-citoyen")
    assert "ajoutez la session suivante" in budget.text
    assert budget.file == "knowledge/schemes/pas-de-calais-budget-citoyen.yaml"


@pytest.mark.parametrize(
    ("closes", "listed", "when"),
    [
        (TODAY, True, "(aujourd'hui)"),
        (TODAY + dt.timedelta(days=1), True, "(demain)"),
        (TODAY + dt.timedelta(days=30), True, "(dans 30 jours)"),
        (TODAY + dt.timedelta(days=31), False, ""),
    ],
)
def test_a_call_closing_within_30_days_is_listed(
    knowledge: Knowledge, closes: dt.date, listed: bool, when: str
) -> None:
    calendar = Calendar(
        mode="periodic", sessions=(Session(opens=dt.date(2026, 11, 1), closes=closes),)
    )
    changed = with_calendar(knowledge, "boulonnais-aide-emergence-ess", calendar)
    found = [
        i
        for i in items(upkeep(changed, TODAY, Facts()), Section.CALENDAR)
        if i.id == "boulonnais-aide-emergence-ess"
    ]
    assert bool(found) == listed
    if listed:
        assert found[0].date == closes and when in found[0].text
        assert found[0].text.startswith(f"L'appel ferme le {closes.strftime('%d/%m/%Y')}")


def test_a_session_announced_next_keeps_a_passed_one_off_the_list(knowledge: Knowledge) -> None:
    calendar = Calendar(
        mode="periodic",
        sessions=(
            Session(opens=dt.date(2025, 1, 1), closes=dt.date(2025, 3, 1)),
            Session(opens=dt.date(2027, 1, 10), closes=dt.date(2027, 3, 1)),
        ),
    )
    changed = with_calendar(knowledge, "pas-de-calais-budget-citoyen", calendar)
    listed = items(upkeep(changed, TODAY, Facts()), Section.CALENDAR)
    assert "pas-de-calais-budget-citoyen" not in {i.id for i in listed}


def test_an_opening_passed_without_a_closing_date_asks_for_it(knowledge: Knowledge) -> None:
    calendar = Calendar(mode="periodic", sessions=(Session(opens=dt.date(2026, 9, 1)),))
    changed = with_calendar(knowledge, "boulonnais-aide-emergence-ess", calendar)
    found = next(
        i
        for i in items(upkeep(changed, TODAY, Facts()), Section.CALENDAR)
        if i.id == "boulonnais-aide-emergence-ess"
    )
    assert found.text.startswith(
        "La session annoncée a ouvert le 01/09/2026, sans date de clôture connue : "
    )


def test_permanent_and_closed_schemes_have_no_calendar_to_review(knowledge: Knowledge) -> None:
    past = (Session(opens=dt.date(2025, 1, 1), closes=dt.date(2025, 2, 1)),)
    changed = with_calendar(
        with_calendar(knowledge, "dla", Calendar(mode="permanent")),
        "pas-de-calais-budget-citoyen",
        Calendar(mode="closed", sessions=past),
    )
    listed = {i.id for i in items(upkeep(changed, TODAY, Facts()), Section.CALENDAR)}
    assert listed == {"meurthe-et-moselle-agir", "moselle-aap-innovation-sociale"}


# -- (c) counters nobody is linked to ----------------------------------------------------------


def test_counters_with_neither_an_advisor_nor_a_group_are_listed(knowledge: Knowledge) -> None:
    advised, grouped = knowledge.counters[0].id, knowledge.counters[1].id
    facts = Facts(staffing=Staffing(frozenset({advised}), frozenset({grouped})))
    listed = items(upkeep(knowledge, TODAY, facts), Section.UNLINKED)
    assert {i.id for i in listed} == {c.id for c in knowledge.counters} - {advised, grouped}
    assert all(i.kind == "counter" for i in listed)
    names = [i.name.casefold() for i in listed]
    assert names == sorted(names)
    one = listed[0]
    assert one.text == (
        "Aucun conseiller ni groupe Telegram lié : invitez un conseiller de la structure "
        "(page Équipe) ou liez son groupe Telegram (commande « comptoir counters link-code "
        f"{one.id} »)."
    )


def test_without_the_database_the_sections_it_feeds_say_so(knowledge: Knowledge) -> None:
    listed = upkeep(knowledge, TODAY, Facts())
    assert items(listed, Section.UNLINKED) == []
    assert part_note(listed, Section.UNLINKED) == "Non lu : la base de données n'a pas répondu."
    assert items(listed, Section.UNMATCHED) == []
    assert part_note(listed, Section.UNMATCHED) is not None
    assert part_note(listed, Section.BROKEN_LINKS) == (
        "Aucune vérification des liens terminée pour l'instant."
    )
    assert [p.section for p in listed.parts] == list(Section)


# -- (d) never proposed -------------------------------------------------------------------------


def test_records_no_citizen_was_ever_shown_are_listed_closed_schemes_aside(
    knowledge: Knowledge,
) -> None:
    closed = scheme(knowledge, "dla").model_copy(update={"calendar": Calendar(mode="closed")})
    changed = with_schemes(knowledge, closed)
    shown_scheme, shown_counter = knowledge.schemes[0].id, knowledge.counters[0].id
    matched = Matched(
        frozenset({shown_scheme}),
        frozenset({shown_counter}),
        dt.datetime(2026, 10, 5, 8, tzinfo=dt.UTC),
    )
    listed = items(upkeep(changed, TODAY, Facts(matched=matched)), Section.UNMATCHED)
    expected = {("scheme", s.id) for s in knowledge.schemes} - {
        ("scheme", shown_scheme),
        ("scheme", "dla"),
    }
    expected |= {("counter", c.id) for c in knowledge.counters} - {("counter", shown_counter)}
    assert {(i.kind, i.id) for i in listed} == expected
    assert [i.kind for i in listed] == sorted((i.kind for i in listed), key=lambda k: k != "scheme")
    first = listed[0]
    assert first.text.startswith(
        "Proposé à personne depuis le 05/10/2026 : vérifiez son territoire"
    )


def test_without_any_match_recorded_nothing_is_called_never_proposed(
    knowledge: Knowledge,
) -> None:
    facts = Facts(matched=Matched(frozenset(), frozenset(), None))
    listed = upkeep(knowledge, TODAY, facts)
    assert items(listed, Section.UNMATCHED) == []
    assert part_note(listed, Section.UNMATCHED) == (
        "Pas encore d'information : la liste se remplira quand des porteurs de projet auront "
        "reçu des résultats."
    )


# -- (e) links ---------------------------------------------------------------------------------


def test_every_link_of_a_record_is_a_target_once_sentences_around_sources_left_out(
    knowledge: Knowledge,
) -> None:
    first = knowledge.schemes[0]
    checked = Verification(on=TODAY, by="Claire Dupont", page="https://www.example.fr/verifiee")
    changed = with_schemes(knowledge, first.model_copy(update={"verified": checked}))
    targets = link_targets(changed)
    assert len(targets) == len(set(targets))
    assert all(t.url.startswith(("http://", "https://")) for t in targets)
    assert {t.field for t in targets} == {"url", "source", "verified.page"}
    assert LinkTarget(checked.page, "scheme", first.id, "verified.page") in targets
    records: list[Scheme | Counter] = [*knowledge.schemes, *knowledge.counters]
    for record in records:
        kind = type(record).__name__.lower()
        own = [t for t in targets if (t.kind, t.record_id) == (kind, record.id)]
        assert own[0].url == record.url and own[0].field == "url"
        assert len({t.url for t in own}) == len(own)
    cited = [t.url for t in targets if "citego.org" in t.url]
    assert cited and all(u.endswith(".html") for u in cited)  # not the sentence's « ) » or « . »


def test_broken_and_redirected_links_of_the_last_check_are_listed_if_still_written(
    knowledge: Knowledge,
) -> None:
    first, second = knowledge.schemes[0], knowledge.counters[0]
    broken = LinkTarget(first.url, "scheme", first.id, "url")
    moved = LinkTarget(second.url, "counter", second.id, "url")
    gone = LinkTarget("https://www.example.fr/ancienne", "scheme", first.id, "url")
    unknown = LinkTarget("https://www.example.fr/x", "counter", "structure-supprimee", "url")
    fine = LinkTarget(knowledge.schemes[1].url, "scheme", knowledge.schemes[1].id, "url")
    report = LinkReport(
        7,
        AT,
        "Claire Dupont",
        AT + dt.timedelta(minutes=3),
        (
            LinkResult(broken, LinkOutcome.BROKEN, "page introuvable (404)", 404),
            LinkResult(moved, LinkOutcome.REDIRECTED, "redirigé", 200, "https://www.example.fr/n"),
            LinkResult(gone, LinkOutcome.BROKEN, "page introuvable (404)", 404),
            LinkResult(unknown, LinkOutcome.BROKEN, "page introuvable (404)", 404),
            LinkResult(fine, LinkOutcome.OK, "accessible", 200),
        ),
    )
    listed = upkeep(knowledge, TODAY, Facts(links=report))
    [cassé] = items(listed, Section.BROKEN_LINKS)
    assert (cassé.kind, cassé.id, cassé.url) == ("scheme", first.id, first.url)
    assert cassé.text == (
        "Lien cassé (adresse principale) : page introuvable (404). Cherchez la nouvelle adresse "
        "sur le site de l'organisme et corrigez la fiche."
    )
    [redirigé] = items(listed, Section.REDIRECTED_LINKS)
    assert redirigé.id == second.id
    assert redirigé.text.startswith("Le lien (adresse principale) mène à https://www.example.fr/n")
    assert listed.total == sum(len(p.items) for p in listed.parts)


# -- the stored facts, on every store ------------------------------------------------------


def match_run(scheme_ids: list[str] | None, counter_ids: list[str] | None = None) -> Event:
    detail: dict[str, object] = {"schemes": len(scheme_ids or []), "counters": 0}
    if scheme_ids is not None:
        detail |= {"scheme_ids": scheme_ids, "counter_ids": counter_ids or []}
    return Event("match_run", "results", detail)  # type: ignore[arg-type]


async def log(storage: Storage, chat: str, at: dt.datetime, *events: Event) -> None:
    async with storage.conversations.chat(chat) as session:
        await session.log(list(events), at)


async def test_staffing_counts_enabled_advisors_and_linked_groups(
    lead_storage: Storage, lead_clock: Clock
) -> None:
    accounts, now = lead_storage.accounts, lead_clock()
    await accounts.add_person("a@exemple.fr", "Alix Martin", "advisor", ["c-un", "c-deux"], now)
    await accounts.add_person("b@exemple.fr", "Bao Nguyen", "advisor", ["c-trois"], now)
    await accounts.disable("b@exemple.fr", now)
    await accounts.link_group(-1001, "c-quatre", now)
    await accounts.link_group(-1002, None, now)  # the staff group is no counter's
    staffing = await lead_storage.upkeep.staffing()
    assert staffing == Staffing(frozenset({"c-un", "c-deux"}), frozenset({"c-quatre"}))


async def test_what_citizens_were_shown_is_gathered_once_and_kept(
    lead_storage: Storage, lead_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_upkeep, "CHUNK", 3)  # several chunks, a tie across two of them
    store = lead_storage.upkeep
    assert await store.matched(lead_clock()) == Matched(frozenset(), frozenset(), None)
    await log(lead_storage, "web:ancien", lead_clock(), match_run(None))  # no ids: no information
    lead_clock.advance(days=1)
    assert (await store.matched(lead_clock())).since is None
    first = lead_clock()
    await log(lead_storage, "web:a", first, match_run(["dla"], ["cress-bretagne"]))
    lead_clock.advance(hours=1)
    for number in range(5):  # five turns logged at the same instant
        await log(lead_storage, f"web:t{number}", lead_clock(), match_run([f"s-{number}"]))
    await log(lead_storage, "web:b", lead_clock(), Event("node_entered", "ask_commune"))
    lead_clock.advance(hours=1)
    seen = await store.matched(lead_clock())
    assert seen.schemes == {"dla", "s-0", "s-1", "s-2", "s-3", "s-4"}
    assert seen.counters == {"cress-bretagne"}
    assert seen.since == first
    assert await store.matched(lead_clock()) == seen  # read again: the same

    # A turn of another replica, begun a minute ago and committed after that look.
    late = lead_clock() - dt.timedelta(minutes=1)
    await log(lead_storage, "web:c", late, match_run(["prets-d-honneur"], ["dla"]))
    lead_clock.advance(minutes=1)
    later = await store.matched(lead_clock())
    assert later.schemes == seen.schemes | {"prets-d-honneur"}
    assert later.counters == {"cress-bretagne", "dla"}

    lead_clock.advance(days=500)
    await lead_storage.privacy.purge(lead_clock(), RETENTION)  # the events are gone…
    assert await store.matched(lead_clock()) == later  # …what they showed is kept


async def test_one_link_check_runs_at_a_time_and_the_last_one_is_kept(
    lead_storage: Storage, lead_clock: Clock
) -> None:
    store, now = lead_storage.upkeep, lead_clock()
    assert await store.last_check() is None and await store.running_check(now) is None
    first = await store.start_check("Claire Dupont", now)
    assert first is not None
    assert await store.start_check("Léa Bernard", now) is None
    running = await store.running_check(now)
    assert running is not None and (running.id, running.started_by) == (first, "Claire Dupont")
    target = LinkTarget("https://www.example.fr/a", "scheme", "dla", "url")
    other = LinkTarget("https://www.example.fr/b", "counter", "cress-bretagne", "source")
    results = [
        LinkResult(target, LinkOutcome.BROKEN, "page introuvable (404)", 404),
        LinkResult(other, LinkOutcome.REDIRECTED, "redirigé", 200, "https://www.example.fr/c"),
    ]
    done = now + dt.timedelta(minutes=4)
    await store.finish_check(first, results, done)
    assert await store.running_check(done) is None
    last = await store.last_check()
    assert last == LinkReport(first, now, "Claire Dupont", done, tuple(results))

    second = await store.start_check("Léa Bernard", done)
    assert second is not None and second != first
    assert (await store.last_check()) == last  # still the finished one
    await store.abandon_check(second)
    third = await store.start_check("Léa Bernard", done)
    assert third is not None
    await store.finish_check(third, results[:1], done + dt.timedelta(minutes=1))
    newest = await store.last_check()
    assert newest is not None and newest.id == third and newest.results == tuple(results[:1])


async def test_a_check_left_unfinished_no_longer_blocks_the_next(
    lead_storage: Storage, lead_clock: Clock
) -> None:
    store, now = lead_storage.upkeep, lead_clock()
    stuck = await store.start_check("Claire Dupont", now)
    assert stuck is not None
    later = now + STALE_CHECK + dt.timedelta(seconds=1)
    assert await store.running_check(later) is None
    fresh = await store.start_check("Léa Bernard", later)
    assert fresh is not None and fresh != stuck
    target = LinkTarget("https://www.example.fr/a", "scheme", "dla", "url")
    result = LinkResult(target, LinkOutcome.OK, "accessible", 200)
    await store.finish_check(stuck, [result], later)  # the stale one's end counts for nothing
    assert await store.last_check() is None
    await store.finish_check(fresh, [result], later)
    last = await store.last_check()
    assert last is not None and last.started_by == "Léa Bernard"


# -- the command line ------------------------------------------------------------------------


def test_kb_upkeep_prints_the_list_by_section_and_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3")
    assert main(["kb", "upkeep"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Entretien de la base de connaissances au ")
    assert "Liens : jamais vérifiés (comptoir kb upkeep --check-links)." in text
    assert "== Fiches à vérifier (" in text and "== Calendriers à revoir (" in text
    assert (
        "knowledge/schemes/pas-de-calais-budget-citoyen.yaml:" in text and "dispositif « " in text
    )
    assert main(["kb", "upkeep", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"today", "total", "link_check", "sections"}
    assert [s["section"] for s in data["sections"]] == [s.value for s in Section]
    calendar = next(s for s in data["sections"] if s["section"] == "calendar")
    assert calendar["count"] == len(calendar["items"]) > 0
    assert set(calendar["items"][0]) == {
        "kind", "id", "name", "file", "line", "text", "url", "date",
    }  # fmt: skip
    unlinked = next(s for s in data["sections"] if s["section"] == "unlinked")
    assert unlinked["count"] == len(Catalog.load().knowledge.counters)  # nobody linked yet
    assert data["link_check"] is None


async def test_kb_upkeep_check_links_checks_first_then_lists_what_it_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    knowledge = Catalog.load().knowledge
    dla = next(s for s in knowledge.schemes if s.id == "dla")
    async with Sites().running() as [site]:
        ok, missing = site.url("/ok"), site.url("/missing")
        probe = LocalProbe(lambda url: missing if url == dla.url else ok)
        fast = Politeness(concurrency=8, per_host=8, pause=0.0, timeout=5.0)
        monkeypatch.setattr(cli_upkeep, "link_checker", lambda _: LinkChecker(probe, fast))
        monkeypatch.setenv("COMPTOIR_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3")
        # The command runs its own event loop: in a thread, beside this test's.
        code = await asyncio.to_thread(main, ["kb", "upkeep", "--json", "--check-links"])
    assert code == 0
    captured = capsys.readouterr()
    addresses = len({t.url for t in link_targets(knowledge)})
    assert f"Vérification de {addresses} liens, quelques minutes…" in captured.err
    assert len(set(probe.asked)) == addresses
    data = json.loads(captured.out)
    check = data["link_check"]
    assert (check["started_by"], check["links"]) == (
        "ligne de commande",
        len(link_targets(knowledge)),
    )
    assert check["broken"] >= 1 and check["redirected"] == 0
    broken = next(s for s in data["sections"] if s["section"] == "broken_links")
    dla_item = next(i for i in broken["items"] if (i["kind"], i["id"]) == ("scheme", "dla"))
    assert dla_item["url"] == dla.url
    assert dla_item["text"].startswith("Lien cassé (adresse principale) : page introuvable (404).")
