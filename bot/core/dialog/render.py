"""How a dialog's questions and recap look: text, progress hint, buttons, answers as read."""

from __future__ import annotations

from typing import Generic

from bot.core.conversation import Button, Reply
from bot.core.dialog.schema import Dialog, Node, targets
from bot.core.dialog.state import AnswerValue, MemoT, State
from bot.core.dialog.turn import Domain, Options
from bot.core.models import Language, Text
from bot.core.money import format_euros

SEPARATOR = "|"  # button data is `node|value`
OK, SKIP, NONE = "_ok", "_skip", "_none"  # values of the buttons the engine adds itself
ASIDE = "_aside"  # `_aside|<request>`: a button answered aside (« Détails »), asking nothing
EDIT = "e:"  # a recap button's value prefix: `recap|e:<key>` edits that answer
MAX_LABEL = 60


def optional_questions(dialog: Dialog) -> list[str]:
    """The self-assessment's questions (`marker`), in the order the dialog leads to them."""
    order, queue, seen = [], [dialog.start], {dialog.start}
    while queue:
        node_id = queue.pop(0)
        node = dialog.nodes.get(node_id)
        if node is None:
            continue
        if node.marker:
            order.append(node_id)
        for target in targets(node):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return order


class Renderer(Generic[MemoT]):
    """Words and buttons of a dialog for one conversation's language and answers."""

    def __init__(self, dialog: Dialog, domain: Domain[MemoT]) -> None:
        self.dialog = dialog
        self.domain = domain
        self.total_steps = max((n.step for n in dialog.nodes.values() if n.step), default=0)
        # The self-assessment's questions are counted apart: « Question facultative 2 sur 4 ».
        self.optional = optional_questions(dialog)

    def text(self, key: str, state: State[MemoT], **values: object) -> str:
        """One of the dialog's `texts`, in the conversation's language, filled in."""
        template: Text = getattr(self.dialog.texts, key)
        return template.format(state.language, **values) if values else template.get(state.language)

    @staticmethod
    def label(text: Text | None, state: State[MemoT]) -> str:
        """A dialog text in the conversation's language ("" for none)."""
        return "" if text is None else text.get(state.language)

    def options(self, node: Node, language: Language) -> Options:
        """(value, label) pairs of a choice node, written in the dialog or from the domain."""
        if node.options_from is not None:
            return self.domain.options(node.options_from, language)
        return [(o.value, o.label.get(language)) for o in node.options]

    def question(self, node: Node, state: State[MemoT], replaces_keyboard: bool = False) -> Reply:
        """The question of a node with its buttons and progress hint."""
        text = self.label(node.text, state)
        node_id = self.dialog.node_id(node)
        if node.step and self.total_steps:
            progress = self.text("progress", state, step=node.step, total=self.total_steps)
            text = f"{progress}\n{text}"
        elif node_id in self.optional:
            place, total = self.optional.index(node_id) + 1, len(self.optional)
            progress = self.text("progress_optional", state, step=place, total=total)
            text = f"{progress}\n{text}"
        rows: list[tuple[Button, ...]] = []
        if node.kind == "choice":
            rows = [
                (Button(label, f"{node_id}{SEPARATOR}{value}"),)
                for value, label in self.options(node, state.language)
            ]
        elif node.kind == "multi":
            selection = set(state.pending.selection or ())
            buttons = [
                Button(
                    ("✅ " if value in selection else "") + label,
                    f"{node_id}{SEPARATOR}{value}",
                    value in selection,
                )
                for value, label in self.options(node, state.language)
            ]
            rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
            rows.append((Button(self.text("validate_button", state), f"{node_id}{SEPARATOR}{OK}"),))
        elif node.kind == "yesno":
            rows = [
                (
                    Button(self.text("yes", state), f"{node_id}{SEPARATOR}yes"),
                    Button(self.text("no", state), f"{node_id}{SEPARATOR}no"),
                )
            ]
        elif node.kind in ("text", "amount") and node.optional:
            rows = [(Button(self.text("skip_button", state), f"{node_id}{SEPARATOR}{SKIP}"),)]
        return Reply(
            text=text,
            buttons=tuple(rows),
            location_button=self.text("share_location", state) if node.kind == "commune" else None,
            replaces_keyboard=replaces_keyboard,
            expects="commune" if node.kind == "commune" else None,
            multiple=node.kind == "multi",
        )

    def recap(self, state: State[MemoT]) -> Reply:
        """Every answer with its edit button, then « Confirmer »."""
        lines = [self.text("recap_title", state)]
        rows: list[tuple[Button, ...]] = []
        recap_id = state.node
        for node in self.dialog.nodes.values():
            if node.recap_label is None or node.key is None or node.key not in state.answers:
                continue
            label = self.label(node.recap_label, state)
            value = self.display(node, state.answers[node.key], state)
            lines.append(self.text("answer_line", state, label=label, value=value))
            edit = self.text("edit_button", state, label=label)
            rows.append((Button(edit[:MAX_LABEL], f"{recap_id}{SEPARATOR}{EDIT}{node.key}"),))
        rows.append((Button(self.text("confirm_button", state), f"{recap_id}{SEPARATOR}{OK}"),))
        text = self.label(self.dialog.nodes[recap_id].text, state)
        return Reply(text="\n".join([text, *lines]).strip(), buttons=tuple(rows))

    def display(self, node: Node, value: AnswerValue, state: State[MemoT]) -> str:
        """An answer as the citizen would read it."""
        if value is None or value == [] or value == "":
            return self.text("recap_empty", state)
        if node.kind == "commune":
            return self.domain.places.label(str(value)) or str(value)
        if node.kind == "yesno":
            return self.text("yes" if value else "no", state)
        if node.kind in ("choice", "multi"):
            labels = dict(self.options(node, state.language))
            values = value if isinstance(value, list) else [value]
            return ", ".join(labels.get(str(v), str(v)) for v in values)
        if node.kind == "amount" and isinstance(value, int):
            return format_euros(value, state.language)
        return str(value)
