"""The server under test in a child process: its CPU and memory over stdin, p99, the table.

Only the standard library: the child processes import this module too, and the memory of the
server under test must not include the load generator's imports.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

Row = tuple[str, str, str, str, str]


def status_kb(key: str, pid: int | str = "self") -> int:
    """A /proc/PID/status memory line (VmRSS, VmHWM), in kB; 0 where there is no /proc."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of a process's threads by name, read from /proc: `main` for the first,
    `others` for those the OS knows by the program's name (Python < 3.14 names none), names
    ending in a number summed (asyncio_0, asyncio_1… → asyncio_*)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    found: dict[str, float] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", encoding="ascii", errors="replace") as stat:
                line = stat.read()
        except OSError:
            continue  # the thread ended meanwhile
        name = "main" if tid == str(pid) else line[line.index("(") + 1 : line.rindex(")")]
        name = "others" if name.startswith("python") else name
        fields = line[line.rindex(")") + 2 :].split()
        name = name.rstrip("0123456789") + "*" if name[-1:].isdigit() else name
        found[name] = found.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return found


def machine_cpu() -> float:
    """CPU seconds the whole machine spent busy (every core, every process), from /proc/stat;
    0 where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    # user nice system idle iowait irq softirq steal: all but idle and iowait are busy
    busy = sum(int(v) for i, v in enumerate(fields[:8]) if i not in (3, 4))
    return busy / ticks


def mark_line() -> str:
    """The child's answer to `mark`: its CPU seconds (every thread), RSS and peak RSS (kB)."""
    return f"mark {time.process_time():.6f} {status_kb('VmRSS')} {status_kb('VmHWM')}"


def report(line: str) -> None:
    """One line to the parent, at once."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def p99(values: Sequence[float]) -> float:
    """The 99th percentile (nearest rank); NaN for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")


class Child:
    """The server under test, in its own process, answering `mark` on its stdin."""

    def __init__(self, process: asyncio.subprocess.Process, errors: Path) -> None:
        self.process = process
        self.errors = errors

    async def expect(self, word: str, timeout: float) -> list[str]:
        """The fields of the next line of the child's stdout that starts with `word`."""
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                line = (await self.process.stdout.readline()).decode()
                if not line:
                    tail = self.errors.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"the server process stopped:\n{tail}")
                parts = line.split()
                if parts and parts[0] == word:
                    return parts[1:]

    async def mark(self) -> tuple[float, int, int]:
        """The child's own CPU seconds, RSS and peak RSS (kB)."""
        assert self.process.stdin is not None
        self.process.stdin.write(b"mark\n")
        await self.process.stdin.drain()
        cpu, rss, peak = await self.expect("mark", 30)
        return float(cpu), int(rss), int(peak)

    @property
    def rss_kb(self) -> int:
        """The child's resident memory now, read from outside (no round trip)."""
        return status_kb("VmRSS", self.process.pid)

    def stderr_tail(self, size: int = 2000) -> str:
        """The end of what the child wrote to its stderr."""
        return self.errors.read_text(errors="replace")[-size:]


@asynccontextmanager
async def child(
    module: str,
    args: Sequence[str],
    folder: Path,
    name: str,
    env: Mapping[str, str] | None = None,
    ready: str | None = "ready",
) -> AsyncIterator[Child]:
    """`python -m MODULE --serve ARGS…`; waits for its `ready` line (unless None); stops it by
    closing its stdin (killed if it has not exited 30 s later). Its stderr goes to a file."""
    errors = folder / f"{name}-{uuid.uuid4().hex[:6]}.stderr"
    environment = {
        **(os.environ if env is None else env),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    with errors.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, "--serve", *args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr,
            cwd=ROOT, env=environment,
        )  # fmt: skip
        started = Child(process, errors)
        try:
            if ready is not None:
                await started.expect(ready, 90)
            yield started
        finally:
            if process.returncode is None:
                assert process.stdin is not None
                process.stdin.close()  # the child stops its server and exits
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()


def print_rows(rows: Sequence[Row]) -> None:
    """The rows as aligned columns (the last one free)."""
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, [*widths, 0], strict=False)))
