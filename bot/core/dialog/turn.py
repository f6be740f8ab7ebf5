"""One turn of a dialog: its output as it is built, and what a dialog's domain provides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol

from bot.core.conversation import Button, Context, Event, Reply
from bot.core.dialog.schema import Dialog, Node
from bot.core.dialog.state import MemoT, State
from bot.core.effects import Effect
from bot.core.geo import Commune
from bot.core.models import Language
from bot.core.resolver import Resolution

Options = Sequence[tuple[str, str]]  # (value, label) pairs, in the order shown


@dataclass(frozen=True)
class Turn(Generic[MemoT]):
    """What one inbound message produced: the new state, replies, effects and events."""

    state: State[MemoT]
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = ()
    events: tuple[Event, ...] = ()


@dataclass
class TurnBuilder(Generic[MemoT]):
    """The output of one turn as it is built; the engine and the domain add to it."""

    state: State[MemoT]
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    typed: str | None = None  # the text typed this turn (the observatory keeps unheard ones)

    def say(self, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
        """Add a message."""
        self.replies.append(Reply(text=text, buttons=buttons))

    def turn(self) -> Turn[MemoT]:
        """The finished turn."""
        return Turn(self.state, tuple(self.replies), tuple(self.effects), tuple(self.events))


class Places(Protocol):
    """Where a `commune` question looks up what the citizen typed or shared."""

    def resolve(self, text: str) -> Resolution:
        """The communes a typed answer may mean."""

    def nearest(self, latitude: float, longitude: float) -> Commune | None:
        """The commune at a shared position, if any is close enough."""

    def commune(self, code: str) -> Commune | None:
        """The commune with this INSEE code, if any."""

    def label(self, code: str) -> str | None:
        """A commune as people read it, « Arras (62) », from its code."""


class Domain(Protocol[MemoT]):
    """What a dialog needs from the subject it is about: its options, actions and blocks."""

    @property
    def memo(self) -> type[MemoT]:
        """The type of what the domain remembers between turns."""

    @property
    def places(self) -> Places:
        """The geography `commune` questions use."""

    @property
    def slow_actions(self) -> frozenset[str]:
        """Actions that take long enough for a « typing… » hint."""

    def options(self, source: str, language: Language) -> Options:
        """The options of a question whose `options_from` names this source."""

    def preselected(self, node: Node, state: State[MemoT]) -> tuple[str, ...]:
        """Options ticked in advance on a multiple choice (the themes found in the idea)."""

    def intro(self, node: Node, state: State[MemoT], dialog: Dialog) -> str | None:
        """A sentence said before a question, if any."""

    def act(self, action: str, turn: TurnBuilder[MemoT], context: Context) -> None:
        """Run an action node's action."""

    def recognise(self, source: str, text: str) -> tuple[str, ...]:
        """Options of `source` a typed text names in its own words (« seniors »: a theme)."""

    def show(self, block: str, state: State[MemoT]) -> list[Reply]:
        """The messages of a `say` node's `show` block."""

    def aside(
        self, request: str | None, text: str | None, state: State[MemoT], context: Context
    ) -> list[Reply] | None:
        """An answer given aside, without moving on: an `_aside|<request>` button, or a typed
        text asking for it (« détails 2 »); None when it is not such a request."""
