"""The leads' work carried by the outbox: a filed lead routed, an erasure shown, a text relayed."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.core.routing import Assignment
from bot.services.leads import LeadService
from bot.services.ports import Notice, QueuedNotice
from bot.services.relay import Relay

log = logging.getLogger(__name__)
CHANNEL = "leads"  # outbox recipients `leads:CPT-2026-000123`, in order per lead
LEAD = "lead"  # a pre-application was filed: route it
LEAD_FORGOTTEN = "lead_forgotten"  # its citizen erased their data: say so on its cards
RELAY_IN = "relay_in"  # the citizen wrote while a relay is open: pass it on


def lead_notice(
    kind: str, reference: str, text: str | None = None, decided: Assignment | None = None
) -> Notice:
    """A row of work on a lead, written in the transaction that causes it.

    A filed lead's row carries the assignment its filing named to the citizen (`decided`).
    """
    payload: dict[str, object] = {"reference": reference}
    if text is not None:
        payload["text"] = text
    if decided is not None:
        payload["assigned"] = {"counter": decided.counter_id, "reason": decided.reason}
    return Notice(kind, f"{CHANNEL}:{reference}", payload)


def decided(payload: Mapping[str, object]) -> Assignment | None:
    """The assignment a filed lead's row carries, if it carries one."""
    assigned = payload.get("assigned")
    if not isinstance(assigned, Mapping):
        return None
    counter, why = assigned.get("counter"), assigned.get("reason")
    return Assignment(
        counter if isinstance(counter, str) else None, why if isinstance(why, str) else None
    )


class LeadDesk:
    """Consumes the leads' rows of the outbox: each is done once, a lead's in order."""

    channel = CHANNEL

    def __init__(self, service: LeadService, relay: Relay) -> None:
        self.service = service
        self.relay = relay

    async def consume(self, notice: QueuedNotice) -> None:
        """Do one row's work (again after a crash: each is idempotent)."""
        reference = notice.recipient.partition(":")[2]
        if notice.kind == LEAD:
            await self.service.route_filed(reference, decided(notice.payload))
        elif notice.kind == LEAD_FORGOTTEN:
            await self.service.forgotten(reference)
        elif notice.kind == RELAY_IN:
            text = str(notice.payload.get("text", ""))
            await self.relay.from_citizen(reference, text, notice.id)
        else:
            log.error("leads: a row of unknown kind %s, skipped", notice.kind)
