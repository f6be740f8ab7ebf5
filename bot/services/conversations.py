"""The citizen's turn: lock the chat, load its state, advance the engine, persist it all at once."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, replace

from bot.core.content import Content
from bot.core.conversation import Event, Inbound, Reply
from bot.core.dialog.schema import Dialog
from bot.core.dialog.state import State
from bot.core.dialog.turn import Turn
from bot.core.effects import ExportData, FilePreApplication, ForgetData
from bot.core.models import Language
from bot.core.qualification import QualificationMemo, QualificationState
from bot.core.routing import Assignment, assign
from bot.services.clock import Clock, context_at, utc_now
from bot.services.desk import LEAD, LEAD_FORGOTTEN, RELAY_IN, lead_notice
from bot.services.locks import KeyedLocks
from bot.services.meter import NO_METER, Meter
from bot.services.outbox import Courier, reply_notices
from bot.services.ports import (
    RETENTION,
    ChatSession,
    Conversation,
    QueuedNotice,
    Retention,
    Storage,
)
from bot.services.ports_advisors import Lead
from bot.services.privacy import Eraser, export_document, export_summary
from bot.services.relay import MAX_RELAYED

log = logging.getLogger(__name__)
# A conversation left this long before its end counts as abandoned at the node it stood on.
ABANDONED_AFTER = dt.timedelta(hours=48)
# An answer waits this long for the replies still being sent to its chat (Telegram's pace).
SETTLE_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class Committed:
    """What a committed turn leaves to do: deliver its replies, compact after an erasure."""

    fresh: list[QueuedNotice]  # the turn's replies, as written to the outbox
    behind: int  # replies to the chat that were already waiting
    forgotten: bool
    filed: int = 0  # pre-applications filed by the turn
    unmatched: int = 0  # matches run by the turn that found no scheme


class ConversationService:
    """Serialises each chat and persists every turn, replies included, in one transaction.

    Replies are written to the outbox with the turn; the courier delivers them after commit,
    in order, and again after a crash or an outage: a committed turn's replies are never lost.
    """

    def __init__(
        self,
        content: Content,
        storage: Storage,
        courier: Courier,
        clock: Clock = utc_now,
        retention: Retention = RETENTION,
        meter: Meter = NO_METER,
    ) -> None:
        self.content = content  # read on every turn: publishing new content is one assignment
        self.storage = storage
        self.courier = courier
        self.clock = clock
        self.retention = retention
        self.meter = meter
        self.eraser = Eraser(storage.privacy)
        self._locks: KeyedLocks[str] = KeyedLocks()

    async def handle(self, inbound: Inbound) -> bool:
        """Process one inbound message; False when it was not (a repeated update id)."""
        key, channel = inbound.chat.key, inbound.chat.channel
        self.meter.update(channel)
        async with self._locks.hold(key):
            if not _command(inbound):  # an answer: let the question it answers arrive first
                await self.courier.settled(key, SETTLE_SECONDS)
            started = time.perf_counter()
            try:
                outcome = await self._handle(inbound, None)
            except _MayRelay:  # rolled back: read the relay outside, then the turn again
                outcome = await self._handle(inbound, await self._relay(inbound))
        if outcome is None:
            return False
        self._count(channel, outcome, time.perf_counter() - started)
        if outcome.behind:  # older messages wait for this chat: the courier reads them in order
            self.courier.notify(key)
        elif outcome.fresh:
            self.courier.notify(key, outcome.fresh)
        if outcome.forgotten:
            self.eraser.request()  # out of the chat's transaction, now committed
        return True

    async def _handle(self, inbound: Inbound, relay: Relaying | None) -> Committed | None:
        """The turn in one transaction; None when the update was already processed.

        A text after the end of the conversation may be for an advisor who wrote: `relay` is
        None until that was read (out of the transaction, which `_MayRelay` rolls back).
        """
        content = self.content
        engine = content.engine
        now = self.clock()
        async with self.storage.conversations.chat(inbound.chat.key) as session:
            if inbound.update_id is not None and not await session.claim_update(inbound.update_id):
                return None
            stored = await session.conversation()
            state = engine.load(stored.state) if stored else None
            unkept = state is not None and _unkept(content.dialog, state)
            if (
                stored is not None
                and state is not None
                and not unkept
                and self._abandoned(stored, state, now)
            ):
                idle = (now - (stored.updated_at or now)).days
                await session.log([Event("abandoned", stored.node, {"idle_days": idle})], now)
            behind = await session.undelivered()
            if behind and state is not None and engine.blind(state, inbound):
                # The citizen has not seen the question yet (its delivery is late, Telegram may
                # be down): what they sent cannot answer it. The question will arrive; nothing
                # moves on a guess.
                log.info("a message arrived before the question it answers: held")
                if not unkept:
                    await session.log([Event("held", state.node)], now)
                return Committed([], behind, forgotten=False)
            if state is not None and engine.finished(state) and _free_text(inbound):
                if relay is None:
                    raise _MayRelay()
                if relay.lead is not None:
                    return await self._relayed(session, inbound, relay, state.language, now)
            outbound = self.courier.outbound(inbound.chat.channel)
            if outbound is not None and engine.about_to_work(state):
                outbound.working(inbound.chat)
            turn = engine.advance(state, inbound, context_at(now))
            forgotten = any(isinstance(e, ForgetData) for e in turn.effects)
            replies = await self._effects(session, inbound, turn, now)
            if not forgotten:
                # Without consent nothing is logged, even pseudonymously: it lives only as
                # long as the conversation (erased at its end, or by the purge when left).
                unkept = _unkept(content.dialog, turn.state)
                await session.save(self._conversation(inbound, turn, stored, now, unkept))
                if not unkept:
                    await session.log(turn.events, now)
            if outbound is not None:
                replies = outbound.compose(replies)
            notices = reply_notices(inbound.chat, replies, inbound.origin)
            fresh = await session.enqueue(notices, now)
            filed = sum(isinstance(e, FilePreApplication) for e in turn.effects)
            unmatched = sum(
                e.kind == "match_run" and e.detail.get("schemes") == 0 for e in turn.events
            )
            return Committed(fresh, behind, forgotten, filed, unmatched)

    def _count(self, channel: str, outcome: Committed, seconds: float) -> None:
        """Tell the meter about a committed turn."""
        self.meter.turn(channel, seconds)
        for _ in range(outcome.filed):
            self.meter.filed()
        for _ in range(outcome.unmatched):
            self.meter.match_without_results()

    async def _effects(
        self,
        session: ChatSession,
        inbound: Inbound,
        turn: Turn[QualificationMemo],
        now: dt.datetime,
    ) -> list[Reply]:
        """Carry out the turn's effects in its transaction; the replies they complete."""
        replies = list(turn.replies)
        content = self.content
        for effect in turn.effects:
            match effect:
                case FilePreApplication():
                    # Routed now, among the counters with advisors as this transaction reads
                    # them: the citizen is told where it goes, and the lead goes there.
                    decided = assign(
                        content.catalog.matcher,
                        effect.filing.profile,
                        await session.staffed(),
                        (),
                        content.advisors.routing,
                    )
                    filing = effect.filing.model_copy(update={"counter_id": decided.counter_id})
                    filed = await session.file(filing, now)
                    notice = lead_notice(LEAD, filed.reference, decided=decided)
                    await session.enqueue([notice], now)
                    counter = self._receiver(decided, turn.state.language)
                    replies.insert(effect.at, effect.confirm(filed.reference, counter))
                    log.info("pre-application %s filed", filed.reference)
                case ExportData():
                    data = await self.storage.privacy.export(inbound.chat.key)
                    document = export_document(data, self.content, self.retention, now)
                    summary = export_summary(data, self.content, self.retention)
                    if effect.at < len(replies):
                        replies[effect.at] = replace(
                            replies[effect.at], text=summary, document=document
                        )
                case ForgetData():
                    erased = await session.forget(now, leads=not effect.keep_requests)
                    notices = [
                        lead_notice(LEAD_FORGOTTEN, reference) for reference, _ in erased.references
                    ]
                    await session.enqueue(notices, now)
        return replies

    def _receiver(self, decided: Assignment, language: Language) -> str:
        """Who receives a filed request, as the citizen reads it: its counter, or the staff."""
        names = {c.id: c.name for c in self.content.catalog.knowledge.counters}
        if decided.counter_id in names:
            return names[decided.counter_id]
        return self.content.dialog.texts.filed_staff.get(language)

    async def _relay(self, inbound: Inbound) -> Relaying:
        """The citizen's lead whose advisor wrote to them, and that advisor's first name."""
        lead = await self.storage.leads.relaying(inbound.chat.key)
        taker = None
        if lead is not None and lead.taken_by is not None:
            taker = await self.storage.accounts.person(lead.taken_by)
        name = taker.first_name if taker is not None else self.content.advisors.card.staff
        return Relaying(lead, name)

    async def _relayed(
        self,
        session: ChatSession,
        inbound: Inbound,
        relay: Relaying,
        language: Language,
        now: dt.datetime,
    ) -> Committed:
        """A text after the end, while an advisor writes with the citizen: it goes to them."""
        assert relay.lead is not None and inbound.text is not None
        lead, name = relay.lead, relay.name
        text = inbound.text.strip()[:MAX_RELAYED]
        ack = Reply(text=self.content.dialog.texts.relay_forwarded.format(language, name=name))
        await session.enqueue([lead_notice(RELAY_IN, lead.reference, text)], now)
        fresh = await session.enqueue(reply_notices(inbound.chat, [ack]), now)
        log.info("a citizen's text relayed to the advisors of %s", lead.reference)
        return Committed(fresh, 0, forgotten=False)

    def _abandoned(self, stored: Conversation, state: QualificationState, now: dt.datetime) -> bool:
        """Whether the citizen left mid-way long enough ago (noted when they come back)."""
        if stored.updated_at is None or now - stored.updated_at < ABANDONED_AFTER:
            return False
        return state.started and not self.content.engine.finished(state)

    @staticmethod
    def _conversation(
        inbound: Inbound,
        turn: Turn[QualificationMemo],
        stored: Conversation | None,
        now: dt.datetime,
        unkept: bool,
    ) -> Conversation:
        state = turn.state
        return Conversation(
            chat_key=inbound.chat.key,
            state=state.to_json(),
            tree_version=state.tree_version,
            node=state.node,
            version=(stored.version + 1) if stored else 1,
            language=state.language,
            campaign=state.campaign,
            updated_at=now,
            ephemeral=unkept,
        )


@dataclass(frozen=True, slots=True)
class Relaying:
    """Whether an advisor writes with this citizen (their lead), and who."""

    lead: Lead | None
    name: str


class _MayRelay(Exception):
    """A text after the end: the turn is rolled back to read the relay, then done again."""


def _unkept(dialog: Dialog, state: State[QualificationMemo]) -> bool:
    """Whether the citizen refused consent: their conversation is kept only while it lasts."""
    consent = dialog.consent
    if consent is None or consent.key not in state.answers:
        return False
    return state.answers[consent.key] != consent.value


def _command(inbound: Inbound) -> bool:
    return (inbound.text or "").lstrip().startswith("/")


def _free_text(inbound: Inbound) -> bool:
    return bool(inbound.text and inbound.text.strip()) and not _command(inbound)
