"""Telegram updates as channel-neutral inbound messages."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.core.conversation import ChatRef, Inbound, Location
from bot.core.dialog.render import ASIDE, SEPARATOR
from bot.core.models import Language

CHANNEL = "telegram"
# The origin of a press on a lasting button (« Détails »): it answers aside, so no keyboard
# is removed (not its own, which must stay pressable, nor the current question's).
LASTING_ORIGIN = "aside"


def inbound(update: Update) -> Inbound:
    """The channel-neutral form of an update from a private chat."""
    chat = update.effective_chat
    assert chat is not None
    user = update.effective_user
    language: Language = "en" if user and (user.language_code or "").startswith("en") else "fr"
    ref = ChatRef(CHANNEL, str(chat.id))
    common: dict[str, Any] = {"update_id": update.update_id, "language": language}
    query = update.callback_query
    if query is not None:
        origin = str(query.message.message_id) if query.message is not None else None
        if (query.data or "").startswith(ASIDE + SEPARATOR):
            origin = LASTING_ORIGIN
        return Inbound(ref, button=query.data or "", origin=origin, **common)
    message = update.message
    if message is None:  # an edited message, a reaction…: answered kindly, then re-asked
        return Inbound(ref, **common)
    if message.location is not None:
        where = Location(message.location.latitude, message.location.longitude)
        return Inbound(ref, location=where, **common)
    if message.text is None:
        return Inbound(ref, **common)  # sticker, photo, voice, document
    text = message.text
    campaign = None
    if text.startswith("/start "):
        campaign = text.split(maxsplit=1)[1].strip()[:64] or None
    return Inbound(ref, text=text, campaign=campaign, **common)
