"""Outbox rows of replies and messages, and how a failed one waits before its next try."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.core.conversation import ChatRef, Reply
from bot.services.ports import Delivery, Notice, QueuedNotice
from bot.services.replies import reply_from_json, reply_json

__all__ = [
    "REPLY",
    "backoff",
    "delivery",
    "error_name",
    "message_notice",
    "reply_from_json",
    "reply_json",
    "reply_notices",
]

REPLY = "reply"  # the kind of a citizen's reply in the outbox


def reply_notices(
    chat: ChatRef, replies: Sequence[Reply], origin: str | None = None
) -> list[Notice]:
    """A turn's replies as outbox rows, in order; the first carries the pressed message's id."""
    return [
        Notice(
            kind=REPLY,
            recipient=chat.key,
            payload={"reply": reply_json(reply), "origin": origin, "first": index == 0},
        )
        for index, reply in enumerate(replies)
    ]


def delivery(notice: QueuedNotice) -> Delivery:
    """The delivery an outbox row of a reply stands for."""
    channel, _, chat_id = notice.recipient.partition(":")
    payload = notice.payload
    origin = payload.get("origin")
    return Delivery(
        chat=ChatRef(channel, chat_id),
        reply=reply_from_json(payload["reply"]),
        origin=str(origin) if origin is not None else None,
        first=bool(payload.get("first")),
        conversation=bool(payload.get("conversation", True)),
        seq=notice.id,
    )


def message_notice(kind: str, recipient: str, reply: Reply) -> Notice:
    """A message outside a conversation (to advisors, a relayed text): no keyboard is replaced."""
    return Notice(kind, recipient, {"reply": reply_json(reply), "conversation": False})


def backoff(attempts: int, cap: float = 30.0) -> dt.timedelta:
    """How long to wait before trying a message again after `attempts` failures."""
    return dt.timedelta(seconds=min(cap, 2.0 ** max(attempts, 0)))


def error_name(error: BaseException) -> str:
    """An error's kind, never its message (it may carry a token, a chat id or a text)."""
    cause = error.__cause__
    return f"{type(error).__name__}({type(cause).__name__})" if cause else type(error).__name__
