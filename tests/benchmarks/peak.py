"""A campaign peak: thousands of citizens open the bot from one deep link within a minute.

Telegram lets a bot send 30 messages a second: 5,000 welcomes take minutes whatever the bot
does. What must hold is that nothing is dropped, that the pace is kept (the sender queues), and
that the turns themselves keep up (the queue is of messages, not of updates). The citizens
arrive evenly over `SECONDS`, each sending `/start <campaign>` (what a deep link sends), and
wait for their welcome. Measured at the fake Bot API: the sends per second (the highest in any
second, and overall), the queue (citizens arrived and not yet welcomed) over time, the
latency to the welcome, and the citizens never welcomed. Against `comptoir serve` in webhook
mode with Telegram's real pace: 1 process on SQLite, or 2 replicas on PostgreSQL when
COMPTOIR_TEST_POSTGRES_URL is set.

    COMPTOIR_BENCH_PEAK   citizens (default 5000; 0 skips this benchmark)

Run alone with `python -m tests.benchmarks.peak`; `make bench` runs it too.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks.capacity import cluster
from tests.benchmarks.processes import Row, p99, print_rows
from tests.benchmarks.telegram_load import REPLY_METHODS, _load_fake

SECONDS = 60.0
OVERALL = 30.0  # Telegram's messages a second for one bot
CAMPAIGN = "/start appel-2027"
FIRST = 70_000_000  # the citizens' chat ids


async def _peak(citizens: int, database: str, replicas: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="comptoir-peak-") as folder:
        async with (
            _load_fake() as fake,
            cluster(fake, Path(folder), database, replicas, overall_per_second=OVERALL),
        ):
            arrived: dict[int, float] = {}
            start = time.monotonic()
            for number in range(citizens):
                due = start + number * SECONDS / citizens
                if due > time.monotonic():
                    await asyncio.sleep(due - time.monotonic())
                chat = FIRST + number
                arrived[chat] = time.monotonic()
                fake.user_message(chat, CAMPAIGN)
            deadline = time.monotonic() + citizens / OVERALL * 3 + 120
            while time.monotonic() < deadline:
                if len(_welcomed(fake)) >= citizens:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(3.0)  # the rest of each welcome (a second message) goes too
            welcomed = _welcomed(fake)
            sends = [c.at for c in fake.calls if c.method in REPLY_METHODS and c.at >= start]
    latencies = [(welcomed[c] - arrived[c]) * 1000 for c in arrived if c in welcomed]
    per_second = Counter(int(at - start) for at in sends)
    queue = queue_peak = 0
    timeline = sorted([(t, 1) for t in arrived.values()] + [(t, -1) for t in welcomed.values()])
    for _, change in timeline:
        queue += change
        queue_peak = max(queue_peak, queue)
    span = (max(sends) - min(sends)) if len(sends) > 1 else 1.0
    return {
        "citizens": citizens,
        "welcomed": len(welcomed),
        "p50": sorted(latencies)[len(latencies) // 2] if latencies else float("nan"),
        "p99": p99(latencies),
        "highest": max(per_second.values(), default=0),
        "overall": len(sends) / span,
        "queue": queue_peak,
        "sends": len(sends),
    }


def _welcomed(fake: Any) -> dict[int, float]:
    """Each citizen's first message from the bot, when the fake received it."""
    first: dict[int, float] = {}
    for call in fake.calls:
        chat = call.params.get("chat_id")
        ok = call.method == "sendMessage" and call.response_status == 200
        if ok and isinstance(chat, int) and chat >= FIRST and chat not in first:
            first[chat] = call.at
    return first


async def bench_peak(rows_append: Callable[[Row], object]) -> None:
    """The peak on the production-like deployment available."""
    citizens = int(os.environ.get("COMPTOIR_BENCH_PEAK", "5000"))
    if citizens <= 0:
        rows_append(("campaign peak", "not run", "—", "skipped", "COMPTOIR_BENCH_PEAK=0"))
        return
    postgres = os.environ.get("COMPTOIR_TEST_POSTGRES_URL", "")
    if postgres:
        from tests.postgres import fresh_database

        async with fresh_database(postgres, "comptoir_peak") as url:
            result = await _peak(citizens, url, 2)
        where = "2 × PostgreSQL"
    else:
        with tempfile.TemporaryDirectory(prefix="comptoir-peak-db-") as folder:
            result = await _peak(citizens, f"sqlite+aiosqlite:///{folder}/peak.sqlite3", 1)
        where = "1 × SQLite"
    lost = result["citizens"] - result["welcomed"]
    rows_append(
        (
            f"campaign peak, {where}",
            f"{lost} lost of {result['citizens']}",
            "none lost",
            "ok" if lost == 0 else "MISSED",
            f"{result['citizens']} × « {CAMPAIGN} » in {SECONDS:.0f} s; welcome p50 "
            f"{result['p50'] / 1000:.0f} s, p99 {result['p99'] / 1000:.0f} s (the queue at "
            f"Telegram's pace, peak {result['queue']} citizens waiting)",
        )
    )
    highest = result["highest"]
    rows_append(
        (
            "campaign peak, Telegram pace",
            f"{highest} sends in the busiest second",
            f"≤ {OVERALL:.0f}/s",
            "ok" if highest <= OVERALL else "MISSED",
            f"{result['sends']} sends, {result['overall']:.1f}/s on average",
        )
    )


def main() -> int:
    """Run this benchmark alone and print its rows."""
    rows: list[Row] = []
    asyncio.run(bench_peak(rows.append))
    print_rows(rows)
    return 0 if all(row[3] != "MISSED" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
