"""What the fake records: the calls, files, messages, presses and webhook deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


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
    reply_to: int | None = None  # the message of the chat this one answers

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
