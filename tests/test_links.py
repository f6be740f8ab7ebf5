"""The link checker against local sites only (127.0.0.1): what it finds, and how politely."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

from bot.core.links import LinkOutcome, LinkReport, LinkTarget
from bot.services.links import LinkChecker, LinkCheckRun, Politeness, ProbeFailed
from bot.services.ports import Storage
from bot.storage.memory import memory_storage
from bot.web.probe import HttpProbe, user_agent
from tests.local_links import Sites

QUICK = Politeness(concurrency=4, per_host=1, pause=0.0, timeout=0.5)


def target(url: str, record_id: str = "dla") -> LinkTarget:
    return LinkTarget(url, "scheme", record_id, "url")


async def test_each_kind_of_answer_gets_its_outcome_and_its_reason_in_french() -> None:
    async with Sites().running() as [site]:
        paths = ["/ok", "/missing", "/gone", "/error", "/blocked", "/moved", "/slash", "/loop"]
        paths += ["/slow", "/no-head"]
        urls = [site.url(p) for p in paths]
        ok = site.url("/ok")
        results = await LinkChecker(HttpProbe(), QUICK).check([target(u) for u in urls])
    found = {r.target.url.rsplit("/", 1)[1]: r for r in results}
    assert [r.target.url for r in results] == urls  # in their order
    assert (found["ok"].outcome, found["ok"].reason, found["ok"].status) == (
        LinkOutcome.OK,
        "accessible",
        200,
    )
    assert (found["missing"].outcome, found["missing"].reason) == (
        LinkOutcome.BROKEN,
        "page introuvable (404)",
    )
    assert found["gone"].reason == "page supprimée (410)"
    assert (found["error"].outcome, found["error"].reason) == (
        LinkOutcome.BROKEN,
        "erreur du serveur (500)",
    )
    assert found["blocked"].reason.startswith("accès refusé (403)")
    moved = found["moved"]
    assert (moved.outcome, moved.final_url) == (LinkOutcome.REDIRECTED, ok)
    assert moved.reason == f"redirigé vers {ok}"
    assert found["slash"].outcome == LinkOutcome.OK  # only a final slash added: the same page
    assert found["loop"].reason == "trop de redirections (le site tourne en rond)"
    assert (found["slow"].outcome, found["slow"].reason) == (
        LinkOutcome.BROKEN,
        "pas de réponse en 0,5 s",
    )
    assert (found["no-head"].outcome, found["no-head"].status) == (LinkOutcome.OK, 200)


async def test_head_first_then_get_only_where_head_is_refused() -> None:
    async with Sites().running() as [site]:
        await LinkChecker(HttpProbe(), QUICK).check(
            [target(site.url("/ok")), target(site.url("/no-head")), target(site.url("/blocked"))]
        )
    asked = sorted((v.path, v.method) for v in site.visits)
    assert asked == [
        ("/blocked", "GET"),
        ("/blocked", "HEAD"),
        ("/no-head", "GET"),
        ("/no-head", "HEAD"),
        ("/ok", "HEAD"),
    ]


async def test_an_address_in_several_records_is_asked_once_and_says_who_asks() -> None:
    async with Sites().running() as [site]:
        shared = site.url("/missing")
        probe = HttpProbe(user_agent("https://comptoir.example.fr"))
        results = await LinkChecker(probe, QUICK).check(
            [target(shared, "dla"), target(shared, "prets-d-honneur"), target(site.url("/ok"))]
        )
    assert [r.target.record_id for r in results] == ["dla", "prets-d-honneur", "dla"]
    assert [r.outcome for r in results[:2]] == [LinkOutcome.BROKEN, LinkOutcome.BROKEN]
    assert [v.path for v in site.visits].count("/missing") == 1
    agents = {v.agent for v in site.visits}
    assert agents == {
        "Comptoir-LinkCheck/1.0 (verification des liens d'une base d'aides; "
        "+https://comptoir.example.fr)"
    }


async def test_no_answer_at_all_is_a_broken_link_with_its_reason() -> None:
    async with Sites().running() as [site]:
        closed = site.url("/ok")
    # The site has stopped: nothing listens on its port any more.
    [result] = await LinkChecker(HttpProbe(), QUICK).check([target(closed)])
    assert (result.outcome, result.reason) == (LinkOutcome.BROKEN, "connexion au site impossible")


async def test_the_checker_never_has_more_requests_under_way_than_allowed() -> None:
    sites = Sites(delay=0.05)
    polite = Politeness(concurrency=2, per_host=1, pause=0.1, timeout=5.0)
    async with sites.running(count=3) as running:
        targets = [target(s.url(f"/page/{n}")) for s in running for n in range(4)]
        results = await LinkChecker(HttpProbe(), polite).check(targets)
    assert all(r.outcome == LinkOutcome.OK for r in results)
    assert sites.most == 2  # the overall limit, reached: requests do run side by side
    for site in running:
        assert site.most == 1  # one at a time per host
        starts = sorted(v.started for v in site.visits)
        assert len(starts) == 4
        gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
        assert min(gaps) >= 0.1 * 0.8  # the pause between two requests to a host (clock jitter)


async def test_two_at_a_time_per_host_when_allowed() -> None:
    sites = Sites(delay=0.1)
    polite = Politeness(concurrency=8, per_host=2, pause=0.0, timeout=5.0)
    async with sites.running() as [site]:
        await LinkChecker(HttpProbe(), polite).check(
            [target(site.url(f"/page/{n}")) for n in range(6)]
        )
    assert site.most == 2


async def test_a_fetcher_failure_is_reported_not_raised() -> None:
    class Refusing:
        def open(self) -> Refusing:
            return self

        async def __aenter__(self) -> Refusing:
            return self

        async def __aexit__(self, *exc: object) -> None:
            return None

        async def fetch(self, method: str, url: str) -> object:
            raise ProbeFailed("le nom du site est introuvable (DNS)")

    [result] = await LinkChecker(Refusing(), QUICK).check(  # type: ignore[arg-type]
        [target("https://introuvable.example.fr/")]
    )
    assert (result.outcome, result.reason) == (
        LinkOutcome.BROKEN,
        "le nom du site est introuvable (DNS)",
    )


# -- one check at a time, its results kept -----------------------------------------------------


def clock() -> dt.datetime:
    return dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)


async def finished(storage: Storage) -> LinkReport:
    report = await storage.upkeep.last_check()
    assert report is not None
    return report


async def test_a_background_check_keeps_its_results_and_refuses_a_second_one() -> None:
    storage = memory_storage(clock=clock)
    sites = Sites(delay=0.2)
    async with sites.running() as [site]:
        run = LinkCheckRun(LinkChecker(HttpProbe(), QUICK), clock)
        targets = [target(site.url("/ok")), target(site.url("/missing"), "prets-d-honneur")]
        assert await run.start(storage.upkeep, targets, "Claire Dupont")
        assert run.running
        assert not await run.start(storage.upkeep, targets, "Léa Bernard")
        other_replica = LinkCheckRun(LinkChecker(HttpProbe(), QUICK), clock)
        assert not await other_replica.start(storage.upkeep, targets, "Léa Bernard")
        running = await storage.upkeep.running_check(clock())
        assert running is not None and running.started_by == "Claire Dupont"
        await run.wait()
    report = await finished(storage)
    assert report.started_by == "Claire Dupont" and report.finished_at == clock()
    assert [r.outcome for r in report.results] == [LinkOutcome.OK, LinkOutcome.BROKEN]
    assert not run.running and await storage.upkeep.running_check(clock()) is None


async def test_a_check_stopped_by_a_shutdown_lets_the_next_one_start() -> None:
    storage = memory_storage(clock=clock)
    async with Sites().running() as [site]:
        slow = Politeness(concurrency=1, per_host=1, pause=0.0, timeout=10.0)
        run = LinkCheckRun(LinkChecker(HttpProbe(), slow), clock)
        assert await run.start(storage.upkeep, [target(site.url("/slow"))], "Claire Dupont")
        await asyncio.sleep(0.1)
        await run.stop()
        assert not run.running
        assert await storage.upkeep.running_check(clock()) is None
        assert await storage.upkeep.last_check() is None
        again = await run.run(storage.upkeep, [target(site.url("/ok"))], "Claire Dupont")
    assert again is not None and [r.outcome for r in again.results] == [LinkOutcome.OK]
