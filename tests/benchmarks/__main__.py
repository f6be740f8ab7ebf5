"""Speed and memory benchmarks (`make bench`): medians, p99 and ratios to in-run baselines."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

from bot.core.catalog import DEFAULT_KNOWLEDGE, Catalog
from bot.core.content import Content, load_qualification
from bot.core.geo import fold
from bot.core.matching import Matcher, Profile
from bot.core.models import Carrier, Counter, Need, Scheme, Stage
from bot.core.themes import root
from tests.benchmarks.capacity import bench_capacity
from tests.benchmarks.dashboard import bench_dashboard
from tests.benchmarks.observatory import bench_observatory
from tests.benchmarks.peak import bench_peak
from tests.benchmarks.telegram_load import bench_telegram
from tests.benchmarks.turns import bench_turns
from tests.benchmarks.webchat import bench_webchat

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 28)
ROWS: list[tuple[str, str, str, str, str]] = []


def _timings_ms(
    function: Callable[[object], object], inputs: Sequence[object], rounds: int
) -> list[float]:
    timings = []
    for _ in range(rounds):
        for item in inputs:
            start = time.perf_counter()
            function(item)
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _row(name: str, value: str, target: str, ok: bool, note: str = "") -> None:
    ROWS.append((name, value, target, "ok" if ok else "MISSED", note))


def bench_resolver(catalog: Catalog) -> None:
    cases = yaml.safe_load((DATA / "geo_cases.yaml").read_text(encoding="utf-8"))
    queries = [c["query"] for c in cases]
    ours = _timings_ms(catalog.resolver.resolve, queries, rounds=5)
    names = [c.name for c in catalog.knowledge.geo.communes.values()]
    brute = _timings_ms(
        lambda q: process.extractOne(q, names, scorer=fuzz.WRatio, processor=utils.default_process),
        queries,
        rounds=1,
    )
    median, p99 = statistics.median(ours), _p99(ours)
    _row(
        "resolver median",
        f"{median:.3f} ms",
        "≤ 0.5 ms",
        median <= 0.5,
        f"{len(queries)} mixed queries",
    )
    _row("resolver p99", f"{p99:.3f} ms", "≤ 3 ms", p99 <= 3)
    ratio = statistics.median(brute) / median
    _row(
        "resolver vs brute-force extractOne",
        f"{ratio:.0f}× faster",
        "baseline",
        True,
        f"extractOne median {statistics.median(brute):.2f} ms",
    )


def bench_themes(catalog: Catalog) -> None:
    cases = yaml.safe_load((DATA / "theme_cases.yaml").read_text(encoding="utf-8"))
    texts = []
    for case in cases:
        text = case["text"]
        while len(text) < 300:
            text += " " + random.Random(len(text)).choice(cases)["text"]
        texts.append(text[:300])
    detector = catalog.themes
    ours = _timings_ms(detector.detect, texts, rounds=5)
    keywords = [fold(k) for t in catalog.knowledge.themes for k in (*t.keywords, *t.hints)]

    def naive_scan(text: object) -> list[str]:
        folded = fold(str(text))
        return [k for k in keywords if k in folded]

    def cold(text: object) -> object:
        detector._canonical.cache_clear()  # type: ignore[attr-defined]
        root.cache_clear()
        return detector.detect(str(text))

    naive = _timings_ms(naive_scan, texts, rounds=3)
    cold_timings = _timings_ms(cold, texts, rounds=1)
    median = statistics.median(ours)
    _row(
        "detect_themes (300 chars) median",
        f"{median:.3f} ms",
        "≤ 2 ms",
        median <= 2,
        f"p99 {_p99(ours):.3f} ms, typo cache warm",
    )
    cold_median = statistics.median(cold_timings)
    _row(
        "detect_themes (300 chars), cold cache",
        f"{cold_median:.3f} ms",
        "≤ 2 ms",
        cold_median <= 2,
        f"p99 {_p99(cold_timings):.3f} ms",
    )
    _row(
        "detect_themes / naive substring scan",
        f"{median / statistics.median(naive):.1f}× the time",
        "baseline",
        True,
        "naive: no typos, no plurals, no phrases",
    )


def _profiles(catalog: Catalog, count: int) -> list[Profile]:
    rng = random.Random(7)
    communes = [c for c in catalog.knowledge.geo.communes.values() if c.lat is not None]
    slugs = [t.slug for t in catalog.knowledge.themes]
    return [
        Profile(
            commune=rng.choice(communes).insee,
            carrier=rng.choice(list(Carrier)),
            stage=rng.choice(list(Stage)),
            themes=tuple(rng.sample(slugs, 2)),
            needs=tuple(rng.sample(list(Need), 2)),
            amount=rng.choice([None, 5000, 15000, 60000]),
        )
        for _ in range(count)
    ]


def _generated(catalog: Catalog, schemes: int, counters: int) -> Matcher:
    """A base of the requested size, territories spread like real ones."""
    rng = random.Random(11)
    geo = catalog.knowledge.geo
    template_scheme = catalog.knowledge.schemes[0]
    template_counter = catalog.knowledge.counters[0]
    communes = [c for c in geo.communes.values() if not c.parent]
    departments, regions = list(geo.departments), list(geo.regions)
    epcis = list(geo.epcis)
    slugs = [t.slug for t in catalog.knowledge.themes]

    def territory() -> dict[str, object]:
        roll = rng.random()
        if roll < 0.05:
            return {"national": True}
        if roll < 0.20:
            return {"regions": (rng.choice(regions),)}
        if roll < 0.70:
            return {"departments": (rng.choice(departments),)}
        if roll < 0.90:
            return {"epci": (rng.choice(epcis),)}
        return {"communes": tuple(rng.choice(communes).insee for _ in range(3))}

    generated_schemes = [
        template_scheme.model_copy(
            update={
                "id": f"scheme-{i}",
                "territory": template_scheme.territory.model_validate(territory()),
                "themes": tuple(rng.sample(slugs, rng.choice([0, 1, 3]))),
                "carriers": tuple(rng.sample(list(Carrier), 3)),
                "stages": tuple(rng.sample(list(Stage), 2)),
                "needs": tuple(rng.sample(list(Need), 2)),
            }
        )
        for i in range(schemes)
    ]
    generated_counters = [
        template_counter.model_copy(
            update={
                "id": f"counter-{i}",
                "commune": rng.choice(communes).insee,
                "coverage": template_counter.coverage.model_validate(
                    {"radius_km": 30} if rng.random() < 0.1 else territory()
                ),
                "themes": (),
                "stages": (),
                "carriers": (),
            }
        )
        for i in range(counters)
    ]
    knowledge = dataclasses.replace(
        catalog.knowledge,
        schemes=tuple[Scheme, ...](generated_schemes),
        counters=tuple[Counter, ...](generated_counters),
    )
    return Matcher(knowledge)


def bench_match(catalog: Catalog) -> None:
    profiles = _profiles(catalog, 200)
    shipped = _timings_ms(lambda p: catalog.matcher.match(p, TODAY), profiles, rounds=3)  # type: ignore[arg-type]
    median = statistics.median(shipped)
    _row(
        "match, shipped content, median",
        f"{median:.3f} ms",
        "≤ 5 ms",
        median <= 5,
        f"p99 {_p99(shipped):.3f} ms",
    )
    big = _generated(catalog, 10_000, 5_000)
    large = _timings_ms(lambda p: big.match(p, TODAY), profiles, rounds=1)  # type: ignore[arg-type]
    median_large = statistics.median(large)
    _row(
        "match, 10,000 schemes + 5,000 counters",
        f"{median_large:.2f} ms",
        "≤ 30 ms",
        median_large <= 30,
        f"p99 {_p99(large):.2f} ms",
    )
    scan = _timings_ms(
        lambda p: [big._assess(s, p, TODAY) for s in big._schemes.values()],  # type: ignore[arg-type]
        profiles[:50],
        rounds=1,
    )
    _row(
        "match vs assessing every scheme",
        f"{statistics.median(scan) / median_large:.1f}× faster",
        "baseline",
        True,
        "territory index vs full scan",
    )


def bench_startup() -> None:
    # Peak RSS from /proc (VmHWM): ru_maxrss would carry over the parent's peak across exec.
    peak = "[l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]"
    code = (
        "import time;t=time.perf_counter();"
        "from bot.core.catalog import Catalog;c=Catalog.load();"
        f"print(time.perf_counter()-t, {peak})"
    )
    bare = f"print(0, {peak})"
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(3)
    ]
    seconds = statistics.median(float(r.stdout.split()[0]) for r in runs)
    rss_mb = statistics.median(int(r.stdout.split()[1]) for r in runs) / 1024
    bare_mb = (
        int(
            subprocess.run(
                [sys.executable, "-c", bare], capture_output=True, text=True, check=True
            ).stdout.split()[1]
        )
        / 1024
    )
    _row(
        "start-up: load content + geography",
        f"{seconds:.2f} s",
        "≤ 1.5 s",
        seconds <= 1.5,
        "median of 3 fresh processes",
    )
    _row(
        "RSS with everything loaded",
        f"{rss_mb:.0f} MB",
        "≤ 150 MB",
        rss_mb <= 150,
        f"bare interpreter {bare_mb:.0f} MB",
    )


def main() -> int:
    """Run every benchmark and print the table; exit 1 if a target is missed."""
    catalog = Catalog.load(DEFAULT_KNOWLEDGE)
    bench_resolver(catalog)
    bench_themes(catalog)
    bench_match(catalog)
    bench_startup()
    content = Content.build(
        catalog, load_qualification(ROOT / "dialogs" / "qualification.yaml", catalog)
    )
    asyncio.run(bench_turns(content, ROWS.append))
    asyncio.run(bench_telegram(ROWS.append))
    asyncio.run(bench_webchat(ROWS.append))
    asyncio.run(bench_dashboard(ROWS.append))
    asyncio.run(bench_observatory(ROWS.append))
    asyncio.run(bench_capacity(ROWS.append))
    asyncio.run(bench_peak(ROWS.append))
    widths = [max(len(row[i]) for row in ROWS) for i in range(4)]
    header = ("benchmark", "measured", "target", "status", "note")
    print("  ".join(h.ljust(w) for h, w in zip(header, [*widths, 0], strict=False)))
    for row in ROWS:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, [*widths, 0], strict=False)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"(benchmark process peak RSS {peak:.0f} MB; Python {sys.version.split()[0]}; "
        f"{os.cpu_count()} cores; medians over repeated runs)"
    )
    return 0 if all(row[3] != "MISSED" for row in ROWS) else 1


if __name__ == "__main__":
    sys.exit(main())
