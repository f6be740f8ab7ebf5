"""Webhook arrivals: `storage.arrivals`, the updates Telegram pushed, drained per chat in order.

Telegram may push several updates of one chat at once, to different replicas behind a load
balancer: each replica writes what it receives here (a repeated `update_id` is dropped), and
the updates of a chat are then processed one at a time, in `update_id` order, by whichever
replica claims the chat's oldest waiting update. An update is taken only when every id just
below it has arrived too (`window` ids: those Telegram may still be pushing at the same time),
or once it has waited `hold`: a later update never overtakes an earlier one still in flight.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from bot.services.ports import JsonObject

# A waiting update the sweeper looks at only after this long: a live drain takes it sooner.
SWEEP_AFTER = dt.timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Arrival:
    """A chat's oldest waiting update, claimed; `ready` when nothing earlier may still come."""

    update_id: int
    payload: JsonObject
    attempts: int
    ready: bool


class Arrivals(Protocol):
    """The updates pushed to the webhook, shared by every replica of one database."""

    async def receive(
        self, channel: str, update_id: int, chat: str, payload: JsonObject, at: dt.datetime
    ) -> bool:
        """Keep an update until processed; False when its id was already received."""

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
        """Mark `finished` done (the chat's update just processed), then claim the chat's
        oldest waiting update until `until` (None: nothing waits, or another replica has it);
        the claim stands even when the update is not ready yet."""

    async def done(self, channel: str, update_id: int, at: dt.datetime) -> None:
        """The update is processed (or given up): the chat's next one may go."""

    async def release(self, channel: str, update_id: int, failed: bool) -> None:
        """Let another replica have the update (`failed`: counting an attempt)."""

    async def waiting(self, channel: str, now: dt.datetime, limit: int) -> list[str]:
        """Chats whose oldest waiting update nobody holds (a replica died, a hold ran out)."""

    async def is_done(self, channel: str, update_id: int) -> bool:
        """Whether the update was processed (or is forgotten)."""

    async def forget(self, channel: str, before: dt.datetime, keep: int) -> int:
        """Drop the processed updates received before `before` but the `keep` newest ids (the
        next update follows them); how many."""
