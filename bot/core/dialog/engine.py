"""The pure dialog interpreter: `advance(state, inbound, context) → Turn`, driven by a dialog."""

from __future__ import annotations

from bot.core.conversation import Button, Context, Event, Inbound
from bot.core.dialog.answers import Accepted, Offered, Outcome, Reask, Rejected, Toggled
from bot.core.dialog.render import ASIDE, EDIT, OK, SEPARATOR
from bot.core.dialog.schema import ASKING, CommandAction, Dialog, Node, targets
from bot.core.dialog.state import JsonObject, MemoT, Pending, State, load_state
from bot.core.dialog.turn import Domain, Turn, TurnBuilder
from bot.core.dialog.walk import MENU_NODE, Walker
from bot.core.effects import ExportData, ForgetData
from bot.core.geo import fold
from bot.core.parsing import clean_text

FORGET_NODE = "_forget"  # the node id in the buttons of the /oublier confirmation
MAX_TEXT = 20_000  # what is read of one message at most; each question has its own limit


class Engine(Walker[MemoT]):
    """Runs a dialog for one conversation at a time, without I/O, clock or randomness."""

    def __init__(self, dialog: Dialog, domain: Domain[MemoT]) -> None:
        super().__init__(dialog, domain)
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
            return node not in (state.node, FORGET_NODE, ASIDE, MENU_NODE)
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
        elif state.pending.forget:  # « oui » or « non » to « effacer vos données ? »
            self._forget_typed(out, text[:MAX_TEXT], context)
        else:
            self._typed(out, text[:MAX_TEXT], context)
        return out.turn()

    def _typed(self, out: TurnBuilder[MemoT], text: str, context: Context) -> None:
        out.typed = text
        aside = self.domain.aside(None, text, out.state, context)
        if aside is not None:
            out.replies.extend(aside)
        else:
            self._answer(out, self.dialog.nodes[out.state.node], None, text, context)

    def _forget_typed(self, out: TurnBuilder[MemoT], text: str, context: Context) -> None:
        """A typed answer to the erasure question; anything else than yes or no cancels it."""
        answer = self.reader.yes_or_no(text)
        self._button(out, f"{FORGET_NODE}{SEPARATOR}{answer or 'no'}", context)
        if answer is None:  # the citizen moved on: their text answers the question on screen
            self._typed(out, text, context)

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
        action = self._commands.get(fold(text.split()[0].lstrip("/").split("@")[0]), "help")
        self._run(out, action, context)

    def _run(self, out: TurnBuilder[MemoT], action: CommandAction, context: Context) -> None:
        """Do what a command (or a menu button) asks."""
        state = out.state
        if action == "start":
            if state.started:
                self._ask(out, state.node)
            else:
                self._start(out, context)
        elif action == "restart":
            self._fresh(out, "restarted")
            self._start(out, context)
        elif action == "new":
            self._new_project(out, context)
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
        if node_id == ASIDE:  # « Détails » and the like: said aside, the question stays
            aside = self.domain.aside(value, None, state, context)
            if aside is None:
                out.say(self.render.text("stale_button", state))
                self._reask(out)
            out.replies.extend(aside or ())
            return
        if node_id == MENU_NODE:
            node = self.dialog.nodes.get(state.node)
            actions = [item.action for item in node.menu] if node is not None else []
            chosen = next((action for action in actions if action == value), None)
            if chosen is not None:
                self._run(out, chosen, context)
            else:
                out.say(self.render.text("stale_button", state))
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
        elif node.kind == "end" and node.menu:
            self._menu(out, node, text, context)
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
            case Rejected(reason=reason, max=maximum, between=between):
                self._invalid(out, reason, max=maximum, between=between)
            case Toggled(selection=selection, said=said):
                state.pending = state.pending.model_copy(update={"selection": selection})
                if said:
                    out.say(said)
                out.replies.append(self.render.question(node, state, replaces_keyboard=not said))
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

    # -- after the end ----------------------------------------------------------------------

    def _menu(
        self, out: TurnBuilder[MemoT], node: Node, text: str | None, context: Context
    ) -> None:
        """A message after an end: the menu's choice it names, or the menu itself."""
        action = self.reader.menu_action(node, text or "")
        if action is not None:
            self._run(out, action, context)
        else:
            self._ask(out, out.state.node)

    def _fresh(self, out: TurnBuilder[MemoT], said: str) -> State[MemoT]:
        """A new conversation in place of this one (same language and link), announced."""
        old = out.state
        fresh = self.new_state(old.language)
        fresh.campaign = old.campaign
        out.state = fresh
        out.say(self.render.text(said, fresh))
        return fresh

    def _new_project(self, out: TurnBuilder[MemoT], context: Context) -> None:
        """Another project from the same citizen: a fresh start that keeps their consent."""
        old, consent = out.state, self.dialog.consent
        asking = self.dialog.asking(consent.key) if consent is not None else None
        if consent is None or asking is None or old.answers.get(consent.key) != consent.value:
            self._fresh(out, "restarted")
            self._start(out, context)
            return
        fresh = self._fresh(out, "new_project")
        fresh.started, fresh.started_at = True, context.now
        fresh.answers[consent.key] = consent.value
        fresh.consent_at = old.consent_at
        fresh.path.append(asking)
        node = self.dialog.nodes[asking]
        self._enter(out, self._next(node, consent.value, fresh.answers), context)
