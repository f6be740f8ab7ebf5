"""Reading a citizen's answer by the kind of question, as a typed outcome the engine applies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic

from bot.core.conversation import Button
from bot.core.dialog.render import NONE, OK, SEPARATOR, SKIP, Renderer
from bot.core.dialog.schema import Node
from bot.core.dialog.state import AnswerValue, MemoT, State
from bot.core.geo import Commune, fold
from bot.core.parsing import is_email, is_french_phone, parse_amount

Options = Sequence[tuple[str, str]]  # (value, label) pairs, in the order shown


@dataclass(frozen=True, slots=True)
class Accepted:
    """A valid answer; `said` acknowledges it first (« C'est noté : Arras (62). »)."""

    value: AnswerValue
    said: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """An answer the question cannot take: the text key explaining why, and its values."""

    reason: str
    max: int | None = None


@dataclass(frozen=True, slots=True)
class Toggled:
    """A multiple-choice option ticked or unticked: the question is redrawn in place."""

    selection: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Offered:
    """Several communes may be meant: « laquelle ? » with a button each."""

    prompt: str
    candidates: tuple[str, ...]
    buttons: tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Reask:
    """Ask the question again (« aucune de celles-ci »)."""


Outcome = Accepted | Rejected | Toggled | Offered | Reask

_CHECKS = {
    "email": ("invalid_email", is_email),
    "phone": ("invalid_phone", is_french_phone),
    "email_or_phone": (
        "invalid_email_or_phone",
        lambda t: is_email(t) or is_french_phone(t),
    ),
}
_SEPARATORS = re.compile(r"[,;/+\n]|\s+et\s+")


class Reader(Generic[MemoT]):
    """Reads answers for a dialog: typed text, a button's value or a shared position."""

    def __init__(self, render: Renderer[MemoT]) -> None:
        self.render = render
        self.domain = render.domain
        words = render.dialog.words
        self._yes = frozenset(fold(w) for w in words.yes) | {"yes", "1"}
        self._no = frozenset(fold(w) for w in words.no) | {"no", "2"}

    def recap_button(self, state: State[MemoT], text: str) -> str | None:
        """The value of the recap's button whose label (or number) the citizen typed."""
        buttons = [b for row in self.render.recap(state).buttons for b in row]
        return pick(text, [(b.data.partition(SEPARATOR)[2], b.label) for b in buttons])

    def read(
        self, node: Node, state: State[MemoT], button: str | None, text: str | None
    ) -> Outcome:
        """What an answer to `node` means (the recap is the engine's own business)."""
        if node.kind == "choice":
            options = self.render.options(node, state.language)
            value = button if button is not None else pick(text or "", options)
            if value not in {v for v, _ in options}:
                return Rejected("invalid_choice")
            return Accepted(value)
        if node.kind == "multi":
            return self._multi(node, state, button, text)
        if node.kind == "yesno":
            said = {"yes": True, "no": False}.get(button or "")
            if button is None:
                folded = fold(text or "")
                said = True if folded in self._yes else False if folded in self._no else None
            return Rejected("invalid_choice") if said is None else Accepted(said)
        if node.kind in ("text", "amount"):
            if button == SKIP and node.optional:
                return Accepted(None)
            if button is not None or text is None:
                return Rejected("invalid_choice")
            return free_text(node, text)
        if node.kind == "commune":
            return self._commune(state, button, text)
        return Reask()

    def place(self, state: State[MemoT], latitude: float, longitude: float) -> Outcome:
        """A shared position, as the answer to a `commune` question."""
        nearest = self.domain.places.nearest(latitude, longitude)
        return Rejected("invalid_commune") if nearest is None else self._found(state, nearest)

    def _multi(
        self, node: Node, state: State[MemoT], button: str | None, text: str | None
    ) -> Outcome:
        options = self.render.options(node, state.language)
        values = [v for v, _ in options]
        selection = list(state.pending.selection or ())
        if button is not None and button in values:
            return Toggled(tuple(v for v in values if (v in selection) != (v == button)))
        if button is None:
            selection = pick_several(text or "", options) or selection
        elif button != OK:
            selection = []
        return Accepted(selection) if selection else Rejected("invalid_choice")

    def _commune(self, state: State[MemoT], button: str | None, text: str | None) -> Outcome:
        places = self.domain.places
        if button is not None:
            if button == NONE or not button.startswith("c") or not button[1:].isdigit():
                return Reask()
            index, candidates = int(button[1:]), state.pending.candidates
            chosen = places.commune(candidates[index]) if index < len(candidates) else None
            return Rejected("invalid_choice") if chosen is None else self._found(state, chosen)
        resolution = places.resolve(text or "")
        if resolution.status == "not_found":
            return Rejected("invalid_commune")
        best = resolution.candidates[0]
        if resolution.status == "found" and best.score >= 0.95:
            return self._found(state, best.commune)
        render = self.render
        if resolution.status == "found":
            name, department = best.commune.name, best.commune.department
            prompt = render.text("commune_confirm", state, name=name, department=department)
        else:
            prompt = render.text("commune_which", state)
        rows = [
            (Button(places.label(c.commune.insee) or c.commune.name, f"{state.node}|c{i}"),)
            for i, c in enumerate(resolution.candidates)
        ]
        none = render.text("commune_none_of_these", state)
        rows.append((Button(none, f"{state.node}{SEPARATOR}{NONE}"),))
        codes = tuple(c.commune.insee for c in resolution.candidates)
        return Offered(prompt, codes, tuple(rows))

    def _found(self, state: State[MemoT], commune: Commune) -> Accepted:
        said = self.render.text(
            "commune_found", state, name=commune.name, department=commune.department
        )
        return Accepted(commune.insee, said)


def pick(text: str, options: Options) -> str | None:
    """The option a typed answer designates: its number, its value or its label."""
    folded = fold(text)
    if not folded:
        return None
    if folded.isdigit() and 1 <= int(folded) <= len(options):
        return options[int(folded) - 1][0]
    for value, label in options:
        if folded in (fold(value), fold(label)):
            return value
    for value, label in options:
        if len(folded) >= 4 and folded in fold(label):
            return value
    return None


def pick_several(text: str, options: Options) -> list[str]:
    """The options a typed answer to a multiple choice designates, in the options' order."""
    values = [value for value, _ in options]
    picked = [pick(part, options) for part in _SEPARATORS.split(text)]
    if not any(picked):
        numbers = [int(n) for n in re.findall(r"\d+", text)]
        picked = [values[n - 1] for n in numbers if 1 <= n <= len(values)]
    return [value for value in values if value in picked]


def free_text(node: Node, text: str) -> Accepted | Rejected:
    """A typed text checked against the node's length and validators; amounts parsed."""
    if not text:
        return Rejected("invalid_text_empty")
    if len(text) > node.max_length:
        return Rejected("invalid_text_long", max=node.max_length)
    for validator in node.validators:
        if validator in _CHECKS:
            error, check = _CHECKS[validator]
            if not check(text):
                return Rejected(error)
    if node.kind == "amount" or "amount" in node.validators:
        amount = parse_amount(text)
        return Rejected("invalid_amount") if amount is None else Accepted(amount)
    return Accepted(text)
