"""The webhook's arrivals in SQL: a chat's oldest waiting update claimed in one statement.

The claim is `UPDATE … WHERE update_id = (the chat's oldest waiting) AND (free, expired or
ours) RETURNING`: on PostgreSQL a second replica claiming the same row waits for the first
one's commit, then sees its claim and takes nothing; SQLite serialises the writers anyway.
Whether the claimed update is ready is then read in one snapshot: the ids of the window below
it that have arrived, and whether an older update of the chat came in meanwhile.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.services.ports import JsonObject
from bot.services.ports_arrivals import SWEEP_AFTER, Arrival
from bot.storage.arrival_table import ArrivalRow as A
from bot.storage.connection import SqlDatabase
from bot.storage.keys import aware

_RECEIVE = {
    "sqlite": sqlite.insert(A).on_conflict_do_nothing().returning(A.update_id),
    "postgresql": postgresql.insert(A).on_conflict_do_nothing().returning(A.update_id),
}


# The statements, built once (their SQL is compiled once per dialect, then only bound).
_HEAD = (
    select(func.min(A.update_id))
    .where(A.channel == bindparam("b_channel"), A.chat == bindparam("b_chat"), A.done_at.is_(None))
    .scalar_subquery()
)
_CLAIM = (
    update(A)
    .where(
        A.channel == bindparam("b_channel"),
        A.update_id == _HEAD,
        or_(
            A.claimed_until.is_(None),
            A.claimed_until <= bindparam("b_now"),
            A.claimed_by == bindparam("b_me"),
        ),
    )
    .values(claimed_by=bindparam("b_holder"), claimed_until=bindparam("b_until"))
    .returning(A.update_id, A.payload, A.attempts, A.received_at)
)
_LOWEST = select(func.min(A.update_id)).where(A.channel == bindparam("b_channel")).scalar_subquery()
_BELOW = bindparam("b_below", type_=BigInteger)
_FLOOR = _BELOW - bindparam("b_window", type_=BigInteger)
_LOW = case((_LOWEST > _FLOOR, _LOWEST), else_=_FLOOR)
_COMPLETE = select(
    _LOW.label("low"),
    select(func.count())
    .where(
        A.channel == bindparam("b_channel"),
        A.update_id >= _LOW,
        A.update_id < _BELOW,
    )
    .scalar_subquery()
    .label("present"),
    select(func.count())
    .where(
        A.channel == bindparam("b_channel"),
        A.chat == bindparam("b_chat"),
        A.done_at.is_(None),
        A.update_id < _BELOW,
    )
    .scalar_subquery()
    .label("older"),
)
_DONE = (
    update(A)
    .where(A.channel == bindparam("b_channel"), A.update_id == bindparam("b_id"))
    .values(done_at=bindparam("b_at"), claimed_by=None, claimed_until=None)
)


class SqlArrivals:
    """The updates pushed to the webhook, in SQL."""

    def __init__(self, database: SqlDatabase) -> None:
        self.database = database

    async def receive(
        self, channel: str, update_id: int, chat: str, payload: JsonObject, at: dt.datetime
    ) -> bool:
        """Keep an update until processed; False when its id was already received."""
        row = {
            "channel": channel,
            "update_id": update_id,
            "chat": chat,
            "payload": payload,
            "received_at": aware(at),
            "attempts": 0,
        }
        async with self.database.transaction() as connection:
            kept = await connection.execute(_RECEIVE[self.database.dialect], row)
            return kept.first() is not None

    async def claim(
        self,
        channel: str,
        chat: str,
        holder: str,
        until: dt.datetime,
        now: dt.datetime,
        window: int,
        hold: dt.timedelta,
        finished: int | None = None,
    ) -> Arrival | None:
        """Mark `finished` done, then claim the chat's oldest waiting update; whether it is
        ready, read in one snapshot (all in one transaction)."""
        aware(now)
        async with self.database.transaction() as connection:
            if finished is not None:
                done = {"b_channel": channel, "b_id": finished, "b_at": now}
                await connection.execute(_DONE, done)
            values = {
                "b_channel": channel,
                "b_chat": chat,
                "b_now": now,
                "b_me": holder,
                "b_holder": holder,
                "b_until": aware(until),
            }
            claimed = (await connection.execute(_CLAIM, values)).first()
            if claimed is None:
                return None
            ready = claimed.received_at <= now - hold
            if not ready:
                bounds = {
                    "b_channel": channel,
                    "b_chat": chat,
                    "b_below": claimed.update_id,
                    "b_window": window,
                }
                row = (await connection.execute(_COMPLETE, bounds)).one()
                ready = row.older == 0 and row.present >= claimed.update_id - row.low
        return Arrival(claimed.update_id, claimed.payload, claimed.attempts, ready)

    async def done(self, channel: str, update_id: int, at: dt.datetime) -> None:
        """The update is processed: the chat's next one may go."""
        async with self.database.transaction() as connection:
            await connection.execute(
                _DONE, {"b_channel": channel, "b_id": update_id, "b_at": aware(at)}
            )

    async def release(self, channel: str, update_id: int, failed: bool) -> None:
        """Let another replica have the update (`failed`: counting an attempt)."""
        values: dict[str, Any] = {"claimed_by": None, "claimed_until": None}
        if failed:
            values["attempts"] = A.attempts + 1
        await self._set(channel, update_id, values)

    async def _set(self, channel: str, update_id: int, values: dict[str, Any]) -> None:
        statement = update(A).where(A.channel == channel, A.update_id == update_id).values(**values)
        async with self.database.transaction() as connection:
            await connection.execute(statement)

    async def waiting(self, channel: str, now: dt.datetime, limit: int) -> list[str]:
        """Chats with an update nobody holds, received over a second ago."""
        aware(now)
        query = (
            select(A.chat)
            .where(
                A.channel == channel,
                A.done_at.is_(None),
                A.received_at <= now - SWEEP_AFTER,
                or_(A.claimed_until.is_(None), A.claimed_until <= now),
            )
            .group_by(A.chat)
            .order_by(func.min(A.update_id))
            .limit(limit)
        )
        async with self.database.transaction() as connection:
            return [str(chat) for chat in (await connection.execute(query)).scalars()]

    async def is_done(self, channel: str, update_id: int) -> bool:
        """Whether the update was processed (or is forgotten)."""
        query = select(A.done_at.is_not(None)).where(A.channel == channel, A.update_id == update_id)
        async with self.database.transaction() as connection:
            found = await connection.scalar(query)
        return found is None or bool(found)

    async def forget(self, channel: str, before: dt.datetime, keep: int) -> int:
        """Drop the processed updates received before `before`, but the `keep` newest ids."""
        newest = select(func.max(A.update_id)).where(A.channel == channel).scalar_subquery()
        statement = delete(A).where(
            A.channel == channel,
            A.done_at.is_not(None),
            A.received_at < aware(before),
            A.update_id <= newest - keep,
        )
        async with self.database.transaction() as connection:
            result = await connection.execute(statement)
            return int(result.rowcount or 0)
