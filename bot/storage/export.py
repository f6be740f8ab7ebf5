"""The shape of a GDPR access export, the same for every store: JSON-ready, dates in ISO 8601."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bot.ports import Conversation, PreApplication


def export_document(
    chat_key: str,
    conversation: Conversation | None,
    created_at: dt.datetime | None,
    pre_applications: Sequence[PreApplication],
    events: int,
    processed_updates: int,
) -> dict[str, Any]:
    """Everything stored about one chat; the event log is pseudonymous, so only counted."""
    return {
        "chat_key": chat_key,
        "conversation": (None if conversation is None else _conversation(conversation, created_at)),
        "pre_applications": [_pre_application(record) for record in pre_applications],
        "events": events,
        "processed_updates": processed_updates,
    }


def _conversation(conversation: Conversation, created_at: dt.datetime | None) -> dict[str, Any]:
    return {
        "state": conversation.state,
        "tree_version": conversation.tree_version,
        "node": conversation.node,
        "version": conversation.version,
        "language": conversation.language,
        "campaign": conversation.campaign,
        "created_at": _iso(created_at),
        "updated_at": _iso(conversation.updated_at),
    }


def _pre_application(record: PreApplication) -> dict[str, Any]:
    return {
        "reference": record.reference,
        "idempotency_key": record.idempotency_key,
        "status": record.status,
        "profile": record.profile,
        "match_snapshot": record.match_snapshot,
        "contact": record.contact,
        "consent_at": _iso(record.consent_at),
        "consent_version": record.consent_version,
        "counter_id": record.counter_id,
        "created_at": _iso(record.created_at),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()
