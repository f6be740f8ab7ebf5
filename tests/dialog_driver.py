"""A dialog engine in tests: the shipped dialog, and a driver that talks to it like a channel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.core.catalog import Catalog
from bot.core.content import Content, load_qualification
from bot.core.conversation import ChatRef, Context, Inbound, Location, Reply
from bot.core.dialog.engine import Engine
from bot.core.dialog.schema import Dialog
from bot.core.qualification import QualificationMemo, QualificationState

DIALOG = Path(__file__).resolve().parents[1] / "dialogs" / "qualification.yaml"
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
CONTEXT = Context(now=NOW, today=NOW.date())
CHAT = ChatRef("test", "1")


QualificationEngine = Engine[QualificationMemo]


@pytest.fixture(scope="module")
def dialog(catalog: Catalog) -> Dialog:
    return load_qualification(DIALOG, catalog)


@pytest.fixture(scope="module")
def engine(dialog: Dialog, catalog: Catalog) -> QualificationEngine:
    return Content.build(catalog, dialog).engine


class Driver:
    """Talks to the engine like a channel would, keeping the state between turns."""

    def __init__(self, engine: QualificationEngine) -> None:
        self.engine = engine
        self.state: QualificationState | None = None
        self.replies: list[Reply] = []

    def send(
        self, text: str | None = None, button: str | None = None, location: Location | None = None
    ) -> list[Reply]:
        turn = self.engine.advance(
            self.state, Inbound(CHAT, text=text, button=button, location=location), CONTEXT
        )
        self.state = turn.state
        self.replies = list(turn.replies)
        return self.replies

    def press(self, label_start: str) -> list[Reply]:
        for reply in reversed(self.replies):
            for row in reply.buttons:
                for button in row:
                    if button.label.lstrip("✅ ").startswith(label_start):
                        return self.send(button=button.data)
        raise AssertionError(f"no button « {label_start} » in {self.text()}")

    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    @property
    def node(self) -> str:
        assert self.state is not None
        return self.state.node
