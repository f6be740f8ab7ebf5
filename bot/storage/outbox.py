"""The outbox in SQL: messages waiting for delivery, in order per recipient, with retries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import bindparam, delete, func, insert, select, update

from bot.services.ports import Notice, QueuedNotice
from bot.storage.connection import Executor, SqlDatabase
from bot.storage.guard import refuse_nesting
from bot.storage.keys import aware
from bot.storage.tables import OutboxRow

REPLY = "reply"
_WAITING = (OutboxRow.delivered_at.is_(None), OutboxRow.dead_at.is_(None))
_QUEUED = (
    select(
        OutboxRow.id,
        OutboxRow.kind,
        OutboxRow.recipient,
        OutboxRow.payload,
        OutboxRow.attempts,
        OutboxRow.created_at,
        OutboxRow.next_attempt_at,
    )
    .where(OutboxRow.recipient == bindparam("b_recipient"), *_WAITING)
    .order_by(OutboxRow.id)
    .limit(bindparam("b_limit"))
)
_INSERT_NOTICES = insert(OutboxRow).returning(OutboxRow.id, sort_by_parameter_order=True)
_DELETE_REPLIES = delete(OutboxRow).where(
    OutboxRow.id.in_(bindparam("b_ids", expanding=True)), OutboxRow.kind == REPLY
)
_MARK_DELIVERED = (
    update(OutboxRow)
    .where(OutboxRow.id.in_(bindparam("b_ids", expanding=True)), OutboxRow.delivered_at.is_(None))
    .values(delivered_at=bindparam("b_at"))
)


async def write_notices(
    connection: Executor, notices: Sequence[Notice], at: dt.datetime
) -> list[QueuedNotice]:
    """Add messages to the outbox in the caller's transaction; the rows as written, in order."""
    aware(at)
    if not notices:
        return []
    result = await connection.execute(
        _INSERT_NOTICES,
        [
            {
                "kind": n.kind,
                "recipient": n.recipient,
                "payload": n.payload,
                "created_at": at,
                "attempts": 0,
                "next_attempt_at": at,
            }
            for n in notices
        ],
    )
    ids = [row.id for row in result.all()]
    return [
        QueuedNotice(i, n.kind, n.recipient, n.payload, 0, at)
        for i, n in zip(ids, notices, strict=True)
    ]


class SqlOutbox:
    """Messages to deliver; a citizen's reply is deleted once delivered (it holds their words)."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    async def recipients(self, prefix: str, now: dt.datetime, limit: int) -> list[str]:
        """Recipients (whose key starts with `prefix`) whose first waiting message is due."""
        refuse_nesting("recipients")
        aware(now)
        first = (
            select(func.min(OutboxRow.id).label("id"))
            .where(*_WAITING, OutboxRow.recipient.startswith(prefix, autoescape=True))
            .group_by(OutboxRow.recipient)
            .subquery()
        )
        query = (
            select(OutboxRow.recipient)
            .join(first, OutboxRow.id == first.c.id)
            .where(OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        async with self._database.transaction() as connection:
            return [row.recipient for row in (await connection.execute(query)).all()]

    async def queued(self, recipient: str, now: dt.datetime, limit: int) -> list[QueuedNotice]:
        """A recipient's waiting messages in order; none while the first is not due."""
        refuse_nesting("queued")
        aware(now)
        async with self._database.transaction() as connection:
            rows = (
                await connection.execute(_QUEUED, {"b_recipient": recipient, "b_limit": limit})
            ).all()
        if not rows or rows[0].next_attempt_at > now:
            return []
        return [
            QueuedNotice(
                id=row.id,
                kind=row.kind,
                recipient=row.recipient,
                payload=row.payload,
                attempts=row.attempts,
                created_at=row.created_at,
            )
            for row in rows
        ]

    async def delivered(self, notice_ids: Sequence[int], at: dt.datetime) -> None:
        """Messages reached their recipient (a citizen's reply is deleted at once)."""
        refuse_nesting("delivered")
        aware(at)
        if not notice_ids:
            return
        ids = list(notice_ids)
        async with self._database.transaction() as connection:
            deleted = await connection.execute(_DELETE_REPLIES, {"b_ids": ids})
            if deleted.rowcount != len(ids):
                await connection.execute(_MARK_DELIVERED, {"b_ids": ids, "b_at": at})

    async def failed(self, notice_id: int, retry_at: dt.datetime, error: str) -> None:
        """Count a failed attempt and schedule the next one."""
        refuse_nesting("failed")
        aware(retry_at)
        async with self._database.transaction() as connection:
            await connection.execute(
                update(OutboxRow)
                .where(OutboxRow.id == notice_id, *_WAITING)
                .values(attempts=OutboxRow.attempts + 1, next_attempt_at=retry_at, error=error)
            )

    async def dead(self, notice_id: int, at: dt.datetime, error: str) -> None:
        """A message that can never be delivered (refused as malformed): stop trying."""
        refuse_nesting("dead")
        aware(at)
        async with self._database.transaction() as connection:
            await connection.execute(
                update(OutboxRow)
                .where(OutboxRow.id == notice_id, *_WAITING)
                .values(dead_at=at, error=error)
            )

    async def unreachable(self, recipient: str, at: dt.datetime, error: str) -> int:
        """The recipient blocked us: stop trying every message to them; return how many."""
        refuse_nesting("unreachable")
        aware(at)
        async with self._database.transaction() as connection:
            result = await connection.execute(
                update(OutboxRow)
                .where(OutboxRow.recipient == recipient, *_WAITING)
                .values(dead_at=at, error=error)
            )
            return int(result.rowcount)

    async def readdress(self, old: str, new: str) -> int:
        """Send what still waits for a recipient to its new address instead (a supergroup)."""
        refuse_nesting("readdress")
        async with self._database.transaction() as connection:
            result = await connection.execute(
                update(OutboxRow).where(OutboxRow.recipient == old, *_WAITING).values(recipient=new)
            )
            return int(result.rowcount)

    async def retry_now(self, prefix: str, now: dt.datetime) -> int:
        """Make every failed message of these recipients due again (the channel is back)."""
        refuse_nesting("retry_now")
        aware(now)
        async with self._database.transaction() as connection:
            result = await connection.execute(
                update(OutboxRow)
                .where(*_WAITING, OutboxRow.attempts > 0, OutboxRow.next_attempt_at > now)
                .where(OutboxRow.recipient.startswith(prefix, autoescape=True))
                .values(next_attempt_at=now)
            )
            return int(result.rowcount)

    async def backlog(self, now: dt.datetime) -> int:
        """How many messages are due and waiting (a count, read off the event loop)."""
        aware(now)
        query = (
            select(func.count())
            .select_from(OutboxRow)
            .where(*_WAITING, OutboxRow.next_attempt_at <= now)
        )
        return int(await self._database.read(lambda connection: connection.scalar(query) or 0))
