"""The outbox in memory: the same order, retries and give-ups as the SQL outbox."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from bot.services.ports import Notice, QueuedNotice
from bot.storage.guard import refuse_nesting
from bot.storage.keys import aware, json_copy
from bot.storage.memory.state import MemoryDatabase, StoredNotice, utc

REPLY = "reply"


def stage_notices(
    db: MemoryDatabase, notices: Sequence[Notice], at: dt.datetime
) -> tuple[list[StoredNotice], list[QueuedNotice]]:
    """Outbox rows for a session to add on commit, and the rows as the caller gets them."""
    when = utc(at)
    staged, written = [], []
    for n in notices:
        db.last_notice_id += 1  # ids of a rolled-back block are not reused: gaps
        stored = StoredNotice(
            id=db.last_notice_id,
            notice=dataclasses.replace(n, payload=json_copy(n.payload)),
            created_at=when,
            next_attempt_at=when,
        )
        staged.append(stored)
        written.append(QueuedNotice(stored.id, n.kind, n.recipient, n.payload, 0, when))
    return staged, written


class MemoryOutbox:
    """Messages to deliver; a citizen's reply is deleted once delivered."""

    def __init__(self, database: MemoryDatabase) -> None:
        self._db = database

    async def recipients(self, prefix: str, now: dt.datetime, limit: int) -> list[str]:
        """Recipients (whose key starts with `prefix`) whose first waiting message is due."""
        refuse_nesting("recipients")
        when = utc(now)
        first: dict[str, StoredNotice] = {}
        for notice in sorted(self._db.outbox.values(), key=lambda n: n.id):
            recipient = notice.notice.recipient
            if notice.waiting and recipient.startswith(prefix):
                first.setdefault(recipient, notice)
        due = [
            r for r, n in sorted(first.items(), key=lambda i: i[1].id) if n.next_attempt_at <= when
        ]
        return due[:limit]

    async def queued(self, recipient: str, now: dt.datetime, limit: int) -> list[QueuedNotice]:
        """A recipient's waiting messages in order; none while the first is not due."""
        refuse_nesting("queued")
        when = utc(now)
        waiting = self._db.waiting(recipient)[:limit]
        if not waiting or waiting[0].next_attempt_at > when:
            return []
        return [
            QueuedNotice(
                id=n.id,
                kind=n.notice.kind,
                recipient=n.notice.recipient,
                payload=json_copy(n.notice.payload),
                attempts=n.attempts,
                created_at=n.created_at,
            )
            for n in waiting
        ]

    async def delivered(self, notice_ids: Sequence[int], at: dt.datetime) -> None:
        """Messages reached their recipient (a citizen's reply is deleted at once)."""
        refuse_nesting("delivered")
        aware(at)
        for notice_id in notice_ids:
            notice = self._db.outbox.get(notice_id)
            if notice is None:
                continue
            if notice.notice.kind == REPLY:
                del self._db.outbox[notice_id]
            elif notice.delivered_at is None:
                notice.delivered_at = utc(at)

    async def failed(self, notice_id: int, retry_at: dt.datetime, error: str) -> None:
        """Count a failed attempt and schedule the next one."""
        refuse_nesting("failed")
        when = utc(retry_at)
        notice = self._db.outbox.get(notice_id)
        if notice is not None and notice.waiting:
            notice.attempts += 1
            notice.next_attempt_at = when
            notice.error = error

    async def dead(self, notice_id: int, at: dt.datetime, error: str) -> None:
        """A message that can never be delivered (refused as malformed): stop trying."""
        refuse_nesting("dead")
        when = utc(at)
        notice = self._db.outbox.get(notice_id)
        if notice is not None and notice.waiting:
            notice.dead_at, notice.error = when, error

    async def unreachable(self, recipient: str, at: dt.datetime, error: str) -> int:
        """The recipient blocked us: stop trying every message to them; return how many."""
        refuse_nesting("unreachable")
        when = utc(at)
        waiting = self._db.waiting(recipient)
        for notice in waiting:
            notice.dead_at, notice.error = when, error
        return len(waiting)

    async def readdress(self, old: str, new: str) -> int:
        """Send what still waits for a recipient to its new address instead (a supergroup)."""
        refuse_nesting("readdress")
        waiting = self._db.waiting(old)
        for stored in waiting:
            stored.notice = dataclasses.replace(stored.notice, recipient=new)
        return len(waiting)

    async def retry_now(self, prefix: str, now: dt.datetime) -> int:
        """Make every failed message of these recipients due again (the channel is back)."""
        refuse_nesting("retry_now")
        when = utc(now)
        count = 0
        for notice in self._db.outbox.values():
            if (
                notice.waiting
                and notice.attempts > 0
                and notice.next_attempt_at > when
                and notice.notice.recipient.startswith(prefix)
            ):
                notice.next_attempt_at = when
                count += 1
        return count

    async def backlog(self, now: dt.datetime) -> int:
        """How many messages are due and waiting."""
        when = utc(now)
        return sum(n.waiting and n.next_attempt_at <= when for n in self._db.outbox.values())
