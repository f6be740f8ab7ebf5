"""The observatory: figures for a period and a territory, and the weekly digest of the gaps.

The figures are aggregated by the database (`ObservatoryData`), labelled and masked by the pure
core (`bot.core.observatory`); a result is kept a few minutes per period and territory, and one
computation serves every request asking for it meanwhile. Once a week (Monday from 9:00 in
France) the gaps of the week before go to the staff's Telegram group, when one is linked: the
digest is remembered by its own outbox rows, so a restart or a second replica never sends it
twice, and a server down on Monday sends it at its first look afterwards. The same periodic look
first rolls up the days closed since the last one (storage keeps their counts).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable

from bot.core.content import Content
from bot.core.conversation import Reply
from bot.core.observatory import compute
from bot.core.observatory.delays import DelayTally
from bot.core.observatory.figures import THRESHOLD, Figures
from bot.core.observatory.names import names
from bot.core.observatory.rows import IdeaRows
from bot.core.observatory.scope import (
    MONTHS,
    PARIS,
    Period,
    Scope,
    Territory,
    midnight,
    month_keys,
    months,
    scope,
    week_of,
)
from bot.services.cards import chat_key
from bot.services.clock import Clock, utc_now
from bot.services.outbox import Courier, message_notice
from bot.services.periodic import TURN_SHARE, Turn, repeat
from bot.services.ports import Storage
from bot.services.ports_observatory import DIGEST

log = logging.getLogger(__name__)
CACHE_SECONDS = 300.0  # how long figures are served before they are counted again
CACHED = 32  # periods × territories kept
UNHEARD_LEAST = THRESHOLD  # a typed answer is shown once typed in 5 conversations
UNHEARD_SHOWN = 20
GAP_IDEAS = 50  # the newest ideas behind the gaps
CHUNK = 2000  # leads read at a time for the delays
EVERY = 15 * 60.0  # seconds between two looks (the roll-up, the weekly digest)
DIGEST_HOUR = 9  # Monday, Paris time
DIGEST_LINES = 12  # gaps listed in the digest (Telegram: 4096 characters a message)
PAGE = "/conseillers/observatoire"


class Observatory:
    """Counts what the conversations and leads say; sends the weekly digest of the gaps."""

    def __init__(
        self,
        content: Callable[[], Content],
        storage: Storage,
        courier: Courier,
        clock: Clock = utc_now,
        every: float = EVERY,
        public_url: str | None = None,
    ) -> None:
        self.content = content
        self.storage = storage
        self.courier = courier
        self.clock = clock
        self.every = every
        self.public_url = public_url
        self._cache: dict[tuple[Period, Territory], tuple[float, asyncio.Task[Figures]]] = {}
        self._stopping = asyncio.Event()

    # -- figures --------------------------------------------------------------------------------

    async def figures(self, period: Period, territory: Territory) -> Figures:
        """The figures of a period and a territory, counted at most `CACHE_SECONDS` ago
        (`UnknownTerritory` for a wrong code)."""
        scope(period, territory, self.content().catalog.knowledge.geo)  # refuse a wrong code
        key = (period, territory)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is None or cached[0] < now or _failed(cached[1]):
            for old in [k for k, (until, _) in self._cache.items() if until < now]:
                del self._cache[old]
            while len(self._cache) >= CACHED:
                del self._cache[next(iter(self._cache))]
            task = asyncio.create_task(self.count(period, territory), name="observatory")
            cached = self._cache[key] = (now + CACHE_SECONDS, task)
        return await asyncio.shield(cached[1])

    async def count(self, period: Period, territory: Territory) -> Figures:
        """Aggregate, label and mask the figures now (the reads run side by side on
        PostgreSQL); `figures` keeps them a while."""
        content = self.content()
        knowledge = content.catalog.knowledge
        chosen = scope(period, territory, knowledge.geo)
        staff = content.advisors.card.staff  # « l'équipe du Département », a row's name
        labels = names(knowledge, content.dialog, staff[:1].upper() + staff[1:])
        data = self.storage.observatory
        ideas, steps, unheard, behind, leads, assessed = await asyncio.gather(
            data.ideas(chosen),
            data.funnel(chosen),
            data.unheard(chosen, UNHEARD_LEAST, UNHEARD_SHOWN),
            data.gap_ideas(chosen, GAP_IDEAS),
            data.leads(chosen),
            data.assessments(chosen),
        )
        now = self.clock()
        tally = DelayTally(now.astimezone(PARIS).date())
        async for chunk in data.takings(chosen, CHUNK):
            tally.add(chunk)
            await asyncio.sleep(0)  # a slice at a time: turns pass in between
        return Figures(
            period=period.label(),
            territory=territory.label(knowledge.geo),
            computed_at=now,
            ideas=compute.ideas(ideas, _months(chosen, ideas), labels),
            funnel=compute.funnel(steps, labels, chosen.departments is not None),
            gaps=compute.gaps(ideas, behind, unheard, labels),
            leads=compute.leads(leads, tally.delays(), labels),
            assessment=compute.assessment(assessed, labels),
        )

    # -- the weekly digest ----------------------------------------------------------------------

    async def run(self) -> None:
        """Roll up the closed days and look for the week's digest now, then every `every`
        seconds, until stopped."""
        period = dt.timedelta(seconds=self.every * TURN_SHARE)  # once per cluster
        turn = Turn(self.storage.leases, "observatory", period, clock=self.clock)
        await repeat(self.look, self.every, self._stopping, "observatory: the look", turn)

    async def look(self) -> bool:
        """Count the days closed since the last look once and for all, then send the digest if
        due; whether it went."""
        try:
            rolled = await self.storage.observatory.roll_up(self.clock())
        except Exception:  # the digest still goes: it counts the days not rolled up itself
            log.exception("observatory: the roll-up failed")
        else:
            if rolled:
                log.info("observatory: %d closed day(s) rolled up", rolled)
        return await self.once()

    def stop(self) -> None:
        """Stop after the look in progress."""
        self._stopping.set()

    async def once(self) -> bool:
        """Send this week's digest of last week's gaps, if due and not sent; whether it went."""
        now = self.clock()
        local = now.astimezone(PARIS)
        monday, _ = week_of(local.date())
        if local.date() == monday and local.hour < DIGEST_HOUR:
            return False
        since = midnight(monday)
        data = self.storage.observatory
        if await data.digest_sent(since):
            return False
        staff = [g.chat_id for g in await self.storage.accounts.groups() if g.counter_id is None]
        if not staff:
            return False  # no staff group linked: looked at again at the next look
        week = Period(monday - dt.timedelta(days=7), monday - dt.timedelta(days=1))
        text = self.digest(await self.figures(week, Territory()), week)
        notices = [message_notice(DIGEST, chat_key(chat), Reply(text=text)) for chat in staff]
        queued = await data.send_digest(since, notices, now)
        if not queued:
            return False  # another replica sent it meanwhile
        for recipient in dict.fromkeys(q.recipient for q in queued):
            self.courier.notify(recipient)
        log.info("observatory: the weekly digest went to %d staff chat(s)", len(staff))
        return True

    def digest(self, figures: Figures, week: Period) -> str:
        """The digest's text: the week's gaps, the busiest first, in French."""
        assert week.since is not None and week.until is not None
        lines = [
            f"Observatoire Comptoir : les manques de la semaine du {_long(week.since)} au "
            f"{_long(week.until)}.",
        ]
        cells = figures.gaps.cells
        if not cells:
            lines.append(
                "Aucun manque relevé : chaque recherche a trouvé au moins un dispositif et une "
                f"structure de proximité ({figures.ideas.total} idées qualifiées)."
            )
        else:
            lines.append(
                "Territoires et thèmes où la recherche n'a trouvé aucun dispositif ou aucune "
                "structure de proximité :"
            )
            for cell in cells[:DIGEST_LINES]:
                lines.append(
                    f"• {cell.department_label} · {cell.theme_label} : "
                    f"{cell.without_scheme} sans dispositif local, "
                    f"{cell.without_counter} sans structure locale "
                    f"(sur {cell.conversations} conversations)"
                )
            if len(cells) > DIGEST_LINES:
                lines.append(f"… et {len(cells) - DIGEST_LINES} autres croisements.")
        lines.append(f"Les effectifs de 1 à {THRESHOLD - 1} sont notés « < {THRESHOLD} ».")
        if self.public_url:
            base = self.public_url.rstrip("/")
            lines.append(f"Le détail : {base}{PAGE}?du={week.since}&au={week.until}")
        return "\n".join(lines)


def _failed(task: asyncio.Task[Figures]) -> bool:
    """A computation that ended without figures (count again)."""
    return task.done() and (task.cancelled() or task.exception() is not None)


def _months(chosen: Scope, ideas: IdeaRows) -> list[str]:
    """The months the ideas' trend shows: the period's, or from the first match to the last."""
    start = chosen.start or ideas.first
    if start is None:
        return []
    if chosen.end is not None:
        return month_keys(start, chosen.end) if chosen.end > start else []
    return [] if ideas.last is None else [key for key, _ in months(start, ideas.last)]


def _long(day: dt.date) -> str:
    """« 23 novembre 2026 »."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
