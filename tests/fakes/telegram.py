"""A fake Telegram Bot API server on 127.0.0.1 that the real python-telegram-bot talks to.

It answers 400 where Telegram does (limits, HTML, edits, callback answers), 409 on polling
conflicts, records every call, injects faults, and plays the citizens (messages, presses).

    async with FakeTelegram(token="123:ABC") as fake:
        bot = Bot("123:ABC", base_url=fake.base_url, base_file_url=fake.base_file_url)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import random
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

__all__ = [
    "Call",
    "CallbackQueryRecord",
    "ChatMessage",
    "FakeTelegram",
    "HtmlError",
    "SentFile",
    "WebhookDelivery",
    "parse_html",
]

JSON = dict[str, Any]
T = TypeVar("T")

# Telegram's documented limits (https://core.telegram.org/bots/api).
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_INLINE_ROW = 8
MAX_CALLBACK_ANSWER = 200
MAX_SECRET_TOKEN = 256
SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")
COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")

# Descriptions as Telegram words them (seen in the wild). The ones marked "ours" have no
# publicly pinned wording; the status code is what matters to python-telegram-bot.
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
MARKUP_TOO_LONG = "Bad Request: reply markup is too long"
ROW_TOO_WIDE = "Bad Request: too many buttons in a row"  # ours
TEXT_BUTTON_INLINE = "Bad Request: text buttons are unallowed in the inline keyboard"
MARKUP_UNPARSABLE = "Bad Request: can't parse reply keyboard markup JSON object"
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
CANT_EDIT = "Bad Request: message can't be edited"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
ANSWER_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"
SECRET_CHARS = "Bad Request: secret token contains unallowed characters"
SECRET_TOO_LONG = "Bad Request: secret token is too long"
PARSE_MODE_INVALID = "Bad Request: unsupported parse_mode"
CHAT_NOT_FOUND = "Bad Request: chat not found"
ACTION_INVALID = "Bad Request: wrong parameter action in request"
COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
COMMAND_DESCRIPTION_INVALID = "Bad Request: command description is invalid"  # ours
FILE_ID_INVALID = "Bad Request: invalid file_id"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
BLOCKED = "Forbidden: bot was blocked by the user"

# fmt: off
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
# fmt: on
# Update types Telegram sends when allowed_updates is empty or was never given.
NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# fmt: off
INLINE_ACTIONS = frozenset({
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
})
# fmt: on

# PTB posts form fields: strings raw, everything else JSON-encoded, so a field is decoded by
# what Telegram expects in it (the text "42" must stay a string, offset "42" is a number).
# fmt: off
_JSON_FIELDS = frozenset({
    "reply_markup", "allowed_updates", "commands", "scope", "entities", "caption_entities",
    "link_preview_options", "reply_parameters", "media",
})
# fmt: on
# fmt: off
_INT_FIELDS = frozenset({
    "message_id", "offset", "limit", "timeout", "max_connections", "message_thread_id",
    "reply_to_message_id", "live_period", "heading", "proximity_alert_radius", "cache_time",
    "user_id", "from_chat_id",
})
# fmt: on
_FLOAT_FIELDS = frozenset({"latitude", "longitude", "horizontal_accuracy"})
# fmt: off
_BOOL_FIELDS = frozenset({
    "disable_notification", "protect_content", "drop_pending_updates", "show_alert",
    "disable_web_page_preview", "allow_sending_without_reply", "disable_content_type_detection",
    "allow_paid_broadcast",
})
# fmt: on


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status, description, optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JSON:
        """The JSON body Telegram sends with this error."""
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, description)


@dataclass
class Call:
    """One request the bot made: decoded params, monotonic arrival time, HTTP status answered."""

    method: str
    params: dict[str, Any]
    at: float
    response_status: int
    response: JSON = field(default_factory=dict)
    injected: bool = False

    @property
    def description(self) -> str | None:
        """Telegram's error description, if the call failed."""
        description = self.response.get("description")
        return description if isinstance(description, str) else None


@dataclass(frozen=True)
class SentFile:
    """A file uploaded in a multipart request (or referred to by file_id)."""

    filename: str | None
    content: bytes
    mime_type: str | None = None
    file_id: str = ""


@dataclass(frozen=True)
class ChatMessage:
    """A message in a chat, as Telegram keeps it (bot's or citizen's)."""

    chat_id: int
    message_id: int
    kind: str  # text, location, venue, document, sticker, photo
    from_bot: bool
    sender: JSON
    date: int
    text: str | None = None  # as displayed: HTML tags parsed away
    raw_text: str | None = None  # as sent
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    location: JSON | None = None
    venue: JSON | None = None
    document: SentFile | None = None
    caption: str | None = None
    media: JSON = field(default_factory=dict)  # sticker / photo objects of citizens' messages
    edit_date: int | None = None
    edits: int = 0
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def buttons(self) -> list[list[JSON]]:
        """Rows of inline buttons (empty without an inline keyboard)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [list(row) for row in rows]

    @property
    def button_texts(self) -> list[str]:
        """Labels of the inline buttons, row after row."""
        return [str(button.get("text", "")) for row in self.buttons for button in row]

    def callback_data(self, label: str) -> str:
        """The callback_data of the inline button labelled `label`."""
        for row in self.buttons:
            for button in row:
                if button.get("text") == label and "callback_data" in button:
                    return str(button["callback_data"])
        raise KeyError(f"no button {label!r} on message {self.message_id}: {self.button_texts}")


@dataclass
class CallbackQueryRecord:
    """A button press and how (whether) the bot answered it."""

    id: str
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    answer_text: str | None = None
    show_alert: bool = False


@dataclass(frozen=True)
class WebhookDelivery:
    """One POST of an update to the bot's webhook (status None: connection failed)."""

    update_id: int
    url: str
    attempt: int
    status: int | None
    secret_token: str | None
    at: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the webhook answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Fault:
    method: str | None
    status: int
    retry_after: int | None
    description: str | None
    remaining: int


# --------------------------------------------------------------------------- HTML (tdlib port)


class HtmlError(ValueError):
    """Telegram's "can't parse entities" error."""


_SPACE = " \t\r\n\v\f"
_NUL = "\0"
# fmt: off
_HTML_TAGS = frozenset({
    "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
    "span", "pre", "code", "blockquote",
})
# fmt: on
_SIMPLE_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_html_entity(source: str, pos: int) -> tuple[str | None, int]:
    """Decode the character reference at `pos` (an '&') like tdlib: (char or None, end)."""

    def at(k: int) -> str:
        return source[k] if k < len(source) else _NUL

    end = pos + 1
    if at(end) == "#":
        end += 1
        code = 0
        if at(end) == "x":
            end += 1
            while at(end) in "0123456789abcdefABCDEF":
                code = code * 16 + int(at(end), 16)
                end += 1
        else:
            while at(end) in "0123456789":
                code = code * 10 + int(at(end))
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None, pos
        char = chr(code)
    else:
        while at(end).isascii() and at(end).isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(source[pos + 1 : end])
        if named is None:
            return None, pos
        char = named
    if at(end) == ";":
        end += 1
    return char, end


def parse_html(source: str, *, strict_ampersand: bool = True) -> tuple[str, list[JSON]]:
    """Parse Telegram HTML into (plain text, entities with UTF-16 offsets), or raise HtmlError.

    A port of tdlib's parser (td/telegram/MessageEntity.cpp), same error wording. One stricter
    rule, on by default: the Bot API documentation requires every '&' that does not start an
    entity to be written &amp; (Telegram itself lets a bare '&' through).
    """

    def at(k: int) -> str:
        return source[k] if k < len(source) else _NUL

    def offset(k: int) -> int:
        return len(source[:k].encode("utf-8"))

    n = len(source)
    out: list[str] = []
    utf16 = 0
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 offset, len(out)
    entities: list[JSON] = []
    i = 0
    while i < n:
        char = source[i]
        if char == "&":
            decoded, end = _decode_html_entity(source, i)
            if decoded is not None:
                if 0xD800 <= ord(decoded) <= 0xDFFF:
                    raise HtmlError(
                        "Text contains invalid Unicode characters after decoding HTML entities, "
                        "check for unmatched surrogate code units"
                    )
                out.append(decoded)
                utf16 += _utf16_len(decoded)
                i = end
                continue
            if strict_ampersand:
                raise HtmlError(f'Unescaped "&" at byte offset {offset(i)}, write &amp;')
        if char != "<":
            out.append(char)
            utf16 += _utf16_len(char)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in _SPACE + _NUL and at(i) != ">":
                i += 1
            if i >= n:
                raise HtmlError(f"Unclosed start tag at byte offset {offset(begin)}")
            tag = source[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {offset(begin)}')
            argument = ""
            while at(i) != ">":
                while i < n and at(i) in _SPACE:
                    i += 1
                if at(i) == ">":
                    break
                name_begin = i
                while at(i) not in _SPACE + _NUL and at(i) not in "=>":
                    i += 1
                name = source[name_begin:i]
                if not name:
                    raise HtmlError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {offset(begin)}'
                    )
                while i < n and at(i) in _SPACE:
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and name.lower() == "expandable":
                        continue
                    raise HtmlError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {offset(begin)}'
                    )
                i += 1
                while i < n and at(i) in _SPACE:
                    i += 1
                if i >= n:
                    raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {offset(begin)}')
                if at(i) not in "'\"":
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-") and i < n:
                        i += 1
                    value = source[token_begin:i].lower()
                    if at(i) not in _SPACE + _NUL and at(i) != ">":
                        raise HtmlError(
                            f"Unexpected end of name token at byte offset {offset(token_begin)}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    chars: list[str] = []
                    while i < n and at(i) != quote:
                        if at(i) == "&":
                            decoded, end = _decode_html_entity(source, i)
                            if decoded is not None:
                                chars.append(decoded)
                                i = end
                                continue
                        chars.append(at(i))
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise HtmlError(f"Unclosed start tag at byte offset {offset(begin)}")
                if tag == "a" and name == "href":
                    argument = value
                elif tag == "code" and name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and name == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise HtmlError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {offset(begin)}'
                )
            stack.append((tag, argument, utf16, len(out)))
        else:
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {offset(begin)}")
            while at(i) not in _SPACE + _NUL and at(i) != ">":
                i += 1
            end_tag = source[begin + 2 : i].lower()
            while i < n and at(i) in _SPACE:
                i += 1
            if at(i) != ">":
                raise HtmlError(f"Unclosed end tag at byte offset {offset(begin)}")
            tag, argument, start, start_out = stack[-1]
            if end_tag and end_tag != tag:
                raise HtmlError(
                    f'Unmatched end tag at byte offset {offset(begin)}, expected "</{tag}>", '
                    f'found "</{end_tag}>"'
                )
            length = utf16 - start
            if length > 0:
                _close_entity(entities, tag, argument, start, length, "".join(out[start_out:]))
            stack.pop()
        i += 1  # past '>'

    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_entity(
    entities: list[JSON], tag: str, argument: str, offset: int, length: int, inner: str
) -> None:
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag in _SIMPLE_ENTITIES:
        entities.append({"type": _SIMPLE_ENTITIES[tag], "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise HtmlError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": argument,
            }
        )
    elif tag == "a":
        entities.append(
            {"type": "text_link", "offset": offset, "length": length, "url": argument or inner}
        )
    elif tag == "pre":
        if same_span and last is not None and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        if same_span and last is not None and last["type"] == "pre" and argument:
            last["language"] = argument
        else:
            entity: JSON = {"type": "code", "offset": offset, "length": length}
            if argument:
                entity["language"] = argument
            entities.append(entity)


# --------------------------------------------------------------------------- request decoding


def _decode_field(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if name in _JSON_FIELDS:
            return json.loads(value)
        if name in _INT_FIELDS:
            return int(value)
        if name in _FLOAT_FIELDS:
            return float(value)
    except ValueError:
        return value
    if name in _BOOL_FIELDS:
        return value.strip().lower() in ("true", "1")
    if name == "chat_id":
        with contextlib.suppress(ValueError):
            return int(value)
    return value


def _inline_keyboard(markup: Any) -> JSON | None:
    """Validate reply_markup; return it when it is an inline keyboard (Telegram echoes those)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad(MARKUP_UNPARSABLE)
    if "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad(MARKUP_UNPARSABLE)
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise _bad(MARKUP_TOO_LONG)
    if any(len(row) > MAX_INLINE_ROW for row in rows):
        raise _bad(ROW_TOO_WIDE)
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not INLINE_ACTIONS & button.keys():
                raise _bad(TEXT_BUTTON_INLINE)
            if "callback_data" in button:
                data = button["callback_data"]
                size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad(BUTTON_DATA_INVALID)
    return markup


# --------------------------------------------------------------------------- the server

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


FAKE_TOKEN = "123:ABC"  # a well-formed token for tests that need no particular one


class FakeTelegram:
    """A Telegram Bot API server for tests: serves the bot, records, injects faults, plays users."""

    def __init__(
        self,
        token: str = FAKE_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "comptoir_test_bot",
        first_name: str = "Comptoir",
        strict_html: bool = True,
        webhook_max_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 10.0,
        first_update_id: int = 500_000_001,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123
        self.username = username
        self.first_name = first_name
        self.strict_html = strict_html
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self._host = host
        self._port = port
        self._clock = clock

        # What tests read.
        self.calls: list[Call] = []
        self.violations: list[Call] = []
        self.messages: dict[int, dict[int, ChatMessage]] = {}
        self.updates: list[JSON] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.commands: dict[str, list[JSON]] = {}
        self.blocked: set[int] = set()

        self._sent: dict[int, list[ChatMessage]] = {}
        self._chats: dict[int, JSON] = {}
        self._next_message_id: dict[int, int] = {}
        self._next_update_id = first_update_id
        self._next_callback = 0
        self._next_file = 0
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self._pending: list[JSON] = []  # updates waiting for getUpdates
        self._allowed_updates: list[str] | None = None
        self._poll_waiters: list[asyncio.Future[str]] = []
        self._webhook: _Webhook | None = None
        self._outbox: deque[JSON] = deque()  # updates waiting for the webhook
        self._outbox_ready = asyncio.Event()
        self._webhook_inflight = 0
        self._webhook_task: asyncio.Task[None] | None = None
        self._faults: list[_Fault] = []
        self._fault_rate = 0.0
        self._fault_statuses: tuple[int, ...] = ()
        self._fault_retry_after = 0
        self._fault_rng = random.Random()
        self._delay = 0.0
        self._delay_method: str | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._url: str | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "sendLocation": self._send_location,
                "sendVenue": self._send_venue,
                "sendDocument": self._send_document,
                "sendChatAction": self._send_chat_action,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getFile": self._get_file,
            }.items()
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on host:port (port 0: a free one) and start the webhook sender."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # handler_cancellation: a long poll whose client went away stops waiting at once.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"
        self._session = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(self._webhook_sender(), name="fake-webhook")

    async def stop(self) -> None:
        """Answer pending long polls, stop the webhook sender, close the server."""
        self._wake_pollers("closing")
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port> once started."""
        if self._url is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._url

    @property
    def base_url(self) -> str:
        """For Bot(base_url=…) / ApplicationBuilder.base_url(…): PTB appends token/method."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For Bot(base_file_url=…) / ApplicationBuilder.base_file_url(…)."""
        return f"{self.url}/file/bot"

    @property
    def webhook_url(self) -> str | None:
        """The webhook URL currently set, if any."""
        return self._webhook.url if self._webhook else None

    @property
    def waiting_polls(self) -> int:
        """How many getUpdates long polls are waiting right now."""
        return sum(not waiter.done() for waiter in self._poll_waiters)

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed through getUpdates or not yet sent to the webhook."""
        return [*self._pending, *self._outbox]

    # ------------------------------------------------------------------ reading the record

    def sent(self, chat_id: int) -> list[ChatMessage]:
        """What the bot sent to this chat, in order, as it was sent (see `messages` for edits)."""
        return list(self._sent.get(int(chat_id), []))

    def texts(self, chat_id: int) -> list[str]:
        """The displayed texts the bot sent to this chat, in order."""
        return [m.text for m in self.sent(chat_id) if m.text is not None]

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method (case-insensitive, like Telegram)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def unanswered_callbacks(self) -> list[CallbackQueryRecord]:
        """Button presses the bot has not answered with answerCallbackQuery."""
        return [q for q in self.callback_queries.values() if not q.answered]

    async def wait_for(
        self, predicate: Callable[[], T], timeout: float = 10.0, *, interval: float = 0.01
    ) -> T:
        """Poll `predicate` until it is truthy and return its value; AssertionError on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if loop.time() >= deadline:
                raise AssertionError(
                    f"condition not met within {timeout}s; last calls:\n{self._summary()}"
                )
            await asyncio.sleep(interval)

    async def wait_sent(
        self, chat_id: int, count: int = 1, timeout: float = 10.0
    ) -> list[ChatMessage]:
        """Wait until the bot has sent at least `count` messages to the chat; return them all."""
        await self.wait_for(lambda: len(self.sent(chat_id)) >= count, timeout)
        return self.sent(chat_id)

    async def webhook_idle(self, timeout: float = 10.0) -> None:
        """Wait until every update queued for the webhook was delivered (or given up)."""
        await self.wait_for(lambda: not self._outbox and self._webhook_inflight == 0, timeout)

    def _summary(self, last: int = 15) -> str:
        lines = []
        for call in self.calls[-last:]:
            params = {k: v for k, v in call.params.items() if k != "document"}
            lines.append(f"  {call.method} -> {call.response_status} {params}")
        return "\n".join(lines) or "  (none)"

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str | None = None,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        *,
        description: str | None = None,
    ) -> None:
        """Answer the next `count` calls of `method` (None: any but getUpdates) with an error.

        Nothing is delivered for a failed call, so a retried send arrives exactly once.
        """
        self._faults.append(
            _Fault(method, status, retry_after if status == 429 else None, description, count)
        )

    def fault_rate(
        self,
        rate: float,
        statuses: Iterable[int] = (429, 500, 502),
        seed: int | None = None,
        retry_after: int = 0,
    ) -> None:
        """Fail this share of send*/edit* calls at random with one of `statuses` (0: stop).

        A 429 carries `retry_after`; with 0, python-telegram-bot raises a NetworkError rather
        than RetryAfter (it only honours a positive retry_after), which keeps retries fast.
        """
        self._fault_rate = rate
        self._fault_statuses = tuple(statuses)
        self._fault_retry_after = retry_after
        self._fault_rng = random.Random(seed)

    def delay(self, seconds: float, *, method: str | None = None) -> None:
        """Answer calls (of `method`; None: all but getUpdates) `seconds` late; 0 stops it.

        The effect happens at once and only the answer is late, as when Telegram is slow: a
        client that times out and retries sends the message twice.
        """
        self._delay = seconds
        self._delay_method = method

    def _delay_applies(self, method: str) -> bool:
        return self._delay_method is None or self._delay_method.lower() == method.lower()

    def block(self, chat_id: int) -> None:
        """The citizen blocks the bot: sends to the chat answer 403 Forbidden."""
        self.blocked.add(int(chat_id))

    def unblock(self, chat_id: int) -> None:
        """The citizen unblocks the bot."""
        self.blocked.discard(int(chat_id))

    def _take_fault(self, method: str) -> ApiError | None:
        for fault in self._faults:
            if fault.method is None and method == "getUpdates":
                continue
            if fault.method is not None and fault.method.lower() != method.lower():
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            return self._fault_error(fault.status, fault.retry_after, fault.description)
        if (
            self._fault_rate > 0
            and self._fault_statuses
            and method.startswith(("send", "edit"))
            and self._fault_rng.random() < self._fault_rate
        ):
            status = self._fault_rng.choice(self._fault_statuses)
            return self._fault_error(status, self._fault_retry_after, None)
        return None

    @staticmethod
    def _fault_error(status: int, retry_after: int | None, description: str | None) -> ApiError:
        if status == 429:
            seconds = retry_after or 0
            return ApiError(
                429, description or f"Too Many Requests: retry after {seconds}", seconds
            )
        if description is None:
            if status == 403:
                description = BLOCKED
            elif status == 400:
                description = "Bad Request: injected fault"
            else:
                try:
                    description = HTTPStatus(status).phrase
                except ValueError:
                    description = "Unknown error"
        return ApiError(status, description)

    # ------------------------------------------------------------------ citizens

    def user_message(
        self, chat_id: int, text: str, *, first_name: str = "Camille", language_code: str = "fr"
    ) -> JSON:
        """A citizen writes `text` in their private chat; returns the delivered Update."""
        user = self._private_user(chat_id, first_name, language_code)
        message = self._store_citizen_message(chat_id, user, "text", text=text)
        return self._deliver("message", self._message_json(message))

    def user_location(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        *,
        first_name: str = "Camille",
        language_code: str = "fr",
    ) -> JSON:
        """A citizen shares a location."""
        user = self._private_user(chat_id, first_name, language_code)
        location = {"latitude": latitude, "longitude": longitude}
        message = self._store_citizen_message(chat_id, user, "location", location=location)
        return self._deliver("message", self._message_json(message))

    def user_sticker(
        self,
        chat_id: int,
        *,
        emoji: str = "👍",
        first_name: str = "Camille",
        language_code: str = "fr",
    ) -> JSON:
        """A citizen sends a sticker."""
        user = self._private_user(chat_id, first_name, language_code)
        file_id, unique_id = self._register_file(b"RIFF-sticker", "stickers", ".webp")
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        message = self._store_citizen_message(chat_id, user, "sticker", media={"sticker": sticker})
        return self._deliver("message", self._message_json(message))

    def user_photo(
        self,
        chat_id: int,
        *,
        caption: str | None = None,
        content: bytes = b"\x89PNG\r\n\x1a\n fake photo",
        first_name: str = "Camille",
        language_code: str = "fr",
    ) -> JSON:
        """A citizen sends a photo (two sizes, downloadable through getFile)."""
        user = self._private_user(chat_id, first_name, language_code)
        sizes = []
        for side in (90, 800):
            file_id, unique_id = self._register_file(content, "photos", ".jpg")
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique_id,
                    "width": side,
                    "height": side,
                    "file_size": len(content),
                }
            )
        message = self._store_citizen_message(
            chat_id, user, "photo", caption=caption, media={"photo": sizes}
        )
        return self._deliver("message", self._message_json(message))

    def user_edit(self, chat_id: int, message_id: int, text: str) -> JSON:
        """A citizen edits one of their text messages (an edited_message update)."""
        current = self.messages.get(chat_id, {}).get(message_id)
        if current is None or current.from_bot:
            raise ValueError(f"chat {chat_id} has no citizen message {message_id}")
        edited = dataclasses.replace(
            current,
            text=text,
            raw_text=text,
            entities=_command_entities(text),
            edit_date=int(self._clock()),
            edits=current.edits + 1,
        )
        self.messages[chat_id][message_id] = edited
        return self._deliver("edited_message", self._message_json(edited))

    def user_press(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        first_name: str = "Camille",
        language_code: str = "fr",
        check: bool = True,
    ) -> JSON:
        """A citizen presses the inline button carrying `data` under a bot message.

        With `check`, the button must be on the message now (a removed keyboard can't be
        pressed); check=False sends arbitrary data, as a modified client could.
        """
        current = self.messages.get(chat_id, {}).get(message_id)
        if current is None or not current.from_bot:
            raise ValueError(f"chat {chat_id} has no bot message {message_id}")
        datas = [b.get("callback_data") for row in current.buttons for b in row]
        if check and data not in datas:
            raise ValueError(
                f"message {message_id} has no button with callback_data {data!r}: {datas}"
            )
        user = self._private_user(chat_id, first_name, language_code)
        self._next_callback += 1
        query_id = str(4_000_000_000_000_000_000 + self._next_callback)
        self.callback_queries[query_id] = CallbackQueryRecord(query_id, chat_id, message_id, data)
        query = {
            "id": query_id,
            "from": user,
            "message": self._message_json(current),
            "chat_instance": str(-abs(chat_id) * 7919 - 1),
            "data": data,
        }
        return self._deliver("callback_query", query)

    def group_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int = 424242,
        first_name: str = "Dominique",
        title: str = "Groupe test",
    ) -> JSON:
        """Someone writes in a group the bot is in (negative chat id)."""
        if chat_id >= 0:
            raise ValueError("group chats have negative ids")
        kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        self._chats[chat_id] = {"id": chat_id, "type": kind, "title": title}
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "fr"}
        message = self._store_citizen_message(chat_id, user, "text", text=text)
        return self._deliver("message", self._message_json(message))

    def redeliver(self, update: JSON) -> JSON:
        """Deliver an update again, same update_id, as Telegram may after a lost answer."""
        if self._webhook is not None:
            self._outbox.append(update)
            self._outbox_ready.set()
        else:
            self._pending.append(update)
            self._wake_pollers("update")
        return update

    def _private_user(self, chat_id: int, first_name: str, language_code: str) -> JSON:
        if chat_id <= 0:
            raise ValueError("private chats have positive ids (the citizen's user id)")
        self._chats[chat_id] = {"id": chat_id, "type": "private", "first_name": first_name}
        return {
            "id": chat_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }

    def _store_citizen_message(
        self, chat_id: int, user: JSON, kind: str, **fields: Any
    ) -> ChatMessage:
        text = fields.get("text")
        message = ChatMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            kind=kind,
            from_bot=False,
            sender=user,
            date=int(self._clock()),
            raw_text=text,
            entities=_command_entities(text) if text else [],
            **fields,
        )
        self.messages.setdefault(chat_id, {})[message.message_id] = message
        return message

    def _deliver(self, kind: str, payload: JSON) -> JSON:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self.updates.append(update)
        allowed = self._webhook.allowed_updates if self._webhook else self._allowed_updates
        if (allowed and kind not in allowed) or (not allowed and kind in NOT_DEFAULT_UPDATES):
            return update
        if self._webhook is not None:
            self._outbox.append(update)
            self._outbox_ready.set()
        else:
            self._pending.append(update)
            self._wake_pollers("update")
        return update

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        path = request.match_info["path"]
        for file_path, content in self._files.values():
            if file_path == path:
                return web.Response(body=content)
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _handle_api(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        params = await self._read_params(request)
        name = request.match_info["method"]
        method, handler = self._methods.get(name.lower(), (name, None))
        injected = False
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if handler is None:
                raise ApiError(404, "Not Found")
            fault = self._take_fault(method)
            if fault is not None:
                injected = True
                raise fault
            body: JSON = {"ok": True, "result": await handler(params)}
            status = 200
        except ApiError as error:
            body, status = error.body(), error.status
        call = Call(method, params, at, status, body, injected)
        self.calls.append(call)
        if status == 400 and not injected:
            self.violations.append(call)
        if self._delay > 0 and method != "getUpdates" and self._delay_applies(method):
            await asyncio.sleep(self._delay)
        return web.json_response(body, status=status)

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    raw.update(body)
            else:
                files: dict[str, SentFile] = {}
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        files[key] = SentFile(value.filename, value.file.read(), value.content_type)
                    else:
                        raw[key] = value
                for key, value in list(raw.items()):
                    if isinstance(value, str) and value.startswith("attach://"):
                        attached = files.pop(value.removeprefix("attach://"), None)
                        if attached is not None:
                            raw[key] = attached
                raw.update(files)
        return {key: _decode_field(key, value) for key, value in raw.items()}

    # ------------------------------------------------------------------ shared pieces

    def _bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def _chat_json(self, chat_id: int) -> JSON:
        if chat_id in self._chats:
            return dict(self._chats[chat_id])
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Camille"}
        return {"id": chat_id, "type": "group", "title": "Groupe test"}

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = message_id
        return message_id

    def _register_file(self, content: bytes, folder: str, suffix: str) -> tuple[str, str]:
        self._next_file += 1
        file_id = f"BQACAgQAAxkBAAI{self._next_file:08d}"
        self._files[file_id] = (f"{folder}/file_{self._next_file}{suffix}", content)
        return file_id, f"AgAD{self._next_file:06d}"

    def _message_json(self, message: ChatMessage) -> JSON:
        data: JSON = {
            "message_id": message.message_id,
            "from": message.sender,
            "chat": self._chat_json(message.chat_id),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.caption is not None:
            data["caption"] = message.caption
            if message.entities:
                data["caption_entities"] = message.entities
        if message.location is not None:
            data["location"] = message.location
        if message.venue is not None:
            data["venue"] = message.venue
        if message.document is not None:
            document = message.document
            data["document"] = {
                "file_id": document.file_id,
                "file_unique_id": f"AgAD{document.file_id[-6:]}",
                "file_size": len(document.content),
            }
            if document.filename:
                data["document"]["file_name"] = document.filename
            if document.mime_type:
                data["document"]["mime_type"] = document.mime_type
        data.update(message.media)
        if message.reply_markup is not None and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    def _target_chat(self, params: Mapping[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise _bad(CHAT_NOT_FOUND)
        if chat_id in self.blocked:
            raise ApiError(403, BLOCKED)
        return chat_id

    def _formatted(
        self, params: Mapping[str, Any], key: str, limit: int, *, required: bool
    ) -> tuple[str | None, list[JSON]]:
        raw = params.get(key)
        entities_key = "entities" if key == "text" else "caption_entities"
        if raw is None or raw == "":
            if required:
                raise _bad(TEXT_EMPTY)
            return None, []
        raw = str(raw)
        mode = str(params.get("parse_mode") or "").lower()
        if mode not in ("", "html", "markdown", "markdownv2"):
            raise _bad(PARSE_MODE_INVALID)
        if mode == "html":
            try:
                text, entities = parse_html(raw, strict_ampersand=self.strict_html)
            except HtmlError as error:
                raise _bad(f"Bad Request: can't parse entities: {error}") from None
        else:
            text = raw
            given = params.get(entities_key)
            entities = given if isinstance(given, list) else []
        if not text.strip():
            if required:
                raise _bad(TEXT_EMPTY)
            return None, []
        if len(text) > limit:
            raise _bad(TEXT_TOO_LONG if key == "text" else CAPTION_TOO_LONG)
        return text, entities

    def _record_sent(self, chat_id: int, kind: str, params: dict[str, Any], **fields: Any) -> JSON:
        message = ChatMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            kind=kind,
            from_bot=True,
            sender=self._bot_user(),
            date=int(self._clock()),
            params=params,
            **fields,
        )
        self.messages.setdefault(chat_id, {})[message.message_id] = message
        self._sent.setdefault(chat_id, []).append(message)
        return self._message_json(message)

    def _message_to_edit(self, params: Mapping[str, Any]) -> ChatMessage:
        chat_id = self._target_chat(params)
        message_id = params.get("message_id")
        message = (
            self.messages.get(chat_id, {}).get(message_id) if isinstance(message_id, int) else None
        )
        if message is None:
            raise _bad(EDIT_NOT_FOUND)
        if not message.from_bot:
            raise _bad(CANT_EDIT)
        return message

    def _replace(self, message: ChatMessage, **changes: Any) -> JSON:
        edited = dataclasses.replace(
            message, edit_date=int(self._clock()), edits=message.edits + 1, **changes
        )
        self.messages[message.chat_id][message.message_id] = edited
        return self._message_json(edited)

    def _wake_pollers(self, reason: str) -> None:
        for waiter in self._poll_waiters:
            if not waiter.done():
                waiter.set_result(reason)

    # ------------------------------------------------------------------ Bot API methods

    async def _get_me(self, params: dict[str, Any]) -> JSON:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[JSON]:
        if self._webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = params.get("offset")
        limit = params.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout")
        timeout = max(timeout, 0) if isinstance(timeout, int) else 0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        if isinstance(offset, int) and offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif isinstance(offset, int) and offset < 0:
            self._pending = self._pending[offset:]
        # Telegram answers the older of two concurrent long polls with 409.
        self._wake_pollers("terminated")
        if not self._pending and timeout > 0:
            waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poll_waiters.append(waiter)
            try:
                done, _ = await asyncio.wait({waiter}, timeout=timeout)
            finally:
                self._poll_waiters.remove(waiter)
                waiter.cancel()
            reason = waiter.result() if done else "timeout"
            if reason == "terminated":
                raise ApiError(409, POLL_TERMINATED)
            if reason == "webhook":
                raise ApiError(409, WEBHOOK_ACTIVE)
        return self._pending[:limit]

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token") or None
        if secret is not None:
            secret = str(secret)
            if len(secret) > MAX_SECRET_TOKEN:
                raise _bad(SECRET_TOO_LONG)
            if not SECRET_TOKEN_RE.fullmatch(secret):
                raise _bad(SECRET_CHARS)
        if url and not url.startswith(("http://", "https://")):
            raise _bad("Bad Request: bad webhook: HTTPS url must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._drop_pending()
        if not url:
            self._remove_webhook()
            return True
        allowed = params.get("allowed_updates")
        max_connections = params.get("max_connections")
        self._webhook = _Webhook(
            url=url,
            secret_token=secret,
            max_connections=max_connections if isinstance(max_connections, int) else 40,
            allowed_updates=[str(a) for a in allowed] if isinstance(allowed, list) else None,
        )
        self._wake_pollers("webhook")
        self._outbox.extend(self._pending)
        self._pending.clear()
        self._outbox_ready.set()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._drop_pending()
        self._remove_webhook()
        return True

    def _remove_webhook(self) -> None:
        self._webhook = None
        self._pending.extend(self._outbox)
        self._outbox.clear()

    def _drop_pending(self) -> None:
        self._pending.clear()
        self._outbox.clear()

    async def _get_webhook_info(self, params: dict[str, Any]) -> JSON:
        info: JSON = {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending_updates) + self._webhook_inflight,
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            if self._webhook.allowed_updates is not None:
                info["allowed_updates"] = self._webhook.allowed_updates
            if self._webhook.last_error_date is not None:
                info["last_error_date"] = self._webhook.last_error_date
                info["last_error_message"] = self._webhook.last_error_message
        return info

    async def _send_message(self, params: dict[str, Any]) -> JSON:
        chat_id = self._target_chat(params)
        text, entities = self._formatted(params, "text", MAX_TEXT, required=True)
        markup = params.get("reply_markup")
        _inline_keyboard(markup)
        return self._record_sent(
            chat_id,
            "text",
            params,
            text=text,
            raw_text=params.get("text"),
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=markup,
        )

    async def _edit_message_text(self, params: dict[str, Any]) -> JSON:
        message = self._message_to_edit(params)
        text, entities = self._formatted(params, "text", MAX_TEXT, required=True)
        # Without reply_markup, Telegram removes the inline keyboard.
        markup = _inline_keyboard(params.get("reply_markup"))
        if (text, entities, markup) == (message.text, message.entities, _inline(message)):
            raise _bad(NOT_MODIFIED)
        return self._replace(
            message,
            text=text,
            raw_text=params.get("text"),
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=markup,
        )

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> JSON:
        message = self._message_to_edit(params)
        markup = _inline_keyboard(params.get("reply_markup"))
        if markup == _inline(message):
            raise _bad(NOT_MODIFIED)
        return self._replace(message, reply_markup=markup)

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._target_chat(params)
        message_id = params.get("message_id")
        chat = self.messages.get(chat_id, {})
        if not isinstance(message_id, int) or chat.pop(message_id, None) is None:
            raise _bad(DELETE_NOT_FOUND)
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query = self.callback_queries.get(str(params.get("callback_query_id")))
        if query is None or query.answered:
            raise _bad(QUERY_INVALID)
        text = params.get("text")
        if isinstance(text, str) and len(text) > MAX_CALLBACK_ANSWER:
            raise _bad(ANSWER_TOO_LONG)
        query.answered = True
        query.answer_text = text if isinstance(text, str) else None
        query.show_alert = bool(params.get("show_alert"))
        return True

    async def _send_location(self, params: dict[str, Any]) -> JSON:
        chat_id = self._target_chat(params)
        location = self._location(params)
        _inline_keyboard(params.get("reply_markup"))
        return self._record_sent(
            chat_id, "location", params, location=location, reply_markup=params.get("reply_markup")
        )

    async def _send_venue(self, params: dict[str, Any]) -> JSON:
        chat_id = self._target_chat(params)
        location = self._location(params)
        venue: JSON = {"location": location}
        for key in ("title", "address"):
            value = params.get(key)
            if not isinstance(value, str) or not value:
                raise _bad(f"Bad Request: {key} is empty")
            venue[key] = value
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if params.get(key):
                venue[key] = params[key]
        _inline_keyboard(params.get("reply_markup"))
        return self._record_sent(
            chat_id,
            "venue",
            params,
            location=location,
            venue=venue,
            reply_markup=params.get("reply_markup"),
        )

    @staticmethod
    def _location(params: Mapping[str, Any]) -> JSON:
        latitude, longitude = params.get("latitude"), params.get("longitude")
        if not isinstance(latitude, float | int) or not -90 <= latitude <= 90:
            raise _bad("Bad Request: wrong latitude")  # ours
        if not isinstance(longitude, float | int) or not -180 <= longitude <= 180:
            raise _bad("Bad Request: wrong longitude")  # ours
        return {"latitude": float(latitude), "longitude": float(longitude)}

    async def _send_document(self, params: dict[str, Any]) -> JSON:
        chat_id = self._target_chat(params)
        document = params.get("document")
        if isinstance(document, SentFile):
            file_id, _ = self._register_file(document.content, "documents", "")
            document = dataclasses.replace(document, file_id=file_id)
        elif isinstance(document, str) and document in self._files:
            document = SentFile(None, self._files[document][1], None, document)
        else:
            raise _bad(FILE_ID_INVALID)
        caption, entities = self._formatted(params, "caption", MAX_CAPTION, required=False)
        _inline_keyboard(params.get("reply_markup"))
        return self._record_sent(
            chat_id,
            "document",
            params,
            document=document,
            caption=caption,
            entities=entities,
            reply_markup=params.get("reply_markup"),
        )

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._target_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise _bad(ACTION_INVALID)
        return True

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad(COMMAND_INVALID)
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad(COMMAND_DESCRIPTION_INVALID)
        self.commands[str(params.get("language_code") or "")] = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[JSON]:
        return self.commands.get(str(params.get("language_code") or ""), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(str(params.get("language_code") or ""), None)
        return True

    async def _get_file(self, params: dict[str, Any]) -> JSON:
        file_id = str(params.get("file_id") or "")
        if file_id not in self._files:
            raise _bad(FILE_ID_INVALID)
        path, content = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id[-6:]}",
            "file_size": len(content),
            "file_path": path,
        }

    # ------------------------------------------------------------------ webhook sender

    async def _webhook_sender(self) -> None:
        """Send queued updates to the webhook one at a time, in order, retrying like Telegram."""
        while True:
            await self._outbox_ready.wait()
            while self._outbox and self._webhook is not None:
                update = self._outbox.popleft()
                self._webhook_inflight += 1
                try:
                    await self._post_update(update)
                finally:
                    self._webhook_inflight -= 1
            self._outbox_ready.clear()

    async def _post_update(self, update: JSON) -> None:
        assert self._session is not None
        for attempt in range(1, self.webhook_max_attempts + 1):
            webhook = self._webhook
            if webhook is None:  # deleted meanwhile: back to getUpdates
                self._pending.append(update)
                self._wake_pollers("update")
                return
            headers = {}
            if webhook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
            status: int | None = None
            error: str | None = None
            try:
                async with self._session.post(
                    webhook.url,
                    json=update,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
                ) as response:
                    status = response.status
                    await response.read()
                    if not 200 <= status < 300:
                        error = f"Wrong response from the webhook: {status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc!r}"
            self.webhook_deliveries.append(
                WebhookDelivery(
                    update["update_id"],
                    webhook.url,
                    attempt,
                    status,
                    webhook.secret_token,
                    time.monotonic(),
                    error,
                )
            )
            if error is None:
                return
            webhook.last_error_date = int(self._clock())
            webhook.last_error_message = error
            if attempt < self.webhook_max_attempts:
                await asyncio.sleep(self.webhook_retry_delay * attempt)


def _inline(message: ChatMessage) -> JSON | None:
    markup = message.reply_markup
    return markup if markup is not None and "inline_keyboard" in markup else None


def _command_entities(text: str | None) -> list[JSON]:
    """A leading /command gets its bot_command entity, as Telegram adds it (PTB relies on it)."""
    if not text or not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
