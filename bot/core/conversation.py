"""Channel-neutral conversation values: what comes in, what goes out, what is logged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.core.models import Language


@dataclass(frozen=True, slots=True)
class ChatRef:
    """One conversation on one channel: ("telegram", "12345"), ("web", "…"), ("terminal", "…")."""

    channel: str
    chat_id: str

    @property
    def key(self) -> str:
        """The storage key of the conversation."""
        return f"{self.channel}:{self.chat_id}"


@dataclass(frozen=True, slots=True)
class Location:
    """A shared position."""

    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a citizen: typed text, a pressed button, a shared location or a command."""

    chat: ChatRef
    text: str | None = None
    button: str | None = None
    location: Location | None = None
    update_id: int | None = None
    language: Language | None = None
    campaign: str | None = None
    origin: str | None = None  # the channel's id of the message whose button was pressed


@dataclass(frozen=True, slots=True)
class Button:
    """A button: `data` is short (≤ 64 bytes in UTF-8) and never the label."""

    label: str
    data: str
    selected: bool = False


@dataclass(frozen=True, slots=True)
class Place:
    """A place to show on a map (a counter)."""

    name: str
    latitude: float
    longitude: float
    address: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to send: text, optional buttons (rows), an optional map pin."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    place: Place | None = None
    location_button: str | None = None  # label of a « share my position » button, if wanted
    replaces_keyboard: bool = False  # edit the question in place (multiple-choice toggles)
    document: str | None = None  # a JSON document to attach (the citizen's data export)
    quote: str | None = None  # the channel's id of a message this one answers
    ask: bool = False  # the next message of the person it is for answers it (a reason…)
    lasting: bool = False  # its buttons stay pressable after later questions (« Détails »)
    expects: str | None = None  # what the question asks for, when a channel can help: "commune"
    multiple: bool = False  # a multiple-choice question: its buttons toggle, one validates


EventKind = Literal[
    "node_entered", "answered", "invalid_input", "abandoned", "match_run", "gap", "held"
]
EventValue = str | int | float | bool | list[str] | None


@dataclass(frozen=True, slots=True)
class Event:
    """An append-only fact for the event log (no personal data)."""

    kind: EventKind
    node: str
    detail: Mapping[str, EventValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Context:
    """What the pure engine is given besides the state: the instant, and the day in France."""

    now: dt.datetime
    today: dt.date  # the calendar day where the citizens are (Europe/Paris), not UTC's
