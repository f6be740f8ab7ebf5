"""Observatory benchmark: citizens' replies while staff compute the observatory over 100,000
conversations, against the same citizens alone, as a ratio.

A SQLite file (and, when configured, a fresh PostgreSQL database) gets the dashboard
benchmark's leads and accounts (dashboard.seed), then the event log of 100,000 conversations
over the last year, as the dialog writes it: each walks the questions (entered, answered), some
answers not understood (their typed text kept), some left (abandoned), most reach the matching
(`match_run`, with a département, themes and local schemes and counters). `comptoir serve` then
runs in a child process (as for the web chat benchmark).

- The roll-up: the closed days are counted once (timed), as a running server's periodic look
  keeps them; the citizens' own conversations of the day are counted from the events.
- The observatory: the staff page over every conversation (no filter) is timed once, cold.
- The citizens: a crowd of web-chat citizens at a fixed offered rate, measured alone, then while
  a staff member asks for the observatory again and again, each time for another period or
  territory (never served from the cache: every request counts everything again). Three
  alternated pairs; the median p99 of the reply times is compared (at most 1.25 × alone, or
  10 ms more, whichever is larger).

    COMPTOIR_BENCH_OBSERVATORY_CONVERSATIONS  conversations seeded (default 100000; 0 skips)
    COMPTOIR_BENCH_OBSERVATORY_LEADS          leads seeded beside them (default 2000)
    COMPTOIR_BENCH_DASHBOARD_RATE             the citizens' offered frames a second (default 150)
    COMPTOIR_BENCH_WEB_LEVEL_SECONDS          how long each measurement lasts (default 8)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.benchmarks.dashboard import STAFF, Advisor, _session
from tests.benchmarks.dashboard import seed as seed_leads
from tests.benchmarks.processes import Row, child, p99
from tests.benchmarks.web_citizens import Crowd, learn
from tests.benchmarks.webchat import _environment, _knobs, _levels, _wait_ready

PAIRS = 3
PAGE = "/conseillers/observatoire"
KEY = bytes.fromhex("5e" * 32)  # the webchat child's pseudonym key
PATH = (
    *("welcome", "consent", "idea", "detect", "themes", "where", "carrier", "stage", "needs"),
    *("amount", "assess_offer", "match", "results", "callback_offer", "first_name", "contact"),
    *("preferred_time", "recap", "file", "filed_end"),
)
ASKING = {
    *("consent", "idea", "themes", "where", "carrier", "stage", "needs", "amount"),
    *("assess_offer", "callback_offer", "first_name", "contact", "preferred_time", "recap"),
}
DEPARTMENTS = ("62", "59", "54", "33", "31", "35", "57", "971", "80", "02", "60", "29")
THEMES = ("alimentation", "numerique", "mobilite", "habitat", "sante", "tiers-lieux")
TYPED = ("je sais pas", "bof", "peut etre", "arras", "c est quoi", "oui mais", "aucune idee")
TERRITORIES = ("", "dep-62", "reg-32", "dep-33", "reg-75")


def events(count: int, now: dt.datetime) -> Iterator[tuple[str, str, str, str, dt.datetime]]:
    """The event rows of `count` conversations over the last year, oldest first."""
    rng = random.Random(17)
    first = now - dt.timedelta(days=360)
    spacing = dt.timedelta(days=350) / max(count, 1)
    for number in range(count):
        chat = hashlib.sha256(f"bench-observatory:{number}".encode()).hexdigest()
        at = first + spacing * number
        for node in PATH:
            at += dt.timedelta(seconds=20)
            yield chat, "node_entered", node, "{}", at
            if node == "match":
                detail = {
                    "schemes": rng.randint(0, 6),
                    "near_misses": rng.randint(0, 3),
                    "counters": rng.randint(0, 3),
                    "department": rng.choice(DEPARTMENTS),
                    "themes": rng.sample(THEMES, rng.randint(0, 2)),
                    "local_schemes": rng.choice((0, 0, 1, 2, 3)),
                    "local_counters": rng.choice((0, 1, 1, 2)),
                    "scheme_ids": [],
                    "counter_ids": [],
                }
                yield chat, "match_run", node, json.dumps(detail), at
            if node not in ASKING:
                continue
            if rng.random() < 0.08:
                typed = {"reason": "invalid_choice", "typed": rng.choice(TYPED)}
                yield chat, "invalid_input", node, json.dumps(typed), at
            if rng.random() < 0.04:
                yield chat, "abandoned", node, '{"idle_days": 2}', at + dt.timedelta(days=2)
                break
            yield chat, "answered", node, "{}", at


async def seed(url: str, conversations: int, leads: int) -> int:
    """The dashboard's leads and accounts, then the conversations' events; how many events."""
    await seed_leads(url, max(leads, 2), KEY)
    now = dt.datetime.now(dt.UTC)
    rows = events(conversations, now)
    written = 0
    if url.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(url.split(":///", 1)[1])
        try:
            while batch := [
                (c, k, n, d, a.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f"))
                for c, k, n, d, a in _take(rows, 50_000)
            ]:
                connection.executemany(
                    "INSERT INTO events (chat_hash, kind, node, detail, at) VALUES (?,?,?,?,?)",
                    batch,
                )
                written += len(batch)
            connection.commit()
        finally:
            connection.close()
        return written
    import asyncpg  # type: ignore[import-untyped]

    raw = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(raw)
    try:
        while batch := list(_take(rows, 50_000)):
            await connection.copy_records_to_table(
                "events", records=batch, columns=["chat_hash", "kind", "node", "detail", "at"]
            )
            written += len(batch)
        # dashboard.seed gave the leads their ids: the next filing's id comes after them.
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('pre_applications', 'id'), "
            "(SELECT max(id) FROM pre_applications))"
        )
        await connection.execute("ANALYZE events")
    finally:
        await connection.close()
    return written


async def roll_up(url: str) -> int:
    """Roll the closed days up, as a running server's periodic look has done; how many."""
    from bot.storage import open_storage

    storage = await open_storage(url, pseudonym_key=KEY)
    try:
        return await storage.observatory.roll_up(dt.datetime.now(dt.UTC))
    finally:
        await storage.close()


def _take(rows: Iterator[Any], count: int) -> Iterator[Any]:
    for _ in range(count):
        try:
            yield next(rows)
        except StopIteration:
            return


async def recount(staff: Advisor, stop: asyncio.Event, asked: int) -> int:
    """Ask for the observatory over and over, each time another period or territory than
    the `asked` before (none is in the cache); how many were asked in all."""
    start = dt.date.today() - dt.timedelta(days=365)
    while not stop.is_set():
        asked += 1
        place = TERRITORIES[asked % len(TERRITORIES)]
        since = start + dt.timedelta(days=asked // len(TERRITORIES) % 300)
        query = f"du={since.isoformat()}" + (f"&territoire={place}" if place else "")
        await staff.timed(f"{PAGE}?{query}")
    return asked


def _ms(values: list[float]) -> str:
    return "/".join(f"{v:.0f}" for v in values) + " ms"


async def _run(
    backend: str, url: str, folder: Path, rows: Callable[[Row], object], counts: tuple[int, int]
) -> None:
    import aiohttp

    from tests.telegram_stack import free_port

    conversations, leads = counts
    began = time.monotonic()
    written = await seed(url, conversations, leads)
    seeded = time.monotonic() - began
    began = time.monotonic()
    rolled = await roll_up(url)
    rolling = time.monotonic() - began
    _, seconds, think = _knobs()
    rate = float(os.environ.get("COMPTOIR_BENCH_DASHBOARD_RATE", "150"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    name = f"observatory {backend}"
    async with (
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar()
        ) as citizens,
        _session(aiohttp) as staff_session,
        child(
            "tests.benchmarks.webchat", [backend], folder, name, _environment(url, port), ready=None
        ) as server,
    ):
        await _wait_ready(citizens, server, base)
        staff = Advisor(staff_session, base)
        await staff.sign_in(STAFF)
        await staff.timed(PAGE)  # cold: every conversation, every figure
        cold = staff.timings[-1]
        rows(
            (
                f"{name}: the observatory over {conversations} conversations",
                f"{cold / 1000:.1f} s",
                "awaited, off the loop",
                "ok",
                f"{written} events and {leads} leads, seeded in {seeded:.0f} s, {rolled} closed "
                f"days rolled up in {rolling:.0f} s (once, as the server's periodic look does); "
                "the staff page with every figure, no filter, cold",
            )
        )
        ws = base + "/ws"
        plan = (await asyncio.gather(learn(citizens, ws), learn(citizens, ws)))[1]
        alone: list[float] = []
        loaded: list[float] = []
        asked = 0
        staff.timings.clear()
        for _ in range(PAIRS):  # alternated, so that the machine's own noise hits both
            quiet = await _levels(server, Crowd(citizens, ws, plan, think), [rate], seconds)
            alone.append(p99(quiet[0].latencies(time.monotonic())))
            stop = asyncio.Event()
            busy = asyncio.create_task(recount(staff, stop, asked))
            try:
                level = await _levels(server, Crowd(citizens, ws, plan, think), [rate], seconds)
            finally:
                stop.set()
                asked = await busy
            loaded.append(p99(level[0].latencies(time.monotonic())))
    base_p99, busy_p99 = statistics.median(alone), statistics.median(loaded)
    allowed = max(base_p99 * 1.25, base_p99 + 10)
    computed = statistics.median(staff.timings) / 1000 if staff.timings else 0.0
    rows(
        (
            f"{name}: citizens while staff compute the observatory",
            f"p99 {busy_p99:.0f} ms vs {base_p99:.0f} ms alone",
            "≤ max(1.25×, +10 ms)",
            "ok" if busy_p99 <= allowed else "MISSED",
            f"ratio {busy_p99 / base_p99:.2f}; medians of {PAIRS} alternated pairs "
            f"(alone {_ms(alone)}, while computing {_ms(loaded)}); {rate:.0f} frames/s offered; "
            f"{asked} observatories counted meanwhile, {computed:.1f} s each (median)",
        )
    )


async def bench_observatory(rows: Callable[[Row], object]) -> None:
    """The observatory's rows on SQLite (and PostgreSQL when configured)."""
    conversations = int(os.environ.get("COMPTOIR_BENCH_OBSERVATORY_CONVERSATIONS", "100000"))
    leads = int(os.environ.get("COMPTOIR_BENCH_OBSERVATORY_LEADS", "2000"))
    if conversations <= 0:
        rows(
            ("observatory", "not run", "—", "skipped", "COMPTOIR_BENCH_OBSERVATORY_CONVERSATIONS=0")
        )
        return
    postgres = os.environ.get("COMPTOIR_TEST_POSTGRES_URL", "")
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-observatory-") as name:
        folder = Path(name)
        try:
            url = f"sqlite+aiosqlite:///{folder / 'o.sqlite3'}"
            await _run("sqlite", url, folder, rows, (conversations, leads))
        except Exception as error:  # a broken run is a row, not a crash of the table
            rows(("observatory SQLite", "failed", "—", "MISSED", repr(error)[:300]))
        if not postgres:
            rows(
                (
                    "observatory PostgreSQL",
                    "not run",
                    "—",
                    "skipped",
                    "set COMPTOIR_TEST_POSTGRES_URL",
                )
            )
            return
        try:
            from tests.postgres import fresh_database

            async with fresh_database(postgres, "comptoir_bench_observatory") as url:
                await _run("postgresql", url, folder, rows, (conversations, leads))
        except Exception as error:
            rows(("observatory PostgreSQL", "failed", "—", "MISSED", repr(error)[:300]))


def main() -> int:
    """Run this benchmark alone and print its rows."""
    from tests.benchmarks.processes import print_rows

    found: list[Row] = []
    asyncio.run(bench_observatory(found.append))
    print_rows(found)
    return 0 if all(row[3] != "MISSED" for row in found) else 1


if __name__ == "__main__":
    import sys

    sys.exit(main())
