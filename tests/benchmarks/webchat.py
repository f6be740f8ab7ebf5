"""Web chat load benchmark: WebSocket citizens through whole conversations, up to capacity.

The server under test is `comptoir serve` itself (`bot.cli`; no Telegram token; its own SQLite
file, or a fresh PostgreSQL database dropped afterwards), alone in a child process started as
`python -m tests.benchmarks.webchat --serve BACKEND`: a thread of it answers `mark` on its
stdin with the process's `time.process_time()` (every thread) and RSS (processes.py), and the
end of its stdin stops it with SIGTERM, as an operator would. All citizens connect from
127.0.0.1, so the pace limits per address and per connection are raised in the child's
environment (`COMPTOIR_WEB_RATE_PER_ADDRESS`, `COMPTOIR_WEB_BURST_PER_ADDRESS`, and
`COMPTOIR_WEB_*_PER_CONNECTION`): the benchmark measures the chat, not its refusals.

The citizens (web_citizens.py) go from `hello` to a filed pre-application, a new person after
each filing. Two conversations at leisure first learn how many `message` frames answer each
step (a turn is over when they came); the first pays the first-use costs. Then the load rises
by levels of offered frames a second, citizens added and none removed. Open loop: each citizen
keeps to a seeded schedule (a think time after the previous send's due time, not after the
answer), so the offered rate does not back off when the server slows; a send due before the
answer to the previous one was complete is « behind ». A level's newcomers start spread over a
conversation's length, so that every step of the path (the matching's among them) is as busy
as the others, as with real visitors, not all in step; then the level is measured. It holds
when, over the frames sent then, the p99 of the reply time (frame sent → first `message` frame
of its answer) is under 100 ms, at most 1 % of the sends were behind by more than 100 ms, and
none went unanswered; the first that breaks ends the ramp. The table gives what each level
*measured* (answered frames a second, reply times, the server's CPU per message and share of a
core, RSS), the capacity (the highest rate measured at a level that held), the level that broke
it, and the Telegram path's CPU per update measured in the same run (telegram_load), a ratio.

The load generator shares the two cores: it is lean (web_citizens.py); its CPU share and
scheduling lag are printed (a lag near the target would make the latencies its own).

    COMPTOIR_BENCH_WEB_RATES    offered frames a second, a level each (default RATES below; 0 skips)
    COMPTOIR_BENCH_WEB_LEVEL_SECONDS  how long each level is measured, once its newcomers
                                are all in (default 8; they come in over 16 think times)
    COMPTOIR_BENCH_WEB_THINK    a citizen's think time, uniform between two bounds, in seconds
                                (default "0.3,0.9": N citizens offer N / 0.6 frames a second)
    COMPTOIR_BENCH_WEB_TELEGRAM citizens of the Telegram comparison (default 100; 0 skips it)
    COMPTOIR_BENCH_PROFILE      a folder: the servers run under cProfile and dump there (the
                                web one during the ramp only; its top functions printed)
    COMPTOIR_TEST_POSTGRES_URL  also run on PostgreSQL, in a fresh database dropped afterwards,
                                at COMPTOIR_BENCH_WEB_POSTGRES_RATES (POSTGRES_RATES below)

Run alone with `python -m tests.benchmarks.webchat`; `make bench` runs it too.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Only the standard library up here (these modules are): the child process imports this one.
from tests.benchmarks import web_report
from tests.benchmarks.processes import (
    Child,
    Row,
    child,
    machine_cpu,
    mark_line,
    p99,
    print_rows,
    thread_cpu,
)
from tests.benchmarks.web_citizens import (
    CONNECT_TIMEOUT,
    SEED,
    TURN_TIMEOUT,
    Crowd,
    Sent,
    learn,
)
from tests.benchmarks.web_report import TAIL, Level, Ramp

RATES = "200,300,400,500,550,600,700,800"
POSTGRES_RATES = "100,150,200,250,300,400,500"  # its server shares the two cores
PACE = {  # all citizens are 127.0.0.1: the pace limits raised (see the docstring)
    "COMPTOIR_WEB_RATE_PER_ADDRESS": "1000000",
    "COMPTOIR_WEB_BURST_PER_ADDRESS": "1000000",
    "COMPTOIR_WEB_RATE_PER_CONNECTION": "1000",
    "COMPTOIR_WEB_BURST_PER_CONNECTION": "1000",
}


# --------------------------------------------------------------------------- the server (child)


def _answer_marks() -> None:
    """Answer `mark` lines on stdin; at its end (the parent is done), stop the server."""
    for line in sys.stdin.buffer:
        if line.strip() == b"mark":
            os.write(1, (mark_line() + "\n").encode())
    os.kill(os.getpid(), signal.SIGTERM)


def _serve_main(backend: str) -> int:
    """`comptoir serve`, configured by the environment the parent set; with a profile folder,
    under cProfile from SIGUSR1 to SIGUSR2 (the ramp), dumped at exit."""
    threading.Thread(target=_answer_marks, name="bench marks", daemon=True).start()
    from bot.cli import main as comptoir

    folder = os.environ.get("COMPTOIR_BENCH_PROFILE")
    if not folder:
        return comptoir(["serve"])
    import cProfile

    profiler = cProfile.Profile()
    signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
    signal.signal(signal.SIGUSR2, lambda *_: profiler.disable())
    try:
        return comptoir(["serve"])
    finally:
        profiler.disable()
        profiler.dump_stats(Path(folder) / f"webchat-{backend}.prof")


# --------------------------------------------------------------------------- the ramp


def _environment(database_url: str, port: int) -> dict[str, str]:
    """The child's environment: ours without any COMPTOIR_* setting but the benchmark's."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COMPTOIR_") or k == "COMPTOIR_BENCH_PROFILE"
    }
    return {
        **kept,
        **PACE,
        "PYTHONUNBUFFERED": "1",
        "COMPTOIR_DATABASE_URL": database_url,
        "COMPTOIR_HOST": "127.0.0.1",
        "COMPTOIR_PORT": str(port),
        "COMPTOIR_PSEUDONYM_KEY": "5e" * 32,  # required on PostgreSQL; a fixed one for the bench
    }


async def _wait_ready(session: Any, server: Child, url: str, timeout: float = 90) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.returncode is not None:
            raise RuntimeError(f"serve exited {server.process.returncode}:\n{server.stderr_tail()}")
        try:
            async with session.get(url + "/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"serve not ready within {timeout:.0f} s:\n{server.stderr_tail()}")


def _window(sent: Sequence[Sent], level: Level) -> list[Sent]:
    return [s for s in sent if s.counted and level.start <= s.at < level.end - TAIL]


async def _levels(
    server: Child, crowd: Crowd, rates: Sequence[float], seconds: float
) -> list[Level]:
    """Raise the load level by level until one breaks (or the rates are done)."""
    mean = statistics.mean(crowd.think)
    spread = len(crowd.plan) * mean  # a conversation's length: newcomers start over it
    tasks: list[asyncio.Task[None]] = []
    levels: list[Level] = []
    stagger = random.Random(SEED)
    try:
        for offered in rates:
            began = time.monotonic()
            citizens = max(1, round(offered * mean))
            for number in range(len(tasks), citizens):
                due = began + stagger.uniform(0, spread)
                tasks.append(asyncio.create_task(crowd.citizen(number, due)))
            await asyncio.sleep(spread)  # all in, and at every step of the path
            start = time.monotonic()
            cpu_start, _, _ = await server.mark()
            threads = thread_cpu(server.process.pid)
            load_start, machine_start = time.process_time(), machine_cpu()
            await asyncio.sleep(seconds)
            cpu_end, rss_kb, peak_kb = await server.mark()
            level = Level(
                offered=offered,
                citizens=citizens,
                start=start,
                end=time.monotonic(),
                cpu=cpu_end - cpu_start,
                load_cpu=time.process_time() - load_start,
                machine_cpu=machine_cpu() - machine_start,
                rss_mb=rss_kb / 1024,
                peak_mb=peak_kb / 1024,
            )
            after = thread_cpu(server.process.pid)
            level.threads = {k: v - threads.get(k, 0.0) for k, v in after.items()}
            levels.append(level)
            level.sent = _window(crowd.sent, level)
            if not level.holds(time.monotonic()):
                break
    finally:
        crowd.stop_at = time.monotonic()  # each citizen ends its turn under way, then stops
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=TURN_TIMEOUT + CONNECT_TIMEOUT + 5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    for level in levels:
        level.sent = _window(crowd.sent, level)
    return levels


async def _ramp(
    backend: str,
    database_url: str,
    rates: Sequence[float],
    seconds: float,
    think: tuple[float, float],
    folder: Path,
) -> Ramp:
    import aiohttp

    from tests.telegram_stack import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    profiling = bool(os.environ.get("COMPTOIR_BENCH_PROFILE"))
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session,
        child(
            "tests.benchmarks.webchat",
            [backend],
            folder,
            f"webchat-{backend}",
            _environment(database_url, port),
            ready=None,
        ) as server,
    ):
        await _wait_ready(session, server, base)
        url = base + "/ws"
        async with asyncio.timeout(120):
            plans = await asyncio.gather(learn(session, url), learn(session, url))
        plan = plans[1]  # the second: the first paid the first-use costs
        if [n for *_, n in plans[0]] != [n for *_, n in plan]:
            raise RuntimeError(f"two identical conversations differ: {plans}")
        idle_from, _, _ = await server.mark()
        await asyncio.sleep(1.0)
        idle_to, idle_kb, _ = await server.mark()
        crowd = Crowd(session, url, plan, think)
        if profiling:
            server.process.send_signal(signal.SIGUSR1)
        levels = await _levels(server, crowd, rates, seconds)
        if profiling:
            server.process.send_signal(signal.SIGUSR2)
        ended = time.monotonic()
    lags = [s.lag * 1000 for s in crowd.sent]
    idle = idle_to - idle_from
    return Ramp(backend, levels, plan, crowd, idle_kb / 1024, ended, p99(lags), idle)


# --------------------------------------------------------------------------- the benchmark


def _knobs(
    variable: str = "COMPTOIR_BENCH_WEB_RATES", default: str = RATES
) -> tuple[list[float], float, tuple[float, float]]:
    rates = os.environ.get(variable, default)
    seconds = float(os.environ.get("COMPTOIR_BENCH_WEB_LEVEL_SECONDS", "8"))
    low, high = os.environ.get("COMPTOIR_BENCH_WEB_THINK", "0.3,0.9").split(",")
    offered = [float(rate) for rate in rates.split(",") if rate.strip()]
    return [rate for rate in offered if rate > 0], seconds, (float(low), float(high))


async def bench_webchat(rows_append: Callable[[Row], object]) -> None:
    """The ramp on SQLite (and PostgreSQL when configured), and the Telegram comparison."""
    rates, seconds, think = _knobs()
    if not rates:
        rows_append(("web chat load", "not run", "—", "skipped", "COMPTOIR_BENCH_WEB_RATES=0"))
        return
    profile = os.environ.get("COMPTOIR_BENCH_PROFILE")
    postgres = os.environ.get("COMPTOIR_TEST_POSTGRES_URL", "")
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-web-") as name:
        folder = Path(name)
        try:
            ramp = await _ramp(
                "sqlite",
                f"sqlite+aiosqlite:///{folder / 'web.sqlite3'}",
                rates,
                seconds,
                think,
                folder,
            )
        except Exception as error:  # a broken run is a row, not a crash of the table
            rows_append(("web SQLite", "failed", "—", "MISSED", repr(error)[:300]))
            return
        for row in web_report.rows("web SQLite", ramp, targeted=True):
            rows_append(row)
        if profile:
            print("web server (SQLite) under cProfile during the ramp, top 10 by own time:")
            print("\n".join(web_report.top_functions(Path(profile) / "webchat-sqlite.prof")))
        try:
            rows_append(await web_report.telegram_row(ramp, folder))
        except Exception as error:
            rows_append(("web vs Telegram CPU", "failed", "—", "MISSED", repr(error)[:200]))
        if not postgres:
            note = "set COMPTOIR_TEST_POSTGRES_URL to run it"
            rows_append(("web PostgreSQL", "not run", "—", "skipped", note))
            return
        try:
            from tests.postgres import fresh_database

            rates, _, _ = _knobs("COMPTOIR_BENCH_WEB_POSTGRES_RATES", POSTGRES_RATES)
            async with fresh_database(postgres, "comptoir_bench_web") as url:
                ramp = await _ramp("postgresql", url, rates, seconds, think, folder)
            for row in web_report.rows("web PostgreSQL", ramp, targeted=False):
                rows_append(row)
        except Exception as error:
            rows_append(("web PostgreSQL", "failed", "—", "MISSED", repr(error)[:300]))


def main() -> int:
    """Run this benchmark alone and print its rows."""
    rows: list[Row] = []
    asyncio.run(bench_webchat(rows.append))
    print_rows(rows)
    return 0 if all(row[3] != "MISSED" for row in rows) else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        sys.exit(_serve_main(sys.argv[2]))
    else:
        sys.exit(main())
