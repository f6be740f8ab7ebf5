"""Telegram load benchmark: Comptoir's real stack under N citizens, against a bare PTB echo bot.

Two processes, on purpose. The fake Bot API (`tests/fakes/telegram/`) and the simulated
citizens run in this process; the bot under test runs alone in a child process started as
`python -m tests.benchmarks.telegram_load --serve KIND BASE_URL DATABASE_URL`. The fake parses,
checks and records every Bot API call and plays hundreds of citizens: in one process its work
and memory would be billed to the bot. In a process of its own, the bot's
`time.process_time()` (every thread, aiosqlite's included) and its RSS are the bot's alone; the
child reports them when asked over its stdin (`mark`) and stops when its stdin closes. The bot
reaches the fake over loopback only. Latencies are taken in this process on one clock: the
moment an update was queued at the fake, and the arrival time the fake stamped on the bot's
first call that changed what the citizen sees in that chat (a message sent or a keyboard
edited; not the « typing » hint, not answerCallbackQuery).

Each citizen answers 1 to 3 s (seeded) after the bot's last reply of a turn, as a person
would, so that Telegram's one message a second per chat is respected as in reality. Comptoir
runs with Telegram's per-chat pace (bursts of 3, then 1 s apart) but with the overall cap
raised to 100,000/s: Telegram's real 30 messages/s would otherwise bound the throughput of any
bot on one token (the bare echo bot paces nothing). N citizens thinking 2 s on average offer at
most N / 2 updates a second, less the time the bot's turns take: the updates/s row gives the
rate while all N conversations are open (the target's condition), the rate over the whole run
(ramp-up and ramp-down included), that ceiling and the median length of a turn.
Every wait is bounded (per turn, and by a cap on the whole load phase), so a run always ends.

    COMPTOIR_BENCH_CITIZENS   concurrent citizens (default 500; 0 skips this benchmark)
    COMPTOIR_BENCH_ROUNDS     conversations each citizen runs, one after the other (default 1)
    COMPTOIR_BENCH_SECONDS    cap on each load phase, in seconds (default 60: a bot that keeps
                              up finishes 500 citizens' round in about 40 s)
    COMPTOIR_BENCH_PROFILE    a folder: the bot processes run under cProfile and dump there
    COMPTOIR_TEST_POSTGRES_URL  also run on PostgreSQL, in a fresh database dropped afterwards

Run alone with `python -m tests.benchmarks.telegram_load`; `make bench` runs it too.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Only the standard library up here (processes.py is): the child process imports this module
# too, and the memory of the bot under test must not include the fake's imports.
from tests.benchmarks.processes import Child, Row, child, mark_line, p99, print_rows, report

TOKEN = "123456:TEST-token"
SEED = 20261128
THINK = (1.0, 3.0)  # seconds a citizen takes to answer, after the bot's last reply
PER_CHAT_INTERVAL = 1.0  # Telegram: about one message a second in a chat
OVERALL_PER_SECOND = 100_000.0  # Telegram's real cap is 30/s: raised to measure the bot
TURN_TIMEOUT = 60.0
DRAIN_TIMEOUT = 30.0  # after the load, time left to the bot to answer what it still owes
# Bot API calls that change what the citizen sees in the chat (the paced ones).
REPLY_METHODS = frozenset(
    {
        "sendMessage",
        "sendVenue",
        "sendLocation",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
    }
)

Step = tuple[str, str, str | None]

IDEA = "On veut ouvrir une recyclerie pour réparer et revendre des objets"
EDITED = "\0edited"
# TelegramCitizen.qualify_arras, step by step: (say or press, text or button, end of the
# bot's turn). The end of a turn: a button starting with that label on a message sent for the
# update, None for any new message, EDITED for the pressed message's keyboard redrawn.
QUALIFICATION: tuple[Step, ...] = (
    ("say", "/start", "Oui"),
    ("press", "Oui", None),
    ("say", IDEA, "Valider"),
    ("press", "Valider", None),
    ("say", "Arras", "Une association"),
    ("press", "Une association", "Ça prend forme"),
    ("press", "Ça prend forme", "Un financement"),
    ("press", "Un financement", EDITED),
    ("press", "Valider", None),
    ("say", "15 000 €", "Non"),
    ("press", "Non", "Oui"),  # the results, then the offer to be called back
)
# The echo bot has no buttons: the same number of turns, every one a text message.
ECHO: tuple[Step, ...] = tuple(("say", what, None) for _, what, _ in QUALIFICATION)


# --------------------------------------------------------------------------- the bot (child)


@asynccontextmanager
async def _echo_bot(base_url: str) -> AsyncIterator[None]:
    """The baseline: a bare python-telegram-bot echo bot, polling, same concurrency as ours."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(base_url)
        .base_file_url(base_url.replace("/bot", "/file/bot"))
        .concurrent_updates(256)
        .build()
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text:
            await message.reply_text(message.text)

    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        await application.bot.delete_webhook()
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await application.start()
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()


@asynccontextmanager
async def _comptoir(base_url: str, database_url: str) -> AsyncIterator[None]:
    """`comptoir serve` in polling mode, wired as tests/telegram_stack.py does."""
    from aiohttp import web
    from pydantic import SecretStr

    from bot.config import Settings
    from bot.web.app import create_app

    settings = Settings(
        telegram_token=SecretStr(TOKEN),
        telegram_base_url=base_url,
        database_url=database_url,
        webhook_url=None,
        webhook_secret=None,
        telegram_per_chat_interval=PER_CHAT_INTERVAL,
        telegram_overall_per_second=OVERALL_PER_SECOND,
        pseudonym_key=SecretStr("5e" * 32),  # required on PostgreSQL; a fixed one for the bench
    )
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield
    finally:
        await runner.cleanup()


async def _serve(kind: str, base_url: str, database_url: str) -> None:
    """Run one bot until stdin closes; answer `mark` with CPU seconds, RSS and peak RSS."""
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    bot = _echo_bot(base_url) if kind == "echo" else _comptoir(base_url, database_url)
    async with bot:
        report("ready")
        while line := (await commands.readline()).strip():  # EOF: the parent is done
            if line == b"mark":
                report(mark_line())
            elif line == b"stop":
                break


def _serve_main(kind: str, base_url: str, database_url: str) -> None:
    folder = os.environ.get("COMPTOIR_BENCH_PROFILE")
    if not folder:
        asyncio.run(_serve(kind, base_url, database_url))
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        asyncio.run(_serve(kind, base_url, database_url))
    finally:
        profiler.disable()
        backend = database_url.split(":", 1)[0].split("+", 1)[0] if kind != "echo" else "bare"
        profiler.dump_stats(Path(folder) / f"{kind}-{backend}.prof")


# --------------------------------------------------------------------------- the load (parent)


def _child(
    kind: str, base_url: str, database_url: str, folder: Path
) -> AbstractAsyncContextManager[Child]:
    return child(
        "tests.benchmarks.telegram_load",
        [kind, base_url, database_url],
        folder,
        kind,
        env={**os.environ, "PTB_TIMEDELTA": "1"},
    )


def _load_fake(**kwargs: Any) -> Any:
    """The fake Bot API, waking a citizen whenever the bot shows something in their chat."""
    from tests.fakes.telegram import FakeTelegram

    class LoadFake(FakeTelegram):
        def __init__(self) -> None:
            super().__init__(token=TOKEN, **kwargs)
            self.shown: dict[int, float] = {}  # chat → when the bot last showed something
            self.changed: dict[int, asyncio.Event] = {}

        def _touch(self, chat_id: int) -> None:
            self.shown[chat_id] = time.monotonic()
            event = self.changed.get(chat_id)
            if event is not None:
                event.set()

        def _record_sent(self, chat_id: int, kind: str, params: dict[str, Any], **fields: Any):  # type: ignore[no-untyped-def]
            result = super()._record_sent(chat_id, kind, params, **fields)
            self._touch(chat_id)
            return result

        def _replace(self, message, **changes: Any):  # type: ignore[no-untyped-def]
            result = super()._replace(message, **changes)
            self._touch(message.chat_id)
            return result

    return LoadFake()


@dataclass
class _Tally:
    """What the citizens did, in monotonic seconds."""

    updates: dict[int, list[float]] = field(default_factory=dict)  # chat → update times
    complete: int = 0
    failed: int = 0
    active: int = 0
    peak_active: int = 0
    first_update: dict[int, float] = field(default_factory=dict)  # citizen → first update
    done: dict[int, float] = field(default_factory=dict)  # citizen → end of its last turn


def _button(fake: Any, chat_id: int, label: str, after: int = 0) -> tuple[Any, str] | None:
    """The newest bot message (id > after) with a button whose label starts with `label`."""
    for sent in reversed(fake.sent(chat_id)):
        if sent.message_id <= after:
            break
        current = fake.messages.get(chat_id, {}).get(sent.message_id)
        for row in current.buttons if current is not None else []:
            for button in row:
                if str(button.get("text", "")).lstrip("✅ ").startswith(label):
                    return current, str(button["callback_data"])
    return None


async def _until(fake: Any, chat_id: int, done: Callable[[], object], deadline: float) -> None:
    changed = fake.changed.setdefault(chat_id, asyncio.Event())
    while not done():
        changed.clear()
        timeout = min(deadline, time.monotonic() + TURN_TIMEOUT) - time.monotonic()
        if timeout <= 0:
            raise TimeoutError
        await asyncio.wait_for(changed.wait(), timeout)


async def _converse(
    fake: Any,
    script: Sequence[Step],
    chat_id: int,
    rng: random.Random,
    tally: _Tally,
    deadline: float,
    think: bool = True,
    pauses: tuple[float, float] = THINK,
) -> None:
    """One whole conversation in one chat, answering each turn once the bot has finished it."""
    times = tally.updates.setdefault(chat_id, [])
    fake.changed.setdefault(chat_id, asyncio.Event())
    for index, (kind, what, end) in enumerate(script):
        if index:
            pause = rng.uniform(*pauses) if think else 0.0
            # From the bot's last reply: a straggler of the turn pushes the answer back.
            while (due := fake.shown.get(chat_id, 0.0) + pause) > (now := time.monotonic()):
                if now > deadline:
                    raise TimeoutError
                await asyncio.sleep(due - now)
        if time.monotonic() > deadline:
            raise TimeoutError
        pressed, edits = 0, 0
        if kind == "say":
            times.append(time.monotonic())
            fake.user_message(chat_id, what)
        else:
            found = _button(fake, chat_id, what)
            if found is None:
                raise AssertionError(f"chat {chat_id}: no button « {what} »")
            message, data = found
            pressed, edits = message.message_id, message.edits
            times.append(time.monotonic())
            fake.user_press(chat_id, message.message_id, data)
        after = max(fake.messages[chat_id])  # the citizen's own message or the pressed one

        def turn_over(
            end: str | None = end, after: int = after, pressed: int = pressed, edits: int = edits
        ) -> bool:
            if end is None:
                sent = fake.sent(chat_id)
                return bool(sent) and sent[-1].message_id > after
            if end == EDITED:
                return bool(fake.messages[chat_id][pressed].edits > edits)
            return _button(fake, chat_id, end, after) is not None

        await _until(fake, chat_id, turn_over, deadline)


async def _citizen(
    fake: Any,
    script: Sequence[Step],
    number: int,
    chats: Sequence[int],
    tally: _Tally,
    deadline: float,
) -> None:
    rng = random.Random(SEED * 1_000_003 + number)
    for chat_id in chats:
        await asyncio.sleep(rng.uniform(*THINK))  # arrivals spread like the answers
        if time.monotonic() > deadline:
            break
        tally.active += 1
        tally.peak_active = max(tally.peak_active, tally.active)
        try:
            await _converse(fake, script, chat_id, rng, tally, deadline)
            tally.complete += 1
        except (TimeoutError, AssertionError, ValueError, KeyError):  # cut by the cap, or lost
            tally.failed += 1
        finally:
            tally.active -= 1
            if tally.updates.get(chat_id):
                tally.first_update.setdefault(number, tally.updates[chat_id][0])
            tally.done[number] = time.monotonic()


async def _drained(fake: Any) -> None:
    """Wait until the bot has fetched every update and stayed quiet a moment (bounded)."""
    quiet = PER_CHAT_INTERVAL + 0.5
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        last = max(fake.shown.values(), default=0.0)
        if not fake.pending_updates and time.monotonic() - last > quiet:
            return
        await asyncio.sleep(0.1)


@dataclass
class Outcome:
    """One measured run."""

    citizens: int
    conversations: int  # started
    updates: int
    complete: int
    failed: int
    busy: float  # seconds from the first update to the last reply
    steady: float | None  # updates/s while every citizen was in a conversation
    ceiling: float  # updates/s an instant, unpaced bot would see, given think times
    turn_ms: float  # median time from an update to the last reply of its turn
    latencies: list[float]  # ms, update → first visible reply
    by_step: dict[int, list[float]]  # the same, per step of the script
    unanswered: int
    cpu_ms: float  # bot process CPU per update
    load_share: float  # this process's CPU / busy time (fake + citizens)
    idle_mb: float
    loaded_mb: float
    peak_mb: float
    peak_active: int
    idle_cpu: float = 0.0  # the bot's CPU seconds a second before the load (polling, timers)

    @property
    def rate(self) -> float:
        return self.updates / self.busy if self.busy > 0 else 0.0

    @property
    def rss_per_thousand(self) -> float:
        return (self.loaded_mb - self.idle_mb) / max(1, self.peak_active) * 1000


def _analyse(
    fake: Any, tally: _Tally
) -> tuple[list[float], int, float, list[float], dict[int, list[float]]]:
    """Latencies (ms), updates without a reply, last reply time, turn lengths (ms: update to
    the turn's last reply, pacing included), and the latencies of each step of the script."""
    replies: dict[int, list[float]] = {}
    for call in fake.calls:
        chat = call.params.get("chat_id")
        if call.method in REPLY_METHODS and call.response_status == 200 and chat in tally.updates:
            replies.setdefault(chat, []).append(call.at)
    latencies: list[float] = []
    by_step: dict[int, list[float]] = {}
    unanswered, last, spans = 0, 0.0, []
    for chat, times in tally.updates.items():
        answers = sorted(replies.get(chat, []))
        if answers:
            last = max(last, answers[-1])
        for index, sent in enumerate(times):
            following = times[index + 1] if index + 1 < len(times) else float("inf")
            first = bisect.bisect_left(answers, sent)
            end = bisect.bisect_left(answers, following)
            if first < end:
                latencies.append((answers[first] - sent) * 1000)
                by_step.setdefault(index, []).append(latencies[-1])
                spans.append((answers[end - 1] - sent) * 1000)
            else:
                unanswered += 1
    return latencies, unanswered, last, spans, by_step


async def _measure(
    kind: str,
    script: Sequence[Step],
    citizens: int,
    rounds: int,
    database_url: str,
    limit: float,
    folder: Path,
) -> Outcome:
    async with _load_fake() as fake, _child(kind, fake.base_url, database_url, folder) as bot:
        # Warm-up, outside the window: first-use costs (lazy imports, caches, statements).
        warm = _Tally()
        warm_deadline = time.monotonic() + 120
        await asyncio.gather(
            *(
                _converse(fake, script, chat, random.Random(chat), warm, warm_deadline, False)
                for chat in (1, 2, 3)
            )
        )
        await asyncio.sleep(0.5)
        idle_from, _, _ = await bot.mark()
        await asyncio.sleep(1.0)
        cpu_start, idle_kb, _ = await bot.mark()

        tally = _Tally()
        samples: list[int] = []
        stop = asyncio.Event()

        async def sample() -> None:
            while not stop.is_set():
                samples.append(bot.rss_kb)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.25)

        sampler = asyncio.create_task(sample())
        load_cpu = time.process_time()
        deadline = time.monotonic() + limit
        await asyncio.gather(
            *(
                _citizen(
                    fake,
                    script,
                    number,
                    [10_000_000 + number * rounds + r for r in range(rounds)],
                    tally,
                    deadline,
                )
                for number in range(citizens)
            )
        )
        load_cpu = time.process_time() - load_cpu
        await _drained(fake)  # an overloaded bot is still working: bill that work too
        cpu_end, _, peak_kb = await bot.mark()
        stop.set()
        await sampler

    latencies, unanswered, last, spans, by_step = _analyse(fake, tally)
    updates = sum(len(times) for times in tally.updates.values())
    first = min((times[0] for times in tally.updates.values() if times), default=last)
    busy = max(last - first, 1e-9)
    all_in = max(tally.first_update.values(), default=0.0)
    first_out = min(tally.done.values(), default=0.0)
    steady = None
    if first_out - all_in > 5:
        inside = sum(all_in <= t <= first_out for times in tally.updates.values() for t in times)
        steady = inside / (first_out - all_in)
    ceiling = citizens / statistics.mean(THINK)  # an instant bot, with nothing paced
    return Outcome(
        citizens=citizens,
        conversations=tally.complete + tally.failed,
        updates=updates,
        complete=tally.complete,
        failed=tally.failed,
        busy=busy,
        steady=steady,
        ceiling=ceiling,
        latencies=latencies,
        turn_ms=statistics.median(spans) if spans else float("nan"),
        by_step=by_step,
        unanswered=unanswered,
        cpu_ms=(cpu_end - cpu_start) * 1000 / max(1, updates),
        load_share=load_cpu / busy,
        idle_mb=idle_kb / 1024,
        loaded_mb=max([idle_kb, *samples]) / 1024,
        peak_mb=peak_kb / 1024,
        peak_active=tally.peak_active,
        idle_cpu=cpu_start - idle_from,
    )


async def measure_comptoir(citizens: int, database_url: str, limit: float, folder: Path) -> Outcome:
    """Comptoir's Telegram path alone, one round (no echo baseline): for other benchmarks."""
    return await _measure("comptoir", QUALIFICATION, citizens, 1, database_url, limit, folder)


def _status(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _echo_rows(echo: Outcome) -> list[Row]:
    median = statistics.median(echo.latencies) if echo.latencies else float("nan")
    return [
        (
            f"telegram echo bot (bare PTB), {echo.citizens} citizens",
            f"{echo.cpu_ms:.2f} ms CPU/update",
            "baseline",
            "ok",
            f"update→reply median {median:.1f} ms, p99 {p99(echo.latencies):.1f} ms; "
            f"{echo.rate:.0f} updates/s; peak RSS {echo.peak_mb:.0f} MB",
        )
    ]


def _comptoir_rows(backend: str, run: Outcome, echo: Outcome | None) -> list[Row]:
    name = f"telegram {backend}"
    # The issue sets the targets on SQLite; PostgreSQL (its server on the same two cores as
    # the bot and the load) is measured and printed against them, for information.
    targeted = backend == "SQLite"

    def status(ok: bool) -> str:
        return _status(ok) if targeted else ("ok" if ok else "info")

    median = statistics.median(run.latencies) if run.latencies else float("nan")
    tail = p99(run.latencies)
    # The target's condition is 500 open conversations: the rate while all were in.
    rate = run.steady if run.steady is not None else run.rate
    where = "while all were in" if run.steady is not None else "no steady part: whole run"
    incomplete = f", {run.unanswered} updates unanswered" if run.unanswered else ""
    small = "; scaled from few conversations: noisy" if run.peak_active < 200 else ""
    slowest = "none"
    if run.by_step:
        step = max(run.by_step, key=lambda index: p99(run.by_step[index]))
        slowest = f"« {QUALIFICATION[step][1][:20]} » p99 {p99(run.by_step[step]):.0f} ms"
    rows: list[Row] = [
        (
            f"{name}: updates/s, {run.citizens} conversations",
            f"{rate:.0f}/s",
            "≥ 200/s (500 conv.)",
            status(rate >= 200 and run.citizens >= 500),
            f"{where}; {run.updates} updates in {run.busy:.0f} s ({run.rate:.0f}/s with ramp-up "
            f"and ramp-down); {run.complete} of {run.conversations} conversations "
            f"complete{incomplete}; {run.citizens} citizens thinking 1–3 s offer ≤ "
            f"{run.ceiling:.0f}/s; median turn {run.turn_ms:.0f} ms (update → last reply, "
            "per-chat pace included); overall cap raised to 100,000/s (Telegram's real 30/s "
            "would bound any bot)",
        ),
        (
            f"{name}: update→first reply p99",
            f"{tail:.0f} ms",
            "< 100 ms",
            status(tail < 100),
            f"median {median:.1f} ms over {len(run.latencies)} updates; "
            f"slowest step: {slowest}; load generator at {run.load_share:.0%} of a core",
        ),
    ]
    if echo is not None:
        ratio = run.cpu_ms / echo.cpu_ms if echo.cpu_ms > 0 else float("inf")
        rows.append(
            (
                f"{name}: CPU per update",
                f"{run.cpu_ms:.2f} ms ({ratio:.1f}× echo)",
                "≤ 2× echo",
                status(ratio <= 2),
                f"echo bot {echo.cpu_ms:.2f} ms; bot process only"
                + ("; the database server's CPU not counted" if backend != "SQLite" else ""),
            )
        )
    rows.append(
        (
            f"{name}: RSS per 1,000 active conversations",
            f"{run.rss_per_thousand:.1f} MB",
            "< 20 MB",
            status(run.rss_per_thousand < 20),
            f"idle-loaded {run.idle_mb:.0f} MB → {run.loaded_mb:.0f} MB with "
            f"{run.peak_active} active, scaled; peak RSS {run.peak_mb:.0f} MB{small}",
        )
    )
    return rows


async def bench_telegram(rows_append: Callable[[Row], object], citizens: int | None = None) -> None:
    """Measure the echo baseline, then Comptoir on SQLite (and PostgreSQL when configured)."""
    if citizens is None:
        citizens = int(os.environ.get("COMPTOIR_BENCH_CITIZENS", "500"))
    if citizens <= 0:
        rows_append(("telegram load", "not run", "—", "skipped", "COMPTOIR_BENCH_CITIZENS=0"))
        return
    rounds = max(1, int(os.environ.get("COMPTOIR_BENCH_ROUNDS", "1")))
    limit = float(os.environ.get("COMPTOIR_BENCH_SECONDS", "60"))
    postgres = os.environ.get("COMPTOIR_TEST_POSTGRES_URL", "")
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as name:
        folder = Path(name)
        echo: Outcome | None = None
        try:
            echo = await _measure("echo", ECHO, citizens, rounds, "", limit, folder)
            for row in _echo_rows(echo):
                rows_append(row)
        except Exception as error:  # a broken run is a row, not a crash of the table
            rows_append(("telegram echo bot", "failed", "baseline", "MISSED", repr(error)[:200]))
        sqlite = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
        try:
            run = await _measure("comptoir", QUALIFICATION, citizens, rounds, sqlite, limit, folder)
            for row in _comptoir_rows("SQLite", run, echo):
                rows_append(row)
        except Exception as error:
            rows_append(("telegram SQLite", "failed", "—", "MISSED", repr(error)[:200]))
        if not postgres:
            rows_append(
                (
                    "telegram PostgreSQL",
                    "not run",
                    "—",
                    "skipped",
                    "set COMPTOIR_TEST_POSTGRES_URL to run it",
                )
            )
            return
        try:
            from tests.postgres import fresh_database

            async with fresh_database(postgres, "comptoir_bench") as url:
                run = await _measure(
                    "comptoir", QUALIFICATION, citizens, rounds, url, limit, folder
                )
            for row in _comptoir_rows("PostgreSQL", run, echo):
                rows_append(row)
        except Exception as error:
            rows_append(("telegram PostgreSQL", "failed", "—", "MISSED", repr(error)[:200]))


def main() -> int:
    """Run this benchmark alone and print its rows."""
    rows: list[Row] = []
    asyncio.run(bench_telegram(rows.append))
    print_rows(rows)
    return 0 if all(row[3] != "MISSED" for row in rows) else 1


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        _serve_main(*sys.argv[2:])
    else:
        sys.exit(main())
