"""The webhook's arrivals in memory (one process), as the SQL ones."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.services.ports import JsonObject
from bot.services.ports_arrivals import SWEEP_AFTER, Arrival
from bot.storage.keys import aware, json_copy


@dataclasses.dataclass(slots=True)
class _Arrived:
    chat: str
    payload: JsonObject
    received_at: dt.datetime
    attempts: int = 0
    claimed_by: str | None = None
    claimed_until: dt.datetime | None = None
    done_at: dt.datetime | None = None

    def free(self, now: dt.datetime, holder: str | None = None) -> bool:
        until = self.claimed_until
        return until is None or until <= now or (holder is not None and self.claimed_by == holder)


class MemoryArrivals:
    """The updates pushed to the webhook, in memory."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, int], _Arrived] = {}

    async def receive(
        self, channel: str, update_id: int, chat: str, payload: JsonObject, at: dt.datetime
    ) -> bool:
        """Keep an update until processed; False when its id was already received."""
        if (channel, update_id) in self._rows:
            return False
        self._rows[channel, update_id] = _Arrived(chat, json_copy(payload), aware(at))
        return True

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
        ready."""
        if finished is not None:
            await self.done(channel, finished, now)
        waiting = [
            i for (c, i), row in self._rows.items()
            if c == channel and row.chat == chat and row.done_at is None
        ]  # fmt: skip
        if not waiting:
            return None
        head = min(waiting)
        row = self._rows[channel, head]
        if not row.free(now, holder):
            return None
        row.claimed_by, row.claimed_until = holder, until
        ids = [i for c, i in self._rows if c == channel]
        low = max(min(ids), head - window)
        present = sum(low <= i < head for i in ids)
        ready = row.received_at <= now - hold or present >= head - low
        return Arrival(head, json_copy(row.payload), row.attempts, ready)

    async def done(self, channel: str, update_id: int, at: dt.datetime) -> None:
        """The update is processed: the chat's next one may go."""
        row = self._rows.get((channel, update_id))
        if row is not None:
            row.done_at, row.claimed_by, row.claimed_until = aware(at), None, None

    async def release(self, channel: str, update_id: int, failed: bool) -> None:
        """Let another replica have the update (`failed`: counting an attempt)."""
        row = self._rows.get((channel, update_id))
        if row is not None:
            row.attempts += failed
            row.claimed_by, row.claimed_until = None, None

    async def waiting(self, channel: str, now: dt.datetime, limit: int) -> list[str]:
        """Chats with an update nobody holds, received over a second ago."""
        chats: dict[str, int] = {}
        for (c, update_id), row in sorted(self._rows.items()):
            if (
                c == channel
                and row.done_at is None
                and row.received_at <= now - SWEEP_AFTER
                and row.free(now)
            ):
                chats.setdefault(row.chat, update_id)
        return sorted(chats, key=chats.__getitem__)[:limit]

    async def is_done(self, channel: str, update_id: int) -> bool:
        """Whether the update was processed (or is forgotten)."""
        row = self._rows.get((channel, update_id))
        return row is None or row.done_at is not None

    async def forget(self, channel: str, before: dt.datetime, keep: int) -> int:
        """Drop the processed updates received before `before`, but the `keep` newest ids."""
        newest = max((i for c, i in self._rows if c == channel), default=0)
        gone = [
            key for key, row in self._rows.items()
            if key[0] == channel and row.done_at is not None and row.received_at < before
            and key[1] <= newest - keep
        ]  # fmt: skip
        for key in gone:
            del self._rows[key]
        return len(gone)
