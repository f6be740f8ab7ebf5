"""Capacity: the highest offered load each deployment holds with update→first reply p99 ≤ 100 ms.

Open loop: citizens arrive at a constant rate, whatever the bot does, and each runs the whole
qualification (11 updates, answering each turn 0.5 to 1.5 s after the bot's last reply). The
offered load, in updates a second, is raised step by step; a step lasts `STEP` seconds and is
measured over its last `WINDOW` (the conversations of the step are all under way by then).
A step is held when the p99 of its window is at most 100 ms and every update of it was
answered. The search stops at the first step missed; the capacity is the last one held.

Deployments: `comptoir serve` in webhook mode behind the fake Bot API, which acts as the load
balancer (40 webhook calls at once, spread over the replicas): 1 process on SQLite, then with
COMPTOIR_TEST_POSTGRES_URL 1, 2 and 3 replicas on one PostgreSQL. On this 2-core machine the
replicas, PostgreSQL and the load generator share the cores: the rows give the CPU the
replicas spent per update, and the whole machine's (PostgreSQL and the load generator included),
so that the per-core figures can be compared.

    COMPTOIR_BENCH_CAPACITY   0 skips this benchmark
    COMPTOIR_BENCH_STEPS      offered loads to try, updates/s, comma-separated

Run alone with `python -m tests.benchmarks.capacity`; `make bench` runs it too.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import os
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.benchmarks.processes import Row, machine_cpu, p99, print_rows
from tests.benchmarks.telegram_load import (
    QUALIFICATION,
    REPLY_METHODS,
    THINK,
    TOKEN,
    _converse,
    _load_fake,
    _Tally,
)

STEP = 30.0  # seconds of arrivals at one offered load (a conversation lasts about 25 s)
WINDOW = 8.0  # seconds measured, at the end of the step
PAUSES = THINK  # 1 to 3 s after the bot's last reply (Telegram: a message a second per chat)
TARGET_MS = 100.0
STEPS = (20, 40, 80, 120, 160, 200, 250, 300, 400, 500, 650, 800)
SEED = 20261204


@dataclass
class Step:
    """One offered load, measured."""

    offered: float  # updates/s asked for
    sent: float  # updates/s sent in the window
    p99_ms: float
    median_ms: float
    unanswered: int
    cpu_ms: float  # replicas' CPU per update in the window
    machine_ms: float  # the whole machine's (replicas, PostgreSQL, load generator) per update

    @property
    def held(self) -> bool:
        return self.p99_ms <= TARGET_MS and self.unanswered == 0 and self.sent >= 0.8 * self.offered


def _cpu(pids: Sequence[int]) -> float:
    """CPU seconds (user + system) of these processes, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


@contextlib.asynccontextmanager
async def cluster(
    fake: Any,
    folder: Path,
    database: str,
    replicas: int,
    overall_per_second: float = 100_000.0,
) -> AsyncIterator[list[int]]:
    """`replicas` × `comptoir serve` in webhook mode, spread over by the fake; their pids.
    Telegram's per-chat pace; the overall cap raised unless given (Telegram's is 30/s)."""
    from bot.web.app import WEBHOOK_PATH
    from tests.serve import WEBHOOK_SECRET, Server

    extra = {
        "COMPTOIR_WEBHOOK_URL": "http://balancer.invalid" + WEBHOOK_PATH,
        "COMPTOIR_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    servers: list[Any] = []

    async def start() -> Any:
        return await Server.start(
            fake, folder, database=database, per_chat_interval=1.0,
            overall_per_second=overall_per_second, extra=extra, token=TOKEN,
        )  # fmt: skip

    try:
        for _ in range(replicas):  # one after the other: the first migrates the database
            servers.append(await start())
        fake.spread([s.url + WEBHOOK_PATH for s in servers], at_once=40)
        yield [s.process.pid for s in servers]
    finally:
        for server in servers:
            with contextlib.suppress(Exception):
                await server.stop()


async def _step(fake: Any, offered: float, pids: Sequence[int], chats: Callable[[], int]) -> Step:
    """Citizens arriving for `STEP` seconds at `offered` / 11 a second; the window measured."""
    tally = _Tally()
    rng = random.Random(SEED + int(offered))
    arrivals = offered / len(QUALIFICATION)
    start = time.monotonic()
    hard = start + STEP + 120
    window = (start + STEP - WINDOW, start + STEP)
    conversations: list[asyncio.Task[None]] = []
    marks: dict[str, float] = {}

    async def measure_window() -> None:
        await asyncio.sleep(window[0] - time.monotonic())
        marks["cpu0"], marks["all0"] = _cpu(pids), machine_cpu()
        await asyncio.sleep(window[1] - time.monotonic())
        marks["cpu1"], marks["all1"] = _cpu(pids), machine_cpu()

    async def converse(chat_id: int) -> None:
        with contextlib.suppress(TimeoutError, AssertionError, ValueError, KeyError):
            await _converse(fake, QUALIFICATION, chat_id, rng, tally, hard, True, PAUSES)

    marker = asyncio.create_task(measure_window())
    number = 0
    while (now := time.monotonic()) < start + STEP:
        due = start + number / arrivals
        if due > now:
            await asyncio.sleep(due - now)
        conversations.append(asyncio.create_task(converse(chats())))
        number += 1
    await marker
    await asyncio.gather(*conversations)
    latencies, unanswered = _window(fake, tally, window)
    inside = sum(window[0] <= t < window[1] for times in tally.updates.values() for t in times)
    return Step(
        offered=offered,
        sent=inside / WINDOW,
        p99_ms=p99(latencies),
        median_ms=sorted(latencies)[len(latencies) // 2] if latencies else float("nan"),
        unanswered=unanswered,
        cpu_ms=(marks["cpu1"] - marks["cpu0"]) * 1000 / max(1, inside),
        machine_ms=(marks["all1"] - marks["all0"]) * 1000 / max(1, inside),
    )


def _window(fake: Any, tally: _Tally, window: tuple[float, float]) -> tuple[list[float], int]:
    """Latencies (ms: update → the first call changing the chat) of the updates sent inside the
    window, and how many of them got no answer before the citizen's next update."""
    replies: dict[int, list[float]] = {}
    for call in fake.calls:
        chat = call.params.get("chat_id")
        if call.method in REPLY_METHODS and call.response_status == 200 and chat in tally.updates:
            replies.setdefault(chat, []).append(call.at)
    kept: list[float] = []
    missing = 0
    for chat, times in tally.updates.items():
        answers = sorted(replies.get(chat, []))
        for index, sent in enumerate(times):
            if not window[0] <= sent < window[1]:
                continue
            following = times[index + 1] if index + 1 < len(times) else float("inf")
            position = bisect.bisect_left(answers, sent)
            if position < len(answers) and answers[position] < following:
                kept.append((answers[position] - sent) * 1000)
            else:
                missing += 1
    return kept, missing


async def measure(name: str, database: str, replicas: int, steps: Sequence[float]) -> list[Step]:
    """The steps of one deployment, up to the first one missed."""
    measured: list[Step] = []
    counter = iter(range(50_000_000, 60_000_000))
    with tempfile.TemporaryDirectory(prefix="comptoir-capacity-") as folder:
        async with _load_fake() as fake, cluster(fake, Path(folder), database, replicas) as pids:
            warm = _Tally()
            await asyncio.gather(
                *(
                    _converse(
                        fake, QUALIFICATION, c, random.Random(c), warm, time.monotonic() + 60, False
                    )
                    for c in (1, 2, 3)
                )
            )
            for offered in steps:
                step = await _step(fake, offered, pids, lambda: next(counter))
                measured.append(step)
                print(f"  {name}: {_describe(step)}", file=sys.stderr, flush=True)
                if not step.held:
                    break
    return measured


def _describe(step: Step) -> str:
    verdict = "held" if step.held else "missed"
    return (
        f"{step.offered:.0f}/s offered, {step.sent:.0f}/s sent: p99 {step.p99_ms:.0f} ms, "
        f"median {step.median_ms:.0f} ms, {step.unanswered} unanswered; CPU per update "
        f"{step.cpu_ms:.1f} ms in the replicas, {step.machine_ms:.1f} ms in all ({verdict})"
    )


def _rows(name: str, replicas: int, measured: list[Step], single: float | None) -> list[Row]:
    held = [s for s in measured if s.held]
    best = held[-1] if held else None
    capacity = best.sent if best else 0.0
    missed = next((s for s in measured if not s.held), None)
    note = f"next step: {_describe(missed)}" if missed else "never missed: raise the steps"
    if best is not None:
        note = f"held: {_describe(best)}; {note}"
    per_core = ""
    if best is not None:
        cpu = best.machine_ms
        per_core = f"; {1000 / cpu:.0f} updates/s per busy core, all included" if cpu > 0 else ""
    scaling = ""
    if single and replicas > 1:
        scaling = f"; ×{capacity / single:.2f} the 1-replica capacity"
    return [
        (
            f"capacity {name}",
            f"{capacity:.0f} updates/s",
            f"p99 ≤ {TARGET_MS:.0f} ms",
            "ok" if best is not None else "MISSED",
            note + per_core + scaling,
        )
    ]


async def bench_capacity(rows_append: Callable[[Row], object]) -> None:
    """The capacity of each deployment, one after the other."""
    if os.environ.get("COMPTOIR_BENCH_CAPACITY", "1") == "0":
        rows_append(("capacity", "not run", "—", "skipped", "COMPTOIR_BENCH_CAPACITY=0"))
        return
    listed = os.environ.get("COMPTOIR_BENCH_STEPS")
    steps = [float(v) for v in listed.split(",")] if listed else list(STEPS)
    with tempfile.TemporaryDirectory(prefix="comptoir-capacity-db-") as folder:
        sqlite = f"sqlite+aiosqlite:///{folder}/capacity.sqlite3"
        measured = await measure("1 × SQLite", sqlite, 1, steps)
        for row in _rows("1 × SQLite", 1, measured, None):
            rows_append(row)
    postgres = os.environ.get("COMPTOIR_TEST_POSTGRES_URL", "")
    if not postgres:
        rows_append(
            ("capacity PostgreSQL", "not run", "—", "skipped", "set COMPTOIR_TEST_POSTGRES_URL")
        )
        return
    from tests.postgres import fresh_database

    single: float | None = None
    for replicas in (1, 2, 3):
        name = f"{replicas} × PostgreSQL"
        async with fresh_database(postgres, "comptoir_capacity") as url:
            measured = await measure(name, url, replicas, steps)
        held = [s for s in measured if s.held]
        if replicas == 1:
            single = held[-1].sent if held else None
        for row in _rows(name, replicas, measured, single):
            rows_append(row)


def main() -> int:
    """Run this benchmark alone and print its rows."""
    rows: list[Row] = []
    asyncio.run(bench_capacity(rows.append))
    print_rows(rows)
    return 0 if all(row[3] != "MISSED" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
