"""Dialogs as data: the schema of dialogs/*.yaml and its loader (errors by file, line, field)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Literal

from pydantic import Field, model_validator

from bot.core.models import Record, Text

NodeKind = Literal[
    "say", "text", "choice", "multi", "yesno", "commune", "amount", "action", "recap", "end"
]
CommandAction = Literal["start", "restart", "new", "back", "help", "language", "export", "forget"]
Validator = Literal["non_empty", "meaningful", "email", "phone", "email_or_phone", "amount"]
Name = str  # an identifier the dialog's domain knows (action, option source, block to show)
ASKING = frozenset({"text", "choice", "multi", "yesno", "commune", "amount", "recap"})
MAX_BUTTON_BYTES = 64
MAX_TEXT = 4096
Location = tuple[str, ...]
Check = Callable[["Dialog"], Iterable[tuple[Location, str]]]


class Option(Record):
    """One answer of a choice or multiple-choice question."""

    value: str = Field(pattern=r"^[a-z0-9-]{1,24}$")
    label: Text
    synonyms: tuple[str, ...] = ()  # everyday words typed for it (« moi », « le soir »)
    next: str | None = None


class MenuItem(Record):
    """A button offered at an end, running a command (« Présenter un autre projet »)."""

    action: CommandAction
    label: Text
    synonyms: tuple[str, ...] = ()


class Rule(Record):
    """A conditional branch: go to `next` when every listed answer matches (or always)."""

    when: dict[str, str | bool] = Field(default_factory=dict)
    contains: dict[str, str] = Field(default_factory=dict)
    next: str

    def matches(self, answers: Mapping[str, object]) -> bool:
        """Whether the answers so far take this branch."""
        if any(answers.get(key) != expected for key, expected in self.when.items()):
            return False
        for key, member in self.contains.items():
            value = answers.get(key)
            if not isinstance(value, list) or member not in value:
                return False
        return True


class Node(Record):
    """One step of a dialog."""

    kind: NodeKind
    text: Text | None = None
    key: str | None = Field(default=None, pattern=r"^[a-z_]{1,24}$")
    options: tuple[Option, ...] = ()
    options_from: Name | None = None
    validators: tuple[Validator, ...] = ()
    max_length: int = Field(default=1000, ge=1, le=4000)
    too_long: Literal["refuse", "cut"] = "refuse"  # « cut »: keep the beginning, and say so
    optional: bool = False
    action: Name | None = None
    show: Name | None = None
    marker: str | None = None
    next: str | tuple[Rule, ...] | None = None
    step: int | None = Field(default=None, ge=1, le=30)
    depends_on: tuple[str, ...] = ()
    recap_label: Text | None = None
    invalid: Text | None = None
    menu: tuple[MenuItem, ...] = ()  # for an `end` node: what any later message is offered

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
        if self.menu and self.kind != "end":
            raise ValueError("« menu » ne s'emploie que sur un nœud « end »")
        if self.show is not None and self.kind != "say":
            raise ValueError("« show » ne s'emploie que sur un nœud « say »")
        return self


class Texts(Record):
    """Texts the engine itself needs (controls, errors, results), in French and English."""

    help: Text
    back_at_start: Text
    restarted: Text
    new_project: Text
    stale_button: Text
    resumed_after_update: Text
    progress: Text
    validate_button: Text
    skip_button: Text
    edit_button: Text  # {label}
    answer_line: Text  # {label} {value}: an answer read back (recap, /mesdonnees)
    confirm_button: Text
    yes: Text
    no: Text
    invalid_choice: Text
    invalid_choice_between: Text  # {between}
    invalid_multi: Text
    invalid_meaningless: Text
    invalid_text_empty: Text
    invalid_text_long: Text
    text_cut: Text  # {max}
    multi_added: Text  # {named} {selection}
    multi_kept: Text  # {named} {selection}
    multi_removed: Text  # {named} {selection}
    multi_unknown: Text  # {parts}
    multi_empty: Text
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
    assessment_line: Text  # {marker} {level} {meaning}
    # Added by the `endings` branch (issue 11): optional-part progress, the assessment's
    # feedback, the staff queue's name in the filing confirmation.
    progress_optional: Text  # {step} {total}
    assessment_shows: Text
    assessment_strengthen: Text
    assessment_none_yet: Text
    assessment_note: Text
    filed_staff: Text
    filed: Text  # {reference} {counter}
    language_switched: Text
    data_export: Text
    forget_confirm: Text
    forget_done: Text
    forget_cancelled: Text
    menu_prompt: Text
    not_started: Text
    lead_taken: Text  # {reference} {name} {counter}
    relay_from_advisor: Text  # {name} {counter} {reference} {text}
    relay_forwarded: Text  # {name}


class ExportTexts(Record):
    """The headings of a citizen's data export (/mesdonnees), a document meant for them."""

    title: Text
    exported_at: Text
    nothing: Text
    conversation: Text
    started_at: Text
    updated_at: Text
    language: Text
    campaign: Text
    answers: Text
    pre_applications: Text
    reference: Text
    filed_at: Text
    status: Text
    counter: Text
    project: Text
    idea: Text
    contact: Text
    first_name: Text
    contact_detail: Text
    preferred_time: Text
    consent: Text
    assessment: Text
    events: Text
    queued: Text
    retention: Text
    retention_rule: Text
    # Added by the `endings` branch (issue 11): the short message sent with the document.
    retention_unkept: Text  # {hours}
    language_value: Text
    statuses: dict[str, Text]  # a lead's status as the citizen reads it, by status value
    summary_answers: Text  # the summary's heading of the answers (data_export opens it)
    summary_request: Text  # {reference} {counter} {status}
    summary_file: Text


class Command(Record):
    """A command the engine understands anywhere, shown in the messaging app's menu."""

    command: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    action: CommandAction
    aliases: tuple[str, ...] = ()
    description: Text


class Consent(Record):
    """The answer by which a citizen agrees to their answers being kept."""

    key: str
    value: str


class ProfileKeys(Record):
    """Which answers make up the project's profile: the key each one is stored under."""

    idea: str
    themes: str
    commune: str
    carrier: str
    stage: str
    needs: str
    amount: str
    first_name: str
    contact: str
    preferred_time: str


class Words(Record):
    """Typed answers the engine reads itself (compared with accents, case and punctuation folded).

    `yes`/`no` answer yes/no questions and confirmations, `skip` an optional question, `done`
    validates a multiple choice, `confirm` the recap, `none` a list of communes; `remove` starts
    a typed answer that unticks (« sans alimentation »).
    """

    yes: tuple[str, ...] = Field(min_length=1)
    no: tuple[str, ...] = Field(min_length=1)
    skip: tuple[str, ...] = ("passer", "skip", "je ne sais pas", "je sais pas", "sais pas")
    done: tuple[str, ...] = ("valider", "ok", "c'est bon", "c'est tout", "confirm", "done")
    confirm: tuple[str, ...] = ("confirmer", "je confirme", "c'est bon", "valider", "confirm")
    none: tuple[str, ...] = ("aucune", "aucune de celles-ci", "none")
    remove: tuple[str, ...] = ("sans", "pas", "enlever", "retirer", "not", "remove", "without")


class Dialog(Record):
    """A dialog tree: its version, start node, nodes, texts, commands and declared answers."""

    version: str = Field(min_length=1)
    consent_version: str = Field(min_length=1)
    start: str
    consent: Consent | None = None
    profile: ProfileKeys | None = None
    words: Words
    nodes: dict[str, Node]
    texts: Texts
    export: ExportTexts
    commands: tuple[Command, ...] = Field(min_length=1)

    def node_id(self, node: Node) -> str:
        """The id of a node of this dialog."""
        return next(node_id for node_id, n in self.nodes.items() if n is node)

    def next_of(self, node: Node, value: object, answers: Mapping[str, object]) -> str | None:
        """Where a node leads, given its answer and the answers so far (None: nowhere)."""
        for option in node.options:
            if option.value == value and option.next:
                return option.next
        if isinstance(node.next, str):
            return node.next
        return next((rule.next for rule in node.next or () if rule.matches(answers)), None)

    def asking(self, key: str) -> str | None:
        """The id of the node whose answer is stored under `key`."""
        return next((i for i, n in self.nodes.items() if n.key == key and n.kind in ASKING), None)


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
