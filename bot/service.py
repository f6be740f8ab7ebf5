"""The async orchestrator: lock the chat, load its state, advance the engine, persist the turn."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from bot.core.conversation import Button, Context, Event, Inbound, Place, Reply
from bot.core.engine import REFERENCE_PLACEHOLDER, Engine, State, Turn
from bot.ports import ChatSession, Conversation, OutboxMessage, PreApplicationDraft, Store

log = logging.getLogger(__name__)
REPLIES = "replies"  # outbox kind: replies that must reach a citizen
SYSTEM_CHAT = "system:notices"
Working = Callable[[], None]  # must return at once: the turn's transaction is open
Deliver = Callable[[str, list[Reply]], Awaitable[None]]
RETENTION = dt.timedelta(days=365)
# A conversation left this long before its end counts as abandoned at the node it stood on.
ABANDONED_AFTER = dt.timedelta(hours=48)


def utc_now() -> dt.datetime:
    """The current time, timezone-aware."""
    return dt.datetime.now(dt.UTC)


class Service:
    """Serialises each conversation and persists every turn in one transaction."""

    def __init__(
        self, engine: Engine, store: Store, clock: Callable[[], dt.datetime] = utc_now
    ) -> None:
        self.engine = engine
        self.store = store
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        self._queued: set[str] = set()  # channels with durable replies queued by this process

    async def handle(self, inbound: Inbound, working: Working | None = None) -> list[Reply]:
        """Process one inbound message; a repeated update id returns no reply.

        Durable replies (a filing confirmation) are not returned: they wait in the outbox,
        written in the same transaction, until `deliver` hands them to the channel.
        `working` is called when the answer will run the match, for a « typing… » hint; it
        must not block (a channel sends its hint in the background).
        """
        key = inbound.chat.key
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                return await self._handle(inbound, working)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle locks so memory follows active chats
                del self._waiting[key], self._locks[key]

    async def _handle(self, inbound: Inbound, working: Working | None) -> list[Reply]:
        key = inbound.chat.key
        now = self.clock()
        context = Context(now=now, today=now.date())
        async with self.store.chat(key) as session:
            if inbound.update_id is not None and not await session.claim_update(inbound.update_id):
                return []
            stored = await session.conversation()
            state = State.from_json(stored.state) if stored else None
            if stored is not None and state is not None and self._abandoned(stored, state, now):
                idle = (now - (stored.updated_at or now)).days
                await session.log([Event("abandoned", stored.node, {"idle_days": idle})], now)
            if working is not None and self.engine.about_to_match(state):
                working()
            turn = self.engine.advance(state, inbound, context)
            replies = list(turn.replies)
            kinds = {effect.kind for effect in turn.effects}
            for effect in turn.effects:
                if effect.kind == "file_pre_application":
                    replies = await self._file(session, key, effect.payload, now, replies)
            durable = [reply for reply in replies if reply.durable]
            if durable:
                replies = [reply for reply in replies if not reply.durable]
                kind = f"{REPLIES}:{inbound.chat.channel}"  # each channel delivers its own
                message = OutboxMessage(kind, key, {"replies": [_dump(r) for r in durable]})
                await session.enqueue([message], now)
                self._queued.add(inbound.chat.channel)
            if "forget" not in kinds:
                await session.save(self._conversation(key, turn, stored, now))
                await session.log(turn.events, now)
        if "export" in kinds:
            document = json.dumps(await self.store.export(key), ensure_ascii=False, indent=2)
            replies = _attach(replies, document)
        if "forget" in kinds:
            await self._forget(key, now)
        return replies

    async def _forget(self, key: str, now: dt.datetime) -> None:
        """Delete a citizen's data; counters holding one of their leads are told."""
        filed = (await self.store.export(key)).get("pre_applications", [])
        await self.store.forget(key, now)
        notices = [
            OutboxMessage(
                "lead_forgotten", p["counter_id"] or "unassigned", {"reference": p["reference"]}
            )
            for p in filed
        ]
        if notices:  # under a neutral key: no row may keep the forgotten chat's id
            async with self.store.chat(SYSTEM_CHAT) as session:
                await session.enqueue(notices, now)

    async def _file(
        self,
        session: ChatSession,
        key: str,
        payload: dict[str, Any],
        now: dt.datetime,
        replies: list[Reply],
    ) -> list[Reply]:
        consent = payload.get("consent_at")
        draft = PreApplicationDraft(
            chat_key=key,
            idempotency_key=str(payload["idempotency_key"]),
            profile=dict(payload["profile"]),
            match_snapshot=dict(payload["match_snapshot"]),
            contact=dict(payload["contact"]),
            consent_at=dt.datetime.fromisoformat(str(consent)) if consent else now,
            consent_version=str(payload["consent_version"]),
            counter_id=str(payload["counter_id"]) if payload.get("counter_id") else None,
        )
        filed = await session.file(draft, now)
        await session.enqueue(
            [
                OutboxMessage(
                    kind="lead",
                    recipient=filed.counter_id or "unassigned",
                    payload={"reference": filed.reference},
                )
            ],
            now,
        )
        log.info("pre-application %s filed for counter %s", filed.reference, filed.counter_id)
        return [
            replace(r, text=r.text.replace(REFERENCE_PLACEHOLDER, filed.reference)) for r in replies
        ]

    def _abandoned(self, stored: Conversation, state: State, now: dt.datetime) -> bool:
        """Whether the citizen left mid-way long enough ago (noted when they come back)."""
        if stored.updated_at is None or now - stored.updated_at < ABANDONED_AFTER:
            return False
        return state.started and not self.engine.finished(state)

    def _conversation(
        self, key: str, turn: Turn, stored: Conversation | None, now: dt.datetime
    ) -> Conversation:
        state = turn.state
        return Conversation(
            chat_key=key,
            state=state.to_json(),
            tree_version=state.tree_version,
            node=state.node,
            version=(stored.version + 1) if stored else 1,
            language=state.language,
            campaign=state.campaign,
            updated_at=now,
        )

    def queued(self, channel: str) -> bool:
        """Whether this process queued durable replies for a channel since the last delivery."""
        return channel in self._queued

    async def deliver(self, channel: str, send: Deliver, limit: int = 50) -> int:
        """Hand due outbox replies of one channel to `send`; failures are retried later."""
        self._queued.discard(channel)
        now = self.clock()
        delivered = 0
        for message in await self.store.due(now, limit, kinds=[f"{REPLIES}:{channel}"]):
            chat_id = message.recipient.split(":", 1)[1]
            try:
                await send(chat_id, [_load(r) for r in message.payload["replies"]])
            except Exception:  # any failure: try again later, never lose it
                log.warning(
                    "outbox message %s not delivered, attempt %s", message.id, message.attempts + 1
                )
                backoff = min(2**message.attempts, 300)
                await self.store.failed(message.id, now + dt.timedelta(seconds=backoff))
                continue
            await self.store.delivered(message.id, self.clock())
            delivered += 1
        return delivered

    async def purge(self) -> int:
        """Delete conversations idle for longer than the retention period."""
        return await self.store.purge(self.clock() - RETENTION)


def _dump(reply: Reply) -> dict[str, Any]:
    """A reply as JSON for the outbox."""
    return dataclasses.asdict(reply)


def _load(data: dict[str, Any]) -> Reply:
    """A reply back from the outbox."""
    place = data.get("place")
    buttons = tuple(tuple(Button(**b) for b in row) for row in data.get("buttons", ()))
    return Reply(**{**data, "buttons": buttons, "place": Place(**place) if place else None})


def _attach(replies: list[Reply], document: str) -> list[Reply]:
    """Attach the export document to the first reply (the « here is your data » message)."""
    if not replies:
        return replies
    return [replace(replies[0], document=document), *replies[1:]]
