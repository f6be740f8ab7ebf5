"""The citizen's turn: lock the chat, load its state, advance the engine, persist it all at once."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from bot.core.content import Content
from bot.core.conversation import Event, Inbound, Reply
from bot.core.dialog.turn import Turn
from bot.core.effects import ExportData, FilePreApplication, ForgetData
from bot.core.qualification import QualificationMemo, QualificationState
from bot.services.clock import Clock, context_at, utc_now
from bot.services.locks import KeyedLocks
from bot.services.outbox import Courier, reply_notices
from bot.services.ports import (
    RETENTION,
    ChatSession,
    Conversation,
    Notice,
    QueuedNotice,
    Retention,
    Storage,
)
from bot.services.privacy import Eraser, export_document

log = logging.getLogger(__name__)
# A conversation left this long before its end counts as abandoned at the node it stood on.
ABANDONED_AFTER = dt.timedelta(hours=48)
LEAD, LEAD_FORGOTTEN = "lead", "lead_forgotten"  # for the counters (the advisors' issue)
UNASSIGNED = "unassigned"  # the recipient of a lead no counter covers
# An answer waits this long for the replies still being sent to its chat (Telegram's pace).
SETTLE_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class Committed:
    """What a committed turn leaves to do: deliver its replies, compact after an erasure."""

    fresh: list[QueuedNotice]  # the turn's replies, as written to the outbox
    behind: int  # replies to the chat that were already waiting
    forgotten: bool


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
    ) -> None:
        self.content = content  # read on every turn: publishing new content is one assignment
        self.storage = storage
        self.courier = courier
        self.clock = clock
        self.retention = retention
        self.eraser = Eraser(storage.privacy)
        self._locks: KeyedLocks[str] = KeyedLocks()

    async def handle(self, inbound: Inbound) -> bool:
        """Process one inbound message; False when it was not (a repeated update id)."""
        key = inbound.chat.key
        async with self._locks.hold(key):
            if not _command(inbound):  # an answer: let the question it answers arrive first
                await self.courier.settled(key, SETTLE_SECONDS)
            outcome = await self._handle(inbound)
        if outcome is None:
            return False
        if outcome.behind:  # older messages wait for this chat: the courier reads them in order
            self.courier.notify(key)
        elif outcome.fresh:
            self.courier.notify(key, outcome.fresh)
        if outcome.forgotten:
            self.eraser.request()  # out of the chat's transaction, now committed
        return True

    async def _handle(self, inbound: Inbound) -> Committed | None:
        """The turn in one transaction; None when the update was already processed."""
        content = self.content
        engine = content.engine
        now = self.clock()
        async with self.storage.conversations.chat(inbound.chat.key) as session:
            if inbound.update_id is not None and not await session.claim_update(inbound.update_id):
                return None
            stored = await session.conversation()
            state = engine.load(stored.state) if stored else None
            if stored is not None and state is not None and self._abandoned(stored, state, now):
                idle = (now - (stored.updated_at or now)).days
                await session.log([Event("abandoned", stored.node, {"idle_days": idle})], now)
            behind = await session.undelivered()
            if behind and state is not None and engine.blind(state, inbound):
                # The citizen has not seen the question yet (its delivery is late, Telegram may
                # be down): what they sent cannot answer it. The question will arrive; nothing
                # moves on a guess.
                log.info("a message arrived before the question it answers: held")
                await session.log([Event("held", state.node)], now)
                return Committed([], behind, forgotten=False)
            outbound = self.courier.outbound(inbound.chat.channel)
            if outbound is not None and engine.about_to_work(state):
                outbound.working(inbound.chat)
            turn = engine.advance(state, inbound, context_at(now))
            forgotten = any(isinstance(e, ForgetData) for e in turn.effects)
            replies = await self._effects(session, inbound, turn, now)
            if not forgotten:
                await session.save(self._conversation(inbound, turn, stored, now))
                await session.log(turn.events, now)
            if outbound is not None:
                replies = outbound.compose(replies)
            notices = reply_notices(inbound.chat, replies, inbound.origin)
            fresh = await session.enqueue(notices, now)
            return Committed(fresh, behind, forgotten)

    async def _effects(
        self,
        session: ChatSession,
        inbound: Inbound,
        turn: Turn[QualificationMemo],
        now: dt.datetime,
    ) -> list[Reply]:
        """Carry out the turn's effects in its transaction; the replies they complete."""
        replies = list(turn.replies)
        for effect in turn.effects:
            match effect:
                case FilePreApplication():
                    filed = await session.file(effect.filing, now)
                    counter = filed.filing.counter_id or UNASSIGNED
                    lead = Notice(LEAD, counter, {"reference": filed.reference})
                    await session.enqueue([lead], now)
                    replies.insert(effect.at, effect.confirm(filed.reference))
                    log.info("pre-application %s filed", filed.reference)
                case ExportData():
                    data = await self.storage.privacy.export(inbound.chat.key)
                    document = export_document(data, self.content, self.retention, now)
                    if effect.at < len(replies):
                        replies[effect.at] = replace(replies[effect.at], document=document)
                case ForgetData():
                    erased = await session.forget(now)
                    notices = [
                        Notice(LEAD_FORGOTTEN, counter or UNASSIGNED, {"reference": reference})
                        for reference, counter in erased.references
                    ]
                    await session.enqueue(notices, now)
        return replies

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
        )


def _command(inbound: Inbound) -> bool:
    return (inbound.text or "").lstrip().startswith("/")
