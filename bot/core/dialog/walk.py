"""Walking a dialog's tree: entering nodes, asking, accepting answers, going back."""

from __future__ import annotations

from typing import Generic

from bot.core.conversation import Button, Context, Event
from bot.core.dialog.answers import Reader
from bot.core.dialog.render import SEPARATOR, Renderer
from bot.core.dialog.schema import ASKING, Dialog, Node
from bot.core.dialog.state import AnswerValue, MemoT, Pending, State
from bot.core.dialog.turn import Domain, TurnBuilder
from bot.core.models import Language
from bot.core.observatory.unheard import invalid_detail

MENU_NODE = "_menu"  # `_menu|<action>`: a button of an end's menu, running a command


class Walker(Generic[MemoT]):
    """The moves of a conversation through its dialog, shared by every kind of inbound."""

    def __init__(self, dialog: Dialog, domain: Domain[MemoT]) -> None:
        self.dialog = dialog
        self.domain = domain
        self.render = Renderer(dialog, domain)
        self.reader = Reader(self.render)
        self._state_model = State[domain.memo]  # type: ignore[name-defined]

    def new_state(self, language: Language = "fr") -> State[MemoT]:
        """A conversation that has not started yet."""
        return self._state_model(
            tree_version=self.dialog.version,
            node=self.dialog.start,
            language=language,
            memo=self.domain.memo(),
        )

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
        # A node's own « invalid » sentence replaces the generic ones, not those that say
        # something of this answer (the answers it named at once, a non-text message).
        generic = key not in ("invalid_non_text", "invalid_choice_between")
        custom = node.invalid if node is not None and generic else None
        render = self.render
        out.say(
            render.label(custom, out.state) if custom else render.text(key, out.state, **values)
        )
        detail = invalid_detail(key, node.kind if node is not None else None, out.typed)
        out.events.append(Event("invalid_input", out.state.node, detail))
        self._reask(out)

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
        first = state.pending.selection is None  # not a question asked again after a slip
        if node.kind == "multi" and first:
            previous = state.answers.get(node.key or "")
            chosen = (
                previous if isinstance(previous, list) else self.domain.preselected(node, state)
            )
            state.pending = state.pending.model_copy(update={"selection": tuple(chosen)})
        if node.kind == "recap":
            out.replies.append(self.render.recap(state))
            return
        if node.kind == "end" and node.menu:  # said once: afterwards, what can be done next
            label = self.render.label
            buttons = tuple(
                (Button(label(item.label, state), f"{MENU_NODE}{SEPARATOR}{item.action}"),)
                for item in node.menu
            )
            out.say(self.render.text("menu_prompt", state), buttons=buttons)
            return
        if node.kind == "end":
            if node.text is not None:
                out.say(self.render.label(node.text, state))
            return
        if node.kind not in ASKING:
            out.say(self.render.label(node.text, state) or self.render.text("help", state))
            return
        intro = self.domain.intro(node, state, self.dialog) if first else None
        if intro:
            out.say(intro)
        out.replies.append(self.render.question(node, state))
