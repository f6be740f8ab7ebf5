"""What the engine remembers of one conversation, typed and serialised explicitly as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.core.models import Language

# A stored answer: yes/no, an amount, a choice or a text, several choices, or skipped.
AnswerValue = bool | int | str | list[str] | None
JsonObject = dict[str, Any]  # JSON data as the storage keeps it


class Memo(BaseModel):
    """What a dialog's domain keeps between turns (themes detected, results…); frozen."""

    model_config = ConfigDict(extra="ignore", frozen=True)


MemoT = TypeVar("MemoT", bound=Memo)


class Pending(BaseModel):
    """What the question on screen waits for, besides its answer."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    selection: tuple[str, ...] | None = None  # a multiple choice: the options ticked so far
    candidates: tuple[str, ...] = ()  # a place question: the communes offered « laquelle ? »
    forget: bool = False  # /oublier asked for confirmation


class State(BaseModel, Generic[MemoT]):
    """One conversation's state: where it stands, the answers, the path taken, the memo."""

    model_config = ConfigDict(extra="ignore")

    tree_version: str
    node: str
    language: Language = "fr"
    started: bool = False
    answers: dict[str, AnswerValue] = {}
    path: list[str] = []
    pending: Pending = Pending()
    editing: bool = False
    last_button: str | None = None  # the last button pressed: a double tap is ignored
    consent_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    campaign: str | None = None
    memo: MemoT

    def copy_for_turn(self) -> State[MemoT]:
        """A copy the engine may change without touching the caller's state."""
        answers = {k: list(v) if isinstance(v, list) else v for k, v in self.answers.items()}
        return self.model_copy(update={"answers": answers, "path": list(self.path)})

    def to_json(self) -> JsonObject:
        """The state as JSON data."""
        return self.model_dump(mode="json")


def load_state(model: type[State[MemoT]], data: JsonObject) -> State[MemoT] | None:
    """Rebuild a stored state; None when it cannot be read (the conversation starts again).

    Keys an older or newer engine wrote are ignored. A state written before memos existed
    kept the domain's fields at its top level: they are read from there. A memo that no longer
    validates is reset (the domain recomputes what it needs); the answers are kept.
    """
    attempts = (
        data,
        {**data, "memo": {k: v for k, v in data.items() if k != "results"}},
        {**data, "memo": {}, "pending": {}},
    )
    for attempt in attempts:
        try:
            return model.model_validate(attempt)
        except ValidationError:
            continue
    return None
