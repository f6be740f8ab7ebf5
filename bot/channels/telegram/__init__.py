"""The Telegram channel: python-telegram-bot as transport; updates in, replies out, in limits."""

from bot.channels.telegram.channel import POLL_TIMEOUT, TelegramChannel, valid_update_id
from bot.channels.telegram.inbound import CHANNEL
from bot.channels.telegram.outbound import TelegramOutbound
from bot.channels.telegram.render import MAX_TEXT, keyboard, merge_lead_ins, split_text
from bot.channels.telegram.sender import Pace, Sender
from bot.channels.telegram.transport import AiohttpRequest, api_call

__all__ = [
    "CHANNEL",
    "MAX_TEXT",
    "POLL_TIMEOUT",
    "AiohttpRequest",
    "Pace",
    "Sender",
    "TelegramChannel",
    "TelegramOutbound",
    "api_call",
    "keyboard",
    "merge_lead_ins",
    "split_text",
    "valid_update_id",
]
