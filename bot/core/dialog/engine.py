"""The pure dialog interpreter: `advance(state, inbound, context) → Turn`, driven by a dialog."""

from __future__ import annotations

from typing import Generic

from bot.core.conversation import Button, Context, Event, Inbound
from bot.core.dialog.answers import Accepted, Offered, Outcome, Reader, Reask, Rejected, Toggled
from bot.core.dialog.render import EDIT, OK, SEPARATOR, Renderer
from bot.core.dialog.schema import ASKING, CommandAction, Dialog, Node, targets
from bot.core.dialog.state import AnswerValue, JsonObject, MemoT, Pending, State, load_state
from bot.core.dialog.turn import Domain, Turn, TurnBuilder
from bot.core.effects import ExportData, ForgetData
from bot.core.geo import fold
from bot.core.models import Language
from bot.core.parsing import clean_text

FORGET_NODE = "_forget"  # the node id in the buttons of the /oublier confirmation
MAX_TEXT = 4000


class Engine(Generic[MemoT]):
    """Runs a dialog for one conversation at a time, without I/O, clock or randomness."""

    def __init__(self, dialog: Dialog, domain: Domain[MemoT]) -> None:
        self.dialog = dialog
        self.domain = domain
        self.render = Renderer(dialog, domain)
        self.reader = Reader(self.render)
        self._state_model = State[domain.memo]  # type: ignore[name-defined]
        self._commands: dict[str, CommandAction] = {
            name: command.action
            for command in dialog.commands
            for name in (command.command, *command.aliases)
        }
        self._before_slow = frozenset(
            node_id for node_id, node in dialog.nodes.items() if self._reaches_slow(node)
        )

    def _reaches_slow(self, node: Node) -> bool:
        """Whether answering this node runs a slow action without asking anything else first."""
        seen: set[str] = set()
        queue = [t for t in targets(node) if t in self.dialog.nodes]
        while queue:
            node_id = queue.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            candidate = self.dialog.nodes[node_id]
            if candidate.kind == "action" and candidate.action in self.domain.slow_actions:
                return True
            if candidate.kind in ("say", "action"):
                queue.extend(t for t in targets(candidate) if t in self.dialog.nodes)
        return False

    # -- states -----------------------------------------------------------------------------

    def new_state(self, language: Language = "fr") -> State[MemoT]:
        """A conversation that has not started yet."""
        return self._state_model(
            tree_version=self.dialog.version,
            node=self.dialog.start,
            language=language,
            memo=self.domain.memo(),
        )

    def load(self, data: JsonObject) -> State[MemoT] | None:
        """A stored state, or None when it cannot be read any more."""
        return load_state(self._state_model, data)

    def finished(self, state: State[MemoT]) -> bool:
        """Whether a conversation stands on an end node."""
        node = self.dialog.nodes.get(state.node)
        return node is not None and node.kind == "end"

    def about_to_work(self, state: State[MemoT] | None) -> bool:
        """Whether the next answer runs a slow action (a channel may show « typing… »)."""
        return state is not None and (state.node in self._before_slow or state.editing)

    def blind(self, state: State[MemoT], inbound: Inbound) -> bool:
        """Whether an inbound can only answer a question the citizen has not seen yet.

        Typed text and shared positions answer whatever is on screen; so does a button of
        another question. A button of the current question, or a command, does not depend on
        the last messages having arrived.
        """
        if inbound.button is not None:
            node = inbound.button.partition(SEPARATOR)[0]
            return node not in (state.node, FORGET_NODE)
        return not (inbound.text or "").lstrip().startswith("/")

    # -- entry point ------------------------------------------------------------------------

    def advance(
        self, state: State[MemoT] | None, inbound: Inbound, context: Context
    ) -> Turn[MemoT]:
        """Process one inbound message and return the turn; pure and deterministic."""
        # Never change the caller's state.
        state = self.new_state(inbound.language or "fr") if state is None else state.copy_for_turn()
        out: TurnBuilder[MemoT] = TurnBuilder(state)
        campaign = clean_text(inbound.campaign or "")[:64]
        if campaign and not state.campaign:
            state.campaign = campaign
        self._follow_content_version(out)
        text = clean_text(inbound.text) if inbound.text is not None else None
        button = clean_text(inbound.button) if inbound.button is not None else None
        if button is None:
            state.last_button = None  # a press after anything else is not a double tap
        if text is not None and text.startswith("/"):
            self._command(out, text, context)
        elif not state.started:
            self._start(out, context)
        elif button is not None:
            self._button(out, button, context)
        elif inbound.location is not None:
            node = self.dialog.nodes[state.node]
            if node.kind == "commune":
                where = inbound.location
                self._apply(
                    out, node, self.reader.place(state, where.latitude, where.longitude), context
                )
            else:
                self._invalid(out, "invalid_non_text")
        elif text is None:
            self._invalid(out, "invalid_non_text")
        else:
            self._answer(out, self.dialog.nodes[state.node], None, text[:MAX_TEXT], context)
        return out.turn()

    # -- versions, commands, start ----------------------------------------------------------

    def _follow_content_version(self, out: TurnBuilder[MemoT]) -> None:
        state = out.state
        if state.tree_version == self.dialog.version:
            return
        state.tree_version = self.dialog.version
        if state.node in self.dialog.nodes and state.started:
            return
        while state.path and state.path[-1] not in self.dialog.nodes:
            state.path.pop()
        state.node = state.path.pop() if state.path else self.dialog.start
        state.pending = Pending()
        if state.started:
            out.say(self.render.text("resumed_after_update", state))

    def _command(self, out: TurnBuilder[MemoT], text: str, context: Context) -> None:
        state = out.state
        action = self._commands.get(fold(text.split()[0].lstrip("/").split("@")[0]), "help")
        if action == "start":
            if state.started:
                self._ask(out, state.node)
            else:
                self._start(out, context)
        elif action == "restart":
            fresh = self.new_state(state.language)
            fresh.campaign = state.campaign
            out.state = fresh
            out.say(self.render.text("restarted", fresh))
            self._start(out, context)
        elif action == "back":
            self._back(out)
        elif action == "language":
            state.language = "en" if state.language == "fr" else "fr"
            out.say(self.render.text("language_switched", state))
            self._reask(out)
        elif action == "export":
            out.effects.append(ExportData(at=len(out.replies)))
            out.say(self.render.text("data_export", state))
            self._reask(out)
        elif action == "forget":
            state.pending = state.pending.model_copy(update={"forget": True})
            yes = Button(self.render.text("yes", state), f"{FORGET_NODE}{SEPARATOR}yes")
            no = Button(self.render.text("no", state), f"{FORGET_NODE}{SEPARATOR}no")
            out.say(self.render.text("forget_confirm", state), buttons=((yes, no),))
        else:
            out.say(self.render.text("help", state))
            self._reask(out)

    def _start(self, out: TurnBuilder[MemoT], context: Context) -> None:
        state = out.state
        state.started = True
        state.started_at = context.now
        state.node = self.dialog.start
        self._enter(out, self.dialog.start, context)

    def _reask(self, out: TurnBuilder[MemoT]) -> None:
        if out.state.started:
            self._ask(out, out.state.node)
        else:
            out.say(self.render.text("not_started", out.state))

    def _back(self, out: TurnBuilder[MemoT]) -> None:
        state = out.state
        state.pending = Pending()
        state.editing = False
        if not state.path:
            out.say(self.render.text("back_at_start", state))
            self._reask(out)
            return
        state.node = state.path.pop()
        self._ask(out, state.node)

    def _invalid(self, out: TurnBuilder[MemoT], key: str, **values: object) -> None:
        node = self.dialog.nodes.get(out.state.node)
        custom = node.invalid if node is not None and key != "invalid_non_text" else None
        render = self.render
        out.say(
            render.label(custom, out.state) if custom else render.text(key, out.state, **values)
        )
        out.events.append(Event("invalid_input", out.state.node, {"reason": key}))
        self._reask(out)

    # -- inbound answers --------------------------------------------------------------------

    def _button(self, out: TurnBuilder[MemoT], data: str, context: Context) -> None:
        state = out.state
        node_id, _, value = data.partition(SEPARATOR)
        if node_id == FORGET_NODE and state.pending.forget:
            state.pending = state.pending.model_copy(update={"forget": False})
            if value == "yes":
                out.effects.append(ForgetData())
                out.say(self.render.text("forget_done", state))
                out.state = self.new_state(state.language)
            else:
                out.say(self.render.text("forget_cancelled", state))
                self._reask(out)
            return
        if data == state.last_button:
            return  # a double tap: the first one was answered
        if node_id != state.node or node_id not in self.dialog.nodes:
            out.say(self.render.text("stale_button", state))
            self._reask(out)
            return
        taken = len(state.path)
        self._answer(out, self.dialog.nodes[node_id], value, None, context)
        # Remember a press that moved the conversation on: the same press again is a double tap.
        out.state.last_button = data if len(out.state.path) > taken else None

    def _answer(
        self,
        out: TurnBuilder[MemoT],
        node: Node,
        button: str | None,
        text: str | None,
        context: Context,
    ) -> None:
        """Read an answer (button value or typed text) to the current node and apply it."""
        if node.kind == "recap":
            if button is None and text:  # « Confirmer » typed: the button it names
                button = self.reader.recap_button(out.state, text)
            self._answer_recap(out, node, button, context)
        elif node.kind not in ASKING:  # an end node, or a node that does not ask: show where
            self._ask(out, out.state.node)
        else:
            self._apply(out, node, self.reader.read(node, out.state, button, text), context)

    def _apply(
        self, out: TurnBuilder[MemoT], node: Node, outcome: Outcome, context: Context
    ) -> None:
        state = out.state
        match outcome:
            case Accepted(value=value, said=said):
                if said:
                    out.say(said)
                self._accept(out, node, value, context)
            case Rejected(reason=reason, max=maximum):
                self._invalid(out, reason, max=maximum)
            case Toggled(selection=selection):
                state.pending = state.pending.model_copy(update={"selection": selection})
                out.replies.append(self.render.question(node, state, replaces_keyboard=True))
            case Offered(prompt=prompt, candidates=candidates, buttons=buttons):
                state.pending = state.pending.model_copy(update={"candidates": candidates})
                out.say(prompt, buttons=buttons)
            case Reask():
                state.pending = Pending()
                self._ask(out, state.node)

    def _answer_recap(
        self, out: TurnBuilder[MemoT], node: Node, button: str | None, context: Context
    ) -> None:
        state = out.state
        if button == OK:
            state.editing = False
            state.path.append(state.node)
            out.events.append(Event("answered", state.node))
            self._enter(out, self._next(node, None, state.answers), context)
            return
        if button is not None and button.startswith(EDIT):
            target = self.dialog.asking(button[len(EDIT) :])
            if target is not None:
                state.editing = True
                state.path.append(state.node)
                state.node = target
                state.last_button = None
                self._ask(out, target)
                return
        self._invalid(out, "invalid_choice")

    # -- moving through the tree ------------------------------------------------------------

    def _accept(
        self, out: TurnBuilder[MemoT], node: Node, value: AnswerValue, context: Context
    ) -> None:
        """Record a valid answer and move on (skipping what an edit left valid)."""
        state = out.state
        assert node.key is not None
        previous = state.answers.get(node.key)
        state.answers[node.key] = value
        state.pending = Pending()
        consent = self.dialog.consent
        if consent is not None and node.key == consent.key and value == consent.value:
            state.consent_at = context.now
        if previous is not None and previous != value:
            self._clear_dependents(state, node.key)
        state.path.append(state.node)
        out.events.append(Event("answered", state.node))
        self._enter(out, self._next(node, value, state.answers), context)

    def _clear_dependents(self, state: State[MemoT], key: str) -> None:
        """Clear answers that depend on `key`, transitively."""
        queue = [key]
        while queue:
            changed = queue.pop()
            for node in self.dialog.nodes.values():
                if changed in node.depends_on and node.key and node.key in state.answers:
                    del state.answers[node.key]
                    queue.append(node.key)

    def _next(self, node: Node, value: AnswerValue, given: dict[str, AnswerValue]) -> str:
        """Where a node leads, given its answer and the answers so far."""
        return self.dialog.next_of(node, value, given) or self.dialog.start

    def _enter(self, out: TurnBuilder[MemoT], node_id: str, context: Context) -> None:
        """Walk from `node_id`: say, act, skip what is answered while editing, then ask."""
        state = out.state
        for _ in range(len(self.dialog.nodes) + 1):
            node = self.dialog.nodes[node_id]
            state.node = node_id
            out.events.append(Event("node_entered", node_id))
            if node.kind == "say":
                out.say(self.render.label(node.text, state))
                if node.show is not None:
                    out.replies.extend(self.domain.show(node.show, state))
                node_id = self._next(node, None, state.answers)
                continue
            if node.kind == "action":
                assert node.action is not None
                self.domain.act(node.action, out, context)
                state = out.state
                node_id = self._next(node, None, state.answers)
                continue
            if node.kind == "end":
                if node.text is not None:
                    out.say(self.render.label(node.text, state))
                state.editing = False
                return
            if state.editing and node.kind != "recap" and node.key in state.answers:
                node_id = self._next(node, state.answers[node.key or ""], state.answers)
                continue
            self._ask(out, node_id)
            return
        self._ask(out, self.dialog.start)  # a loop in the content: never spin forever

    # -- asking -----------------------------------------------------------------------------

    def _ask(self, out: TurnBuilder[MemoT], node_id: str) -> None:
        state = out.state
        node = self.dialog.nodes.get(node_id)
        if node is None:
            state.node = self.dialog.start
            node = self.dialog.nodes[state.node]
        if node.kind == "multi" and state.pending.selection is None:
            previous = state.answers.get(node.key or "")
            chosen = (
                previous if isinstance(previous, list) else self.domain.preselected(node, state)
            )
            state.pending = state.pending.model_copy(update={"selection": tuple(chosen)})
        if node.kind == "recap":
            out.replies.append(self.render.recap(state))
            return
        if node.kind == "end":
            if node.text is not None:
                out.say(self.render.label(node.text, state))
            return
        if node.kind not in ASKING:
            out.say(self.render.label(node.text, state) or self.render.text("help", state))
            return
        intro = self.domain.intro(node, state, self.dialog)
        if intro:
            out.say(intro)
        out.replies.append(self.render.question(node, state))
