"""The pure dialog engine: `advance(state, inbound, context) → Turn`, driven by dialogs/*.yaml."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.catalog import Catalog
from bot.core.conversation import (
    Button,
    Context,
    Effect,
    Event,
    Inbound,
    Language,
    Place,
    Reply,
)
from bot.core.dialogs import ASKING, Dialog, Node, Rule, targets
from bot.core.geo import Commune, fold
from bot.core.matching import MatchResult, Profile
from bot.core.models import Carrier, Counter, Need, Stage, Text
from bot.core.parsing import is_email, is_french_phone, parse_amount

REFERENCE_PLACEHOLDER = "⟦reference⟧"
SEPARATOR = "|"
OK, SKIP, NONE = "_ok", "_skip", "_none"
FORGET_NODE = "_forget"
MAX_SCHEMES, MAX_COUNTERS = 5, 3
PRESELECT_SCORE = 0.5  # a theme backed by at least one keyword
_YES = {"oui", "o", "ouais", "yes", "y", "ok", "d accord", "daccord", "bien sur", "volontiers", "1"}
_NO = {"non", "n", "no", "nan", "pas maintenant", "plus tard", "2"}


@dataclass
class State:
    """Everything the engine remembers of one conversation (JSON-serialisable)."""

    tree_version: str
    node: str
    language: Language = "fr"
    started: bool = False
    answers: dict[str, Any] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    pending: dict[str, Any] = field(default_factory=dict)
    editing: bool = False
    detected: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    consent_at: str | None = None
    started_at: str | None = None
    campaign: str | None = None
    filed: bool = False

    def to_json(self) -> dict[str, Any]:
        """The state as plain JSON data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        """Rebuild a state, ignoring keys an older or newer engine wrote."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Turn:
    """What one inbound message produced: the new state, replies, effects and events."""

    state: State
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = ()
    events: tuple[Event, ...] = ()


class _Builder:
    """Accumulates the output of one turn."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []
        self.events: list[Event] = []
        self.durable_from: int | None = None

    def say(self, text: str, **kwargs: Any) -> None:
        self.replies.append(Reply(text=text, **kwargs))

    def turn(self) -> Turn:
        replies = self.replies
        if self.durable_from is not None:  # the filing confirmation and what follows it
            replies = [
                replace(r, durable=True) if i >= self.durable_from else r
                for i, r in enumerate(replies)
            ]
        return Turn(self.state, tuple(replies), tuple(self.effects), tuple(self.events))


class Engine:
    """Runs a dialog for one conversation at a time, without I/O, clock or randomness."""

    def __init__(self, dialog: Dialog, catalog: Catalog) -> None:
        self.dialog = dialog
        self.catalog = catalog
        steps = [n.step for n in dialog.nodes.values() if n.step]
        self.total_steps = max(steps, default=0)
        self._theme_labels = {t.slug: t.label for t in catalog.knowledge.themes}
        self._before_match = frozenset(
            node_id for node_id, node in dialog.nodes.items() if self._reaches_match(node)
        )

    def _reaches_match(self, node: Node) -> bool:
        """Whether answering this node runs the match without asking anything else first."""
        seen: set[str] = set()
        queue = [t for t in targets(node) if t in self.dialog.nodes]
        while queue:
            node_id = queue.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            candidate = self.dialog.nodes[node_id]
            if candidate.kind == "action" and candidate.action == "match":
                return True
            if candidate.kind in ("say", "action"):
                queue.extend(t for t in targets(candidate) if t in self.dialog.nodes)
        return False

    def about_to_match(self, state: State | None) -> bool:
        """Whether the next answer will run the match (a channel may show « typing… »)."""
        return state is not None and (state.node in self._before_match or state.editing)

    # -- entry point ------------------------------------------------------------------------

    def new_state(self, language: Language = "fr") -> State:
        """A conversation that has not started yet."""
        return State(tree_version=self.dialog.version, node=self.dialog.start, language=language)

    def finished(self, state: State) -> bool:
        """Whether a conversation stands on an end node."""
        node = self.dialog.nodes.get(state.node)
        return node is not None and node.kind == "end"

    def advance(self, state: State | None, inbound: Inbound, context: Context) -> Turn:
        """Process one inbound message and return the turn; pure and deterministic."""
        if state is None:
            state = self.new_state(inbound.language or "fr")
        else:
            state = State.from_json(state.to_json())  # never mutate the caller's state
        out = _Builder(state)
        if inbound.campaign and not state.campaign:
            state.campaign = inbound.campaign[:64]
        self._follow_content_version(out)
        text = (inbound.text or "").strip()
        if text.startswith("/"):
            self._command(out, text, context)
        elif not state.started:
            self._start(out, context)
        elif inbound.button is not None:
            self._button(out, inbound.button, context)
        elif inbound.location is not None:
            self._answer_location(out, inbound, context)
        elif inbound.text is None:
            self._invalid(out, "invalid_non_text")
        else:
            self._typed(out, text, context)
        return out.turn()

    # -- versions, commands, start ----------------------------------------------------------

    def _follow_content_version(self, out: _Builder) -> None:
        state = out.state
        if state.tree_version == self.dialog.version:
            return
        state.tree_version = self.dialog.version
        if state.node in self.dialog.nodes and state.started:
            return
        while state.path and state.path[-1] not in self.dialog.nodes:
            state.path.pop()
        state.node = state.path.pop() if state.path else self.dialog.start
        state.pending = {}
        if state.started:
            out.say(self._t("resumed_after_update", out.state))

    def _command(self, out: _Builder, text: str, context: Context) -> None:
        state = out.state
        command = fold(text.split()[0].lstrip("/").split("@")[0])
        if command == "start":
            if state.started:
                self._ask(out, state.node)
            else:
                self._start(out, context)
        elif command in ("recommencer", "restart"):
            language = state.language
            fresh = self.new_state(language)
            fresh.campaign = state.campaign
            out.state = fresh
            out.say(self._t("restarted", fresh))
            self._start(out, context)
        elif command in ("retour", "back"):
            self._back(out)
        elif command in ("langue", "language"):
            state.language = "en" if state.language == "fr" else "fr"
            out.say(self._t("language_switched", out.state))
            self._reask(out)
        elif command in ("mesdonnees", "mydata"):
            out.effects.append(Effect("export"))
            out.say(self._t("data_export", out.state))
            self._reask(out)
        elif command in ("oublier", "forget"):
            state.pending["forget"] = True
            out.say(
                self._t("forget_confirm", out.state),
                buttons=(
                    (
                        Button(self._t("yes", out.state), f"{FORGET_NODE}{SEPARATOR}yes"),
                        Button(self._t("no", out.state), f"{FORGET_NODE}{SEPARATOR}no"),
                    ),
                ),
            )
        else:
            out.say(self._t("help", out.state))
            self._reask(out)

    def _start(self, out: _Builder, context: Context) -> None:
        state = out.state
        state.started = True
        state.started_at = context.now.isoformat()
        state.node = self.dialog.start
        self._enter(out, self.dialog.start, context)

    def _reask(self, out: _Builder) -> None:
        if out.state.started:
            self._ask(out, out.state.node)
        else:
            out.say(self._t("not_started", out.state))

    def _back(self, out: _Builder) -> None:
        state = out.state
        state.pending = {}
        state.editing = False
        if not state.path:
            out.say(self._t("back_at_start", out.state))
            self._reask(out)
            return
        state.node = state.path.pop()
        self._ask(out, state.node)

    def _invalid(self, out: _Builder, key: str, **values: Any) -> None:
        node = self.dialog.nodes.get(out.state.node)
        custom = node.invalid if node is not None and key != "invalid_non_text" else None
        out.say(self._label(custom, out.state) if custom else self._t(key, out.state, **values))
        out.events.append(Event("invalid_input", out.state.node, {"reason": key}))
        self._reask(out)

    # -- inbound answers --------------------------------------------------------------------

    def _button(self, out: _Builder, data: str, context: Context) -> None:
        state = out.state
        node_id, _, value = data.partition(SEPARATOR)
        if node_id == FORGET_NODE and state.pending.pop("forget", False):
            if value == "yes":
                out.effects.append(Effect("forget"))
                out.say(self._t("forget_done", out.state))
                out.state = self.new_state(state.language)
            else:
                out.say(self._t("forget_cancelled", out.state))
                self._reask(out)
            return
        if node_id != state.node or node_id not in self.dialog.nodes:
            out.say(self._t("stale_button", out.state))
            self._reask(out)
            return
        self._answer(out, self.dialog.nodes[node_id], value, None, context)

    def _typed(self, out: _Builder, text: str, context: Context) -> None:
        node = self.dialog.nodes[out.state.node]
        self._answer(out, node, None, text[:4000], context)

    def _answer_location(self, out: _Builder, inbound: Inbound, context: Context) -> None:
        node = self.dialog.nodes[out.state.node]
        location = inbound.location
        if node.kind != "commune" or location is None:
            self._invalid(out, "invalid_non_text")
            return
        nearest = self.catalog.resolver.nearest(location.latitude, location.longitude)
        if nearest is None:
            self._invalid(out, "invalid_commune")
            return
        self._accept_commune(out, node, nearest[0], context)

    def _answer(
        self, out: _Builder, node: Node, button: str | None, text: str | None, context: Context
    ) -> None:
        """Dispatch an answer (button value or typed text) to the current node's kind."""
        if node.kind == "choice":
            self._answer_choice(out, node, button, text, context)
        elif node.kind == "multi":
            self._answer_multi(out, node, button, text, context)
        elif node.kind == "yesno":
            self._answer_yesno(out, node, button, text, context)
        elif node.kind in ("text", "amount"):
            self._answer_text(out, node, button, text, context)
        elif node.kind == "commune":
            self._answer_commune(out, node, button, text, context)
        elif node.kind == "recap":
            self._answer_recap(out, node, button, context)
        else:  # an end node, or a node that does not ask: show where we are
            self._ask(out, out.state.node)

    def _answer_choice(
        self, out: _Builder, node: Node, button: str | None, text: str | None, context: Context
    ) -> None:
        options = self._options(node, out.state)
        value = button if button is not None else _pick(text or "", options)
        if value not in {v for v, _ in options}:
            self._invalid(out, "invalid_choice")
            return
        self._accept(out, node, value, context)

    def _answer_multi(
        self, out: _Builder, node: Node, button: str | None, text: str | None, context: Context
    ) -> None:
        state = out.state
        options = self._options(node, out.state)
        values = [v for v, _ in options]
        selection: list[str] = list(state.pending.get("selection", []))
        if button is not None and button in values:
            selection = [v for v in values if (v in selection) != (v == button)]
            state.pending["selection"] = selection
            out.replies.append(self._question(node, state, replaces_keyboard=True))
            return
        if button is None:
            picked = [_pick(part, options) for part in re.split(r"[,;/+\n]|\s+et\s+", text or "")]
            numbers = re.findall(r"\d+", text or "")
            if numbers and all(n.isdigit() for n in numbers) and not any(picked):
                picked = [values[int(n) - 1] for n in numbers if 1 <= int(n) <= len(values)]
            selection = [v for v in values if v in picked] or selection
            if not selection:
                self._invalid(out, "invalid_choice")
                return
        elif button != OK or not selection:
            self._invalid(out, "invalid_choice")
            return
        state.pending.pop("selection", None)
        self._accept(out, node, selection, context)

    def _answer_yesno(
        self, out: _Builder, node: Node, button: str | None, text: str | None, context: Context
    ) -> None:
        answer = button if button is not None else fold(text or "")
        if answer in _YES or answer == "yes":
            self._accept(out, node, True, context)
        elif answer in _NO or answer == "no":
            self._accept(out, node, False, context)
        else:
            self._invalid(out, "invalid_choice")

    def _answer_text(
        self, out: _Builder, node: Node, button: str | None, text: str | None, context: Context
    ) -> None:
        if button == SKIP and node.optional:
            self._accept(out, node, None, context)
            return
        if button is not None or text is None:
            self._invalid(out, "invalid_choice")
            return
        value: Any = text
        if not text:
            self._invalid(out, "invalid_text_empty")
            return
        if len(text) > node.max_length:
            self._invalid(out, "invalid_text_long", max=node.max_length)
            return
        checks = {
            "email": ("invalid_email", is_email),
            "phone": ("invalid_phone", is_french_phone),
            "email_or_phone": (
                "invalid_email_or_phone",
                lambda t: is_email(t) or is_french_phone(t),
            ),
        }
        for validator in node.validators:
            if validator in checks:
                error, check = checks[validator]
                if not check(text):
                    self._invalid(out, error)
                    return
        if node.kind == "amount" or "amount" in node.validators:
            value = parse_amount(text)
            if value is None:
                self._invalid(out, "invalid_amount")
                return
        self._accept(out, node, value, context)

    def _answer_commune(
        self, out: _Builder, node: Node, button: str | None, text: str | None, context: Context
    ) -> None:
        state = out.state
        candidates: list[str] = list(state.pending.get("candidates", []))
        communes = self.catalog.knowledge.geo.communes
        if button is not None:
            if button == NONE or not button.startswith("c") or not button[1:].isdigit():
                state.pending.pop("candidates", None)
                self._ask(out, state.node)
                return
            index = int(button[1:])
            if index >= len(candidates) or candidates[index] not in communes:
                self._invalid(out, "invalid_choice")
                return
            self._accept_commune(out, node, communes[candidates[index]], context)
            return
        resolution = self.catalog.resolver.resolve(text or "")
        if resolution.status == "not_found":
            self._invalid(out, "invalid_commune")
            return
        best = resolution.candidates[0]
        if resolution.status == "found" and best.score >= 0.95:
            self._accept_commune(out, node, best.commune, context)
            return
        state.pending["candidates"] = [c.commune.insee for c in resolution.candidates]
        if resolution.status == "found":
            prompt = self._t(
                "commune_confirm",
                out.state,
                name=best.commune.name,
                department=best.commune.department,
            )
        else:
            prompt = self._t("commune_which", out.state)
        rows = [
            (Button(_commune_label(c.commune), f"{state.node}{SEPARATOR}c{i}"),)
            for i, c in enumerate(resolution.candidates)
        ]
        rows.append(
            (Button(self._t("commune_none_of_these", out.state), f"{state.node}{SEPARATOR}{NONE}"),)
        )
        out.say(prompt, buttons=tuple(rows))

    def _accept_commune(
        self, out: _Builder, node: Node, commune: Commune, context: Context
    ) -> None:
        out.state.pending.pop("candidates", None)
        out.say(
            self._t("commune_found", out.state, name=commune.name, department=commune.department)
        )
        self._accept(out, node, commune.insee, context)

    def _answer_recap(
        self, out: _Builder, node: Node, button: str | None, context: Context
    ) -> None:
        state = out.state
        if button == OK:
            state.editing = False
            state.path.append(state.node)
            out.events.append(Event("answered", state.node))
            self._enter(out, self._next(node, None, state.answers), context)
            return
        if button is not None and button.startswith("e:"):
            target = self._node_asking(button[2:])
            if target is not None:
                state.editing = True
                state.path.append(state.node)
                state.node = target
                self._ask(out, target)
                return
        self._invalid(out, "invalid_choice")

    # -- moving through the tree ------------------------------------------------------------

    def _accept(self, out: _Builder, node: Node, value: Any, context: Context) -> None:
        """Record a valid answer and move on (skipping what an edit left valid)."""
        state = out.state
        assert node.key is not None
        previous = state.answers.get(node.key)
        state.answers[node.key] = value
        if node.key == "consent" and value == "oui":
            state.consent_at = context.now.isoformat()
        if previous is not None and previous != value:
            self._clear_dependents(state, node.key)
        state.path.append(state.node)
        out.events.append(Event("answered", state.node))
        self._enter(out, self._next(node, value, state.answers), context)

    def _clear_dependents(self, state: State, key: str) -> None:
        """Clear answers that depend on `key`, transitively."""
        queue = [key]
        while queue:
            changed = queue.pop()
            for node in self.dialog.nodes.values():
                if changed in node.depends_on and node.key and node.key in state.answers:
                    del state.answers[node.key]
                    queue.append(node.key)

    def _next(self, node: Node, value: Any, answers: dict[str, Any]) -> str:
        """Where a node leads, given its answer and the answers so far."""
        for option in node.options:
            if option.value == value and option.next:
                return option.next
        if isinstance(node.next, str):
            return node.next
        for rule in node.next or ():
            if _rule_matches(rule, answers):
                return rule.next
        return self.dialog.start

    def _enter(self, out: _Builder, node_id: str, context: Context) -> None:
        """Walk from `node_id`: say, act, skip what is answered while editing, then ask."""
        state = out.state
        for _ in range(len(self.dialog.nodes) + 1):
            node = self.dialog.nodes[node_id]
            state.node = node_id
            out.events.append(Event("node_entered", node_id))
            if node.kind == "say":
                out.say(self._label(node.text, out.state))
                if state.pending.pop("show_results", False):
                    out.replies.extend(self._results(state))
                node_id = self._next(node, None, state.answers)
                continue
            if node.kind == "action":
                self._act(out, node, context)
                node_id = self._next(node, None, state.answers)
                continue
            if node.kind == "end":
                if node.text is not None:
                    out.say(self._label(node.text, out.state))
                state.editing = False
                return
            if (
                state.editing
                and node.kind != "recap"
                and node.key is not None
                and node.key in state.answers
            ):
                node_id = self._next(node, state.answers[node.key], state.answers)
                continue
            self._ask(out, node_id)
            return
        self._ask(out, self.dialog.start)  # a loop in the content: never spin forever

    # -- asking -----------------------------------------------------------------------------

    def _ask(self, out: _Builder, node_id: str) -> None:
        state = out.state
        node = self.dialog.nodes.get(node_id)
        if node is None:
            state.node = self.dialog.start
            node = self.dialog.nodes[state.node]
        if node.kind == "multi" and "selection" not in state.pending:
            previous = state.answers.get(node.key or "")
            default = state.detected if node.options_from == "themes" else []
            state.pending["selection"] = list(previous or default)
        if node.kind == "recap":
            out.replies.append(self._recap(state))
            return
        if node.kind == "end":
            if node.text is not None:
                out.say(self._label(node.text, out.state))
            return
        if node.kind not in ASKING:
            out.say(self._label(node.text, out.state) if node.text else self._t("help", out.state))
            return
        if node.kind == "multi" and node.options_from == "themes":
            detected = [self._label(self._theme_labels[s], out.state) for s in state.detected]
            intro = (
                self._t("themes_detected", out.state, themes=", ".join(detected))
                if detected
                else self._t("themes_none", out.state)
            )
            out.say(intro)
        out.replies.append(self._question(node, state))

    def _question(self, node: Node, state: State, replaces_keyboard: bool = False) -> Reply:
        """The question of a node with its buttons and progress hint."""
        text = self._label(node.text, state) if node.text else ""
        if node.step and self.total_steps:
            progress = self._t("progress", state, step=node.step, total=self.total_steps)
            text = f"{progress}\n{text}"
        node_id = self._node_id(node)
        rows: list[tuple[Button, ...]] = []
        if node.kind == "choice":
            rows = [
                (Button(label, f"{node_id}{SEPARATOR}{value}"),)
                for value, label in self._options(node, state)
            ]
        elif node.kind == "multi":
            selection = set(state.pending.get("selection", []))
            buttons = [
                Button(
                    ("✅ " if value in selection else "") + label,
                    f"{node_id}{SEPARATOR}{value}",
                    value in selection,
                )
                for value, label in self._options(node, state)
            ]
            rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
            rows.append((Button(self._t("validate_button", state), f"{node_id}{SEPARATOR}{OK}"),))
        elif node.kind == "yesno":
            rows = [
                (
                    Button(self._t("yes", state), f"{node_id}{SEPARATOR}yes"),
                    Button(self._t("no", state), f"{node_id}{SEPARATOR}no"),
                )
            ]
        elif node.kind in ("text", "amount") and node.optional:
            rows = [(Button(self._t("skip_button", state), f"{node_id}{SEPARATOR}{SKIP}"),)]
        return Reply(
            text=text,
            buttons=tuple(rows),
            location_button=self._t("share_location", state) if node.kind == "commune" else None,
            replaces_keyboard=replaces_keyboard,
        )

    def _options(self, node: Node, state: State) -> list[tuple[str, str]]:
        """(value, label) pairs of a choice node, static or from the knowledge base."""
        if node.options_from == "themes":
            return [(slug, self._label(label, state)) for slug, label in self._theme_labels.items()]
        return [(o.value, self._label(o.label, state)) for o in node.options]

    def _node_id(self, node: Node) -> str:
        return next(node_id for node_id, n in self.dialog.nodes.items() if n is node)

    def _node_asking(self, key: str) -> str | None:
        return next(
            (i for i, n in self.dialog.nodes.items() if n.key == key and n.kind in ASKING), None
        )

    # -- recap, actions, results ------------------------------------------------------------

    def _recap(self, state: State) -> Reply:
        """Every answer with its edit button, then « Confirmer »."""
        lines = [self._t("recap_title", state)]
        rows: list[tuple[Button, ...]] = []
        recap_id = state.node
        for node in self.dialog.nodes.values():
            if node.recap_label is None or node.key is None:
                continue
            if node.key not in state.answers:
                continue
            label = self._label(node.recap_label, state)
            lines.append(f"• {label} : {self._display(node, state.answers[node.key], state)}")
            edit = f"{self._t('edit_button', state)} : {label}"
            rows.append((Button(edit[:60], f"{recap_id}{SEPARATOR}e:{node.key}"),))
        rows.append((Button(self._t("confirm_button", state), f"{recap_id}{SEPARATOR}{OK}"),))
        node = self.dialog.nodes[recap_id]
        text = self._label(node.text, state) if node.text else ""
        return Reply(text="\n".join([text, *lines]).strip(), buttons=tuple(rows))

    def _display(self, node: Node, value: Any, state: State) -> str:
        """An answer as the citizen would read it."""
        if value is None or value == [] or value == "":
            return self._t("recap_empty", state)
        if node.kind == "commune":
            commune = self.catalog.knowledge.geo.communes.get(str(value))
            return _commune_label(commune) if commune else str(value)
        if node.kind == "yesno":
            return self._t("yes" if value else "no", state)
        if node.kind in ("choice", "multi"):
            labels = dict(self._options(node, state))
            values = value if isinstance(value, list) else [value]
            return ", ".join(labels.get(str(v), str(v)) for v in values)
        if node.kind == "amount" and isinstance(value, int):
            return f"{value:,}".replace(",", "\u202f") + "\u00a0€"
        return str(value)

    def _act(self, out: _Builder, node: Node, context: Context) -> None:
        state = out.state
        if node.action == "detect_themes":
            idea = str(state.answers.get("idea") or "")
            found = self.catalog.themes.detect(idea, limit=3)
            # Pre-select the clear themes only; weaker ones stay one tap away.
            state.detected = [t.slug for t in found if t.score >= PRESELECT_SCORE]
            state.pending.pop("selection", None)
        elif node.action == "match":
            self._match(out, context)
        elif node.action == "file" and not state.filed:
            state.filed = True
            out.effects.append(Effect("file_pre_application", self._filing(state)))
            out.durable_from = len(out.replies)
            out.say(self._t("filed", state, reference=REFERENCE_PLACEHOLDER))
        elif node.action == "log_gap":
            out.effects.append(Effect("log_gap", {"profile": self._profile_data(state)}))

    def _profile_data(self, state: State) -> dict[str, Any]:
        answers = state.answers
        return {
            "commune": answers.get("commune"),
            "carrier": answers.get("carrier"),
            "stage": answers.get("stage"),
            "themes": list(answers.get("themes") or []),
            "needs": list(answers.get("needs") or []),
            "amount": answers.get("amount"),
        }

    def _profile(self, state: State) -> Profile | None:
        data = self._profile_data(state)
        try:
            return Profile(
                commune=str(data["commune"]),
                carrier=Carrier(data["carrier"]),
                stage=Stage(data["stage"]),
                themes=tuple(t for t in data["themes"] if t in self._theme_labels),
                needs=tuple(Need(n) for n in data["needs"] if n in Need.__members__.values()),
                amount=data["amount"] if isinstance(data["amount"], int) else None,
            )
        except ValueError:
            return None

    def _match(self, out: _Builder, context: Context) -> None:
        state = out.state
        profile = self._profile(state)
        if profile is None or profile.commune not in self.catalog.knowledge.geo.communes:
            state.results = {}
            return
        result = self.catalog.matcher.match(profile, context.today, state.language, limit=10)
        state.results = _snapshot(result, state.language, self.catalog.knowledge.geo.communes)
        state.pending["show_results"] = True
        out.events.append(
            Event(
                "match_run",
                state.node,
                {
                    "schemes": len(result.schemes),
                    "near_misses": len(result.near_misses),
                    "counters": len(result.counters),
                    "department": result.commune.department,
                },
            )
        )
        if not result.schemes or result.notice:
            out.events.append(Event("gap", state.node, {"department": result.commune.department}))
            out.effects.append(Effect("log_gap", {"profile": self._profile_data(state)}))

    def _results(self, state: State) -> list[Reply]:
        """The match results as messages: schemes, near misses, counters with map pins."""
        results = state.results
        if not results:
            return [Reply(self._t("results_none", state))]
        lines = [self._t("results_intro", state, commune=results["commune"]["name"])]
        if results.get("notice"):
            lines.append(results["notice"])
        for scheme in results["schemes"][:MAX_SCHEMES]:
            lines.append(
                self._t(
                    "results_scheme", state, **_pick_keys(scheme, "name", "funder", "reason", "url")
                )
            )
            for check in scheme["checks"][:2]:
                lines.append(self._t("results_check", state, check=check))
        if not results["schemes"]:
            lines.append(self._t("results_none", state))
        replies = [Reply("\n".join(lines))]
        if results["near_misses"]:
            near = [self._t("results_near_title", state)]
            near += [
                self._t("results_near", state, name=m["name"], remedy=m["remedy"])
                for m in results["near_misses"][:MAX_SCHEMES]
            ]
            replies.append(Reply("\n".join(near)))
        counters = results["counters"][:MAX_COUNTERS]
        if counters:
            text = [self._t("results_counters_title", state)]
            for counter in counters:
                reasons = counter["reasons"][:2]
                text.append(
                    self._t(
                        "results_counter",
                        state,
                        name=counter["name"],
                        reasons=" · ".join(reasons),
                        url=counter["url"],
                        how=counter.get("how") or "",
                    ).rstrip()
                )
            replies.append(Reply("\n".join(text)))
            for counter in counters:
                if counter.get("lat") is not None and counter.get("precise"):
                    replies.append(
                        Reply(
                            counter["name"],
                            place=Place(
                                counter["name"], counter["lat"], counter["lon"], counter["where"]
                            ),
                        )
                    )
        return replies

    def _filing(self, state: State) -> dict[str, Any]:
        counters = state.results.get("counters") or [{}]
        return {
            "idempotency_key": f"{state.started_at}",
            "profile": {**self._profile_data(state), "idea": state.answers.get("idea")},
            "match_snapshot": state.results,
            "contact": {
                "first_name": state.answers.get("first_name"),
                "contact": state.answers.get("contact"),
                "preferred_time": state.answers.get("preferred_time"),
                "language": state.language,
            },
            "consent_at": state.consent_at,
            "consent_version": self.dialog.consent_version,
            "counter_id": counters[0].get("id"),
            "campaign": state.campaign,
        }

    # -- wording ----------------------------------------------------------------------------

    def _label(self, text: Text | None, state: State) -> str:
        if text is None:
            return ""
        return text.en if state.language == "en" else text.fr

    def _t(self, key: str, state: State, **values: Any) -> str:
        template = self._label(getattr(self.dialog.texts, key), state)
        return template.format(**values) if values else template


def _how(text: Text | None, language: Language) -> str:
    if text is None:
        return ""
    return text.en if language == "en" else text.fr


def _pin(counter: Counter, communes: dict[str, Commune]) -> dict[str, Any]:
    """Where to pin a counter on a map: its own position, else its seat commune's centre.

    A seat marked approximate is not pinned: a wrong pin is worse than none.
    """
    seat = communes.get(counter.commune)
    where = _commune_label(seat) if seat else counter.commune
    if counter.location_precision == "approximate":
        return {"lat": None, "lon": None, "precise": False, "where": where}
    lat, lon = counter.latitude, counter.longitude
    if (lat is None or lon is None) and seat is not None:
        lat, lon = seat.lat, seat.lon
    return {"lat": lat, "lon": lon, "precise": lat is not None, "where": where}


def _snapshot(
    result: MatchResult, language: Language, communes: dict[str, Commune]
) -> dict[str, Any]:
    """What the conversation keeps of a match: enough to show it again and to file it."""
    geo_communes = result.commune
    return {
        "commune": {"insee": geo_communes.insee, "name": geo_communes.name},
        "notice": result.notice,
        "schemes": [
            {
                "id": m.scheme.id,
                "name": m.scheme.name,
                "funder": m.scheme.funder,
                "reason": m.reason,
                "url": m.scheme.url,
                "checks": list(m.checks),
                "score": m.score,
            }
            for m in result.schemes
        ],
        "near_misses": [
            {"id": m.scheme.id, "name": m.scheme.name, "remedy": m.remedy or ""}
            for m in result.near_misses
        ],
        "counters": [
            {
                "id": c.counter.id,
                "name": c.counter.name,
                "url": c.counter.url,
                "reasons": list(c.reasons),
                "level": c.level.value,
                "distance_km": c.distance_km,
                **_pin(c.counter, communes),
                "how": _how(c.counter.how_to_reach, language),
            }
            for c in result.counters
        ],
    }


def _pick_keys(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: data.get(key, "") for key in keys}


def _pick(text: str, options: Iterable[tuple[str, str]]) -> str | None:
    """The option a typed answer designates: its number, its value or its label."""
    folded = fold(text)
    if not folded:
        return None
    listed = list(options)
    if folded.isdigit() and 1 <= int(folded) <= len(listed):
        return listed[int(folded) - 1][0]
    for value, label in listed:
        if folded in (fold(value), fold(label)):
            return value
    for value, label in listed:
        if len(folded) >= 4 and folded in fold(label):
            return value
    return None


def _rule_matches(rule: Rule, answers: dict[str, Any]) -> bool:
    for key, expected in rule.when.items():
        if answers.get(key) != expected:
            return False
    for key, member in rule.contains.items():
        value = answers.get(key)
        if not isinstance(value, list) or member not in value:
            return False
    return True


def _commune_label(commune: Commune) -> str:
    return f"{commune.name} ({commune.department})"
