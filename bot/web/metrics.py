"""/metrics: the `Meter` on prometheus-client, a registry per application, stores read at scrape."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.core.leads import Status
from bot.services.ports import Storage
from bot.web.keys import COMPTOIR

log = logging.getLogger(__name__)
# Seconds a turn takes, from a fast button press to a slow match on a busy database.
TURN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
READ_SECONDS = 2.0  # a scrape waits this long for the store counts, then shows the last ones
# Process-wide: no `*_created` series (they only repeat the process's start time).
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in prometheus-client


class Metrics:
    """The counters, histogram and gauges of one application, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self._updates = Counter(
            "comptoir_updates", "Citizens' messages received", ["channel"], registry=registry
        )
        self._turns = Histogram(
            "comptoir_turn_seconds",
            "Time to process and commit a turn",
            ["channel"],
            buckets=TURN_BUCKETS,
            registry=registry,
        )
        self._filed = Counter(
            "comptoir_pre_applications_filed", "Pre-applications filed", registry=registry
        )
        self._unmatched = Counter(
            "comptoir_matches_without_results",
            "Matches that found no funding scheme",
            registry=registry,
        )
        self._failures = Counter(
            "comptoir_outbox_delivery_failures",
            "Messages not delivered at an attempt (retried, refused or unreachable recipient)",
            ["channel"],
            registry=registry,
        )
        self._leads = Gauge("comptoir_leads", "Leads by status", ["status"], registry=registry)
        self._backlog = Gauge(
            "comptoir_outbox_backlog", "Outbox messages due and waiting", registry=registry
        )
        for status in Status:
            self._leads.labels(status=status.value).set(0)

    def update(self, channel: str) -> None:
        """A citizen's message arrived on this channel."""
        self._updates.labels(channel=channel).inc()

    def turn(self, channel: str, seconds: float) -> None:
        """A turn of this channel was committed in `seconds`."""
        self._turns.labels(channel=channel).observe(seconds)

    def filed(self) -> None:
        """A pre-application was filed."""
        self._filed.inc()

    def match_without_results(self) -> None:
        """A match found no scheme."""
        self._unmatched.inc()

    def delivery_failed(self, channel: str) -> None:
        """A message could not be delivered on this channel."""
        self._failures.labels(channel=channel).inc()

    async def refresh(self, storage: Storage, now: dt.datetime) -> None:
        """Read the gauges from the stores (async queries, off the event loop for SQLite)."""
        tally = await storage.leads.tally()
        backlog = await storage.outbox.backlog(now)
        for status in {*(s.value for s in Status), *tally}:
            self._leads.labels(status=status).set(tally.get(status, 0))
        self._backlog.set(backlog)

    def render(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", Metrics)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus' scrape: the counters, and the gauges read from the database now."""
    app = request.app
    meter = app[METRICS]
    comptoir = app.get(COMPTOIR)
    if comptoir is not None:
        try:
            async with asyncio.timeout(READ_SECONDS):
                await meter.refresh(comptoir.storage, comptoir.courier.clock())
        except Exception as error:  # the database is away: the counters still answer
            log.warning("metrics: the store counts could not be read (%s)", type(error).__name__)
    response = web.Response(body=meter.render())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response
