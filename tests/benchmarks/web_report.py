"""The web chat benchmark's results: its levels measured, and its rows (capacity, each level,
RSS, the Telegram ratio) and profile. Only the standard library (webchat.py's child imports it)."""

from __future__ import annotations

import os
import pstats
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tests.benchmarks.processes import ROOT, Row, p99
from tests.benchmarks.web_citizens import Crowd, Sent, Step, step_name

TARGET_RATE = 300.0  # messages a second on SQLite, with p99 under 100 ms (the issue)
TARGET_MS = 100.0  # p99 of the reply time, and how far behind a send may be
BEHIND_SHARE = 0.01  # sends behind by more than TARGET_MS a level tolerates
TAIL = 0.2  # seconds at a level's end left out (answers still on their way)
TELEGRAM_SECONDS = 20.0


@dataclass
class Level:
    """One step of the ramp, measured."""

    offered: float
    citizens: int
    start: float  # its measurement: once its newcomers are all in
    end: float
    cpu: float  # the server's CPU seconds during the measurement
    load_cpu: float  # this process's
    machine_cpu: float  # the whole machine's (others' work included)
    rss_mb: float
    peak_mb: float
    sent: list[Sent] = field(default_factory=list)  # counted frames sent in its window
    threads: dict[str, float] = field(default_factory=dict)  # the server's CPU s per thread

    @property
    def window(self) -> float:
        """The seconds its reply times come from."""
        return self.end - TAIL - self.start

    def latencies(self, now: float) -> list[float]:
        """Reply times (ms); a frame still unanswered counts for as long as it has waited."""
        return [((s.first if s.first is not None else now) - s.at) * 1000 for s in self.sent]

    @property
    def answered(self) -> int:
        """Frames of its window that were answered."""
        return sum(s.first is not None for s in self.sent)

    @property
    def rate(self) -> float:
        """Messages a second answered, measured."""
        return self.answered / self.window if self.window > 0 else 0.0

    @property
    def behind(self) -> float:
        """The share of its sends behind by more than the target."""
        late = sum(s.behind * 1000 > TARGET_MS for s in self.sent)
        return late / len(self.sent) if self.sent else 0.0

    @property
    def cpu_ms(self) -> float:
        """The server's CPU per message."""
        return self.cpu * 1000 / max(1, self.answered)

    def holds(self, now: float) -> bool:
        """The target met: p99 under it, keeping up, nothing unanswered."""
        return (
            bool(self.sent)
            and p99(self.latencies(now)) < TARGET_MS
            and self.behind <= BEHIND_SHARE
            and self.answered == len(self.sent)
        )


@dataclass
class Ramp:
    """A whole run on one backend."""

    backend: str  # sqlite, postgresql
    levels: list[Level]
    plan: tuple[Step, ...]
    crowd: Crowd
    idle_mb: float
    ended: float
    lag_ms: float  # p99 of the load generator's own lateness
    idle_cpu: float  # the server's CPU seconds a second before the load (timers)

    def holds(self, level: Level) -> bool:
        """The level met the target, all answers in."""
        return level.holds(self.ended)


def _slowest(ramp: Ramp, level: Level) -> str:
    by_step: dict[int, list[float]] = defaultdict(list)
    for sent in level.sent:
        by_step[sent.step].append(((sent.first or ramp.ended) - sent.at) * 1000)
    if not by_step:
        return "none"
    step = max(by_step, key=lambda index: p99(by_step[index]))
    return f"{step_name(ramp.plan[step])} p99 {p99(by_step[step]):.0f} ms"


def _bursts(ramp: Ramp, level: Level) -> str:
    """How the replies over the target were spread: a few stalls, or the whole level."""
    slow = sorted(s.at for s in level.sent if ((s.first or ramp.ended) - s.at) * 1000 >= 100)
    if not slow:
        return ""
    spans: list[list[float]] = []
    for at in slow:
        if spans and at - spans[-1][1] < 0.25:
            spans[-1][1] = at
        else:
            spans.append([at, at])
    longest = max(end - start for start, end in spans)
    return f"; {len(slow)} over 100 ms, sent in {len(spans)} burst(s), the longest {longest:.2f} s"


def _level_row(name: str, ramp: Ramp, level: Level) -> Row:
    times = level.latencies(ramp.ended)
    median = statistics.median(times) if times else float("nan")
    duration = level.end - level.start
    unanswered = len(level.sent) - level.answered
    busy = sorted(level.threads.items(), key=lambda item: -item[1])[:3]
    threads = ", ".join(f"{name} {cpu / duration:.0%}" for name, cpu in busy if cpu > 0)
    database = " (the database server's among them)" if ramp.backend != "sqlite" else ""
    return (
        f"{name}: {level.offered:.0f} frames/s offered, {level.citizens} citizens",
        f"{level.rate:.0f} msg/s, p99 {p99(times):.0f} ms",
        "p99 < 100 ms",
        "ok" if ramp.holds(level) else "broke",
        f"median {median:.1f} ms over {len(times)} frames; slowest step {_slowest(ramp, level)}; "
        f"{level.behind:.1%} sent behind (> 100 ms)"
        + (f", {unanswered} unanswered" if unanswered else "")
        + _bursts(ramp, level)
        + f"; server {level.cpu_ms:.2f} ms CPU/msg, {level.cpu / duration:.0%} of a core "
        f"({threads or 'no /proc'}); "
        f"load generator {level.load_cpu / duration:.0%}; other processes{database} "
        f"{max(0.0, level.machine_cpu - level.cpu - level.load_cpu) / duration:.0%}; "
        f"RSS {level.rss_mb:.0f} MB",
    )


def _busy_machine(ramp: Ramp) -> str:
    """A warning when other processes took a core's fifth or the load generator ran late."""
    others = max(
        max(0.0, level.machine_cpu - level.cpu - level.load_cpu) / (level.end - level.start)
        for level in ramp.levels
    )
    if ramp.backend != "sqlite":  # the database server is one of the other processes
        return ""
    if others < 0.2 and ramp.lag_ms < 20:
        return ""
    return (
        f"; the machine was busy with other work (up to {others:.0%} of a core): "
        "these figures are lower bounds"
    )


def rows(name: str, ramp: Ramp, targeted: bool) -> list[Row]:
    """The capacity first, its reply times and RSS, then every level."""
    held = [level for level in ramp.levels if ramp.holds(level)]
    broke = next((level for level in ramp.levels if not ramp.holds(level)), None)
    best = max(held, key=lambda level: level.rate, default=None)
    rate = best.rate if best is not None else 0.0
    ok = rate >= TARGET_RATE
    # The issue sets the target on SQLite; PostgreSQL (its server on the same two cores) is
    # measured and printed against it, for information.
    status = ("ok" if ok else "MISSED") if targeted else ("ok" if ok else "info")
    if broke is None:
        where = f"not broken up to {ramp.levels[-1].offered:.0f} frames/s offered: raise the rates"
    else:
        where = (
            f"broke at {broke.offered:.0f} frames/s offered ({broke.rate:.0f} msg/s measured, "
            f"p99 {p99(broke.latencies(ramp.ended)):.0f} ms, {broke.behind:.1%} behind)"
        )
    crowd = ramp.crowd
    problems = ", ".join(f"{n} × {what}" for what, n in crowd.errors.most_common(3))
    held_at = f"{best.offered:.0f} frames/s offered" if best is not None else "none"
    found: list[Row] = [
        (
            f"{name}: capacity (p99 < 100 ms, keeping up)",
            f"{rate:.0f} msg/s",
            "≥ 300/s (SQLite)",
            status,
            f"highest level held: {held_at}; {where}; {crowd.filed} of {crowd.conversations} "
            f"conversations filed, the others cut by the end ({len(ramp.plan)} frames each)"
            + (f"; problems: {problems}" if problems else "")
            + f"; load generator lag p99 {ramp.lag_ms:.1f} ms"
            + _busy_machine(ramp),
        )
    ]
    if best is not None:
        times = best.latencies(ramp.ended)
        found.append(
            (
                f"{name}: reply time at capacity",
                f"p99 {p99(times):.0f} ms",
                "< 100 ms",
                "ok",
                f"median {statistics.median(times):.1f} ms (frame sent → first message frame "
                f"of its answer); server {best.cpu_ms:.2f} ms CPU/msg",
            )
        )
        peak = max(level.peak_mb for level in ramp.levels)
        found.append(
            (
                f"{name}: RSS at capacity",
                f"{best.rss_mb:.0f} MB",
                "info",
                "ok",
                f"idle {ramp.idle_mb:.0f} MB → {best.rss_mb:.0f} MB with {best.citizens} "
                f"sockets open; peak {peak:.0f} MB (it grows with the conversations served, "
                "not only with the sockets: see the README)",
            )
        )
    return [*found, *(_level_row(name, ramp, level) for level in ramp.levels)]


def _capacity_level(ramp: Ramp) -> Level:
    """The highest level that held (the first one when none did)."""
    held = [level for level in ramp.levels if ramp.holds(level)]
    return held[-1] if held else ramp.levels[0]


async def telegram_row(ramp: Ramp, folder: Path) -> Row:
    """The Telegram path's CPU per update, measured now, against the web's per message at its
    capacity; each also without the server's idle CPU (timers, polling) spread over it."""
    citizens = int(os.environ.get("COMPTOIR_BENCH_WEB_TELEGRAM", "100"))
    if citizens <= 0:
        return ("web vs Telegram CPU", "not run", "—", "skipped", "COMPTOIR_BENCH_WEB_TELEGRAM=0")
    from tests.benchmarks.telegram_load import measure_comptoir

    database = f"sqlite+aiosqlite:///{folder / 'telegram.sqlite3'}"
    telegram = await measure_comptoir(citizens, database, TELEGRAM_SECONDS, folder)
    web = _capacity_level(ramp)
    web_busy = web.cpu_ms - ramp.idle_cpu * 1000 / max(web.rate, 1e-9)
    telegram_busy = telegram.cpu_ms - telegram.idle_cpu * 1000 / max(telegram.rate, 1e-9)
    ratio = web.cpu_ms / telegram.cpu_ms if telegram.cpu_ms > 0 else float("inf")
    busy_ratio = web_busy / telegram_busy if telegram_busy > 0 else float("inf")
    return (
        "web SQLite: CPU per message vs Telegram",
        f"{web.cpu_ms:.2f} ms ({ratio:.2f}× Telegram)",
        "baseline",
        "ok",
        f"Telegram path {telegram.cpu_ms:.2f} ms CPU/update ({citizens} citizens, "
        f"{telegram.updates} updates at {telegram.rate:.0f}/s; web at {web.rate:.0f} msg/s); "
        f"idle CPU taken out: web {web_busy:.2f} ms, Telegram {telegram_busy:.2f} ms "
        f"({busy_ratio:.2f}×; idle {ramp.idle_cpu:.1%} and {telegram.idle_cpu:.1%} of a core); "
        "the server process only, both on SQLite",
    )


def top_functions(path: Path, count: int = 10) -> list[str]:
    """The profile's functions with the most own time (waiting in epoll apart), then the
    project's own functions with the most cumulative time."""
    stats = pstats.Stats(str(path))
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in entries.values()) or 1.0
    waiting = sum(entry[2] for key, entry in entries.items() if "epoll" in key[2])
    busy = total - waiting or 1.0
    own = sorted(
        ((key, entry) for key, entry in entries.items() if "epoll" not in key[2]),
        key=lambda item: item[1][2],
        reverse=True,
    )
    ours = sorted(
        ((key, entry) for key, entry in entries.items() if key[0].startswith(f"{ROOT}/bot/")),
        key=lambda item: item[1][3],
        reverse=True,
    )
    lines = [f"  profiled {total:.1f} s, {waiting:.1f} s of it waiting in epoll; by own time:"]
    for title, chosen in ((None, own), ("  bot/ functions by cumulative time:", ours)):
        if title:
            lines.append(title)
        for (filename, line, function), (_, calls, mine, cumulative, _) in chosen[:count]:
            where = filename.replace(f"{ROOT}/", "")
            spent = f"{mine:6.2f} s own ({mine / busy:5.1%} of busy)"
            if title:  # a coroutine's cumulative time counts each of its resumptions
                spent = f"{cumulative:6.2f} s cumulative ({cumulative / busy:5.1%} of busy)"
            lines.append(f"  {spent}, {calls:>8} calls: {function} ({where}:{line})")
    return lines
