"""Dialogs as data: the schema of dialogs/*.yaml, its loader, its linter and a Mermaid graph."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from bot.core.knowledge import ContentError, Problem, parse_yaml, validate
from bot.core.models import Record, Text

NodeKind = Literal[
    "say", "text", "choice", "multi", "yesno", "commune", "amount", "action", "recap", "end"
]
ActionName = Literal["detect_themes", "match", "file", "log_gap"]
Validator = Literal["non_empty", "email", "phone", "email_or_phone", "amount"]
ASKING = frozenset({"text", "choice", "multi", "yesno", "commune", "amount", "recap"})
MAX_BUTTON_BYTES = 64
MAX_TEXT = 4096


class Option(Record):
    """One answer of a choice or multiple-choice question."""

    value: str = Field(pattern=r"^[a-z0-9-]{1,24}$")
    label: Text
    next: str | None = None


class Rule(Record):
    """A conditional branch: go to `next` when every listed answer matches (or always)."""

    when: dict[str, str | bool] = Field(default_factory=dict)
    contains: dict[str, str] = Field(default_factory=dict)
    next: str


class Node(Record):
    """One step of a dialog."""

    kind: NodeKind
    text: Text | None = None
    key: str | None = Field(default=None, pattern=r"^[a-z_]{1,24}$")
    options: tuple[Option, ...] = ()
    options_from: Literal["themes", "markers_scale"] | None = None
    validators: tuple[Validator, ...] = ()
    max_length: int = Field(default=1000, ge=1, le=4000)
    optional: bool = False
    action: ActionName | None = None
    next: str | tuple[Rule, ...] | None = None
    step: int | None = Field(default=None, ge=1, le=30)
    depends_on: tuple[str, ...] = ()
    recap_label: Text | None = None
    invalid: Text | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Node:
        if self.kind in ASKING and self.kind != "recap" and self.key is None:
            raise ValueError(f"un nœud « {self.kind} » doit avoir une clé « key »")
        if self.kind in ("choice", "multi") and not (self.options or self.options_from):
            raise ValueError("une question à choix doit avoir « options » ou « options_from »")
        if self.kind == "action" and self.action is None:
            raise ValueError("un nœud « action » doit nommer son « action »")
        if self.kind != "end" and self.next is None and not any(o.next for o in self.options):
            raise ValueError("indiquez « next » (ou un « next » par option)")
        if self.kind not in ("action", "end") and self.text is None:
            raise ValueError("ce nœud doit avoir un texte « text »")
        return self


class Texts(Record):
    """Texts the engine itself needs (controls, errors, results), in French and English."""

    help: Text
    back_at_start: Text
    restarted: Text
    stale_button: Text
    resumed_after_update: Text
    progress: Text
    validate_button: Text
    skip_button: Text
    edit_button: Text
    confirm_button: Text
    yes: Text
    no: Text
    invalid_choice: Text
    invalid_text_empty: Text
    invalid_text_long: Text
    invalid_email: Text
    invalid_phone: Text
    invalid_email_or_phone: Text
    invalid_amount: Text
    invalid_commune: Text
    invalid_non_text: Text
    commune_which: Text
    commune_none_of_these: Text
    commune_confirm: Text
    commune_found: Text
    share_location: Text
    themes_detected: Text
    themes_none: Text
    recap_title: Text
    recap_empty: Text
    results_intro: Text
    results_scheme: Text
    results_check: Text
    results_near_title: Text
    results_near: Text
    results_counters_title: Text
    results_counter: Text
    results_none: Text
    filed: Text
    language_switched: Text
    data_export: Text
    forget_confirm: Text
    forget_done: Text
    forget_cancelled: Text
    not_started: Text


class Command(Record):
    """A command shown in the messaging app's menu, with its description."""

    command: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    description: Text


class Dialog(Record):
    """A dialog tree: its version, start node, nodes, engine texts and menu commands."""

    version: str = Field(min_length=1)
    consent_version: str = Field(min_length=1)
    start: str
    nodes: dict[str, Node]
    texts: Texts
    commands: tuple[Command, ...] = ()


def load_dialog(path: Path) -> Dialog:
    """Load and lint one dialog file; raise ContentError listing every problem."""
    document, problems = parse_yaml(path, f"dialogs/{path.name}")
    if document is None:
        raise ContentError(problems)
    dialog, invalid = validate(document, Dialog)
    problems.extend(invalid)
    if dialog is not None:
        problems.extend(
            Problem(document.label, document.line_of(location), ".".join(location), message)
            for location, message in lint(dialog)
        )
    if problems or dialog is None:
        raise ContentError(sorted(set(problems)))
    return dialog


def targets(node: Node) -> Iterator[str]:
    """Every node id this node can lead to."""
    if isinstance(node.next, str):
        yield node.next
    elif node.next:
        for rule in node.next:
            yield rule.next
    for option in node.options:
        if option.next:
            yield option.next


def lint(dialog: Dialog) -> Iterator[tuple[tuple[str, ...], str]]:
    """Dangling targets, unreachable nodes, dead ends, oversized buttons and texts."""
    nodes = dialog.nodes
    if dialog.start not in nodes:
        yield ("start",), f"nœud de départ inconnu « {dialog.start} »"
    for node_id, node in nodes.items():
        if len(node_id) > 24:
            yield ("nodes", node_id), "identifiant de nœud trop long (24 caractères au plus)"
        for target in targets(node):
            if target not in nodes:
                yield ("nodes", node_id, "next"), f"nœud cible inconnu « {target} »"
        for index, option in enumerate(node.options):
            data = f"{node_id}|{option.value}"
            if len(data.encode("utf-8")) > MAX_BUTTON_BYTES:
                yield (
                    ("nodes", node_id, "options", str(index)),
                    f"donnée de bouton trop longue ({len(data.encode())} octets, 64 au plus)",
                )
        for field_name, text in _texts_of(node):
            for language in ("fr", "en"):
                if len(getattr(text, language)) > MAX_TEXT:
                    yield (
                        ("nodes", node_id, field_name),
                        f"texte {language} de plus de 4096 caractères",
                    )
    reachable = _reachable(dialog)
    for node_id in nodes:
        if node_id not in reachable:
            yield ("nodes", node_id), "nœud inatteignable depuis le départ"
    for node_id in reachable:
        if node_id in nodes and not _reaches_end(dialog, node_id):
            yield ("nodes", node_id), "impasse : aucun chemin ne mène à une fin"


def _texts_of(node: Node) -> Iterator[tuple[str, Text]]:
    for name in ("text", "recap_label", "invalid"):
        text = getattr(node, name)
        if text is not None:
            yield name, text
    for option in node.options:
        yield "options", option.label


def _reachable(dialog: Dialog) -> set[str]:
    seen = {dialog.start}
    queue = deque([dialog.start])
    while queue:
        node = dialog.nodes.get(queue.popleft())
        if node is None:
            continue
        for target in targets(node):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _reaches_end(dialog: Dialog, start: str) -> bool:
    seen = {start}
    queue = deque([start])
    while queue:
        node = dialog.nodes.get(queue.popleft())
        if node is None:
            continue
        if node.kind == "end":
            return True
        for target in targets(node):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return False


def mermaid(dialog: Dialog) -> str:
    """The dialog as a Mermaid flowchart."""
    lines = ["flowchart TD"]
    for node_id, node in dialog.nodes.items():
        label = node.action or node.key or node.kind
        shape = (
            f'(["{node_id}: {label}"])'
            if node.kind in ("end", "action")
            else f'["{node_id}: {label}"]'
        )
        lines.append(f"    {node_id}{shape}")
    for node_id, node in dialog.nodes.items():
        if isinstance(node.next, str):
            lines.append(f"    {node_id} --> {node.next}")
        elif node.next:
            for rule in node.next:
                condition = ", ".join(f"{k}={v}" for k, v in {**rule.when, **rule.contains}.items())
                arrow = f"-- {condition} -->" if condition else "-->"
                lines.append(f"    {node_id} {arrow} {rule.next}")
        for option in node.options:
            if option.next:
                lines.append(f"    {node_id} -- {option.value} --> {option.next}")
    return "\n".join(lines) + "\n"
