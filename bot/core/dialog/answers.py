"""Reading a citizen's answer by the kind of question, as a typed outcome the engine applies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic

from bot.core.conversation import Button
from bot.core.dialog.render import EDIT, NONE, OK, SEPARATOR, SKIP, Renderer
from bot.core.dialog.schema import CommandAction, Node
from bot.core.dialog.state import AnswerValue, MemoT, State
from bot.core.dialog.words import Choice, Chooser, labelled, names_of, said
from bot.core.geo import Commune, fold
from bot.core.money import format_number
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
    max: str | None = None
    between: str | None = None  # the answers a text named at once, as the citizen reads them


@dataclass(frozen=True, slots=True)
class Toggled:
    """Options ticked or unticked: the question is redrawn (in place, unless `said` first)."""

    selection: tuple[str, ...]
    said: str | None = None


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
MAX_BETWEEN = 3  # a typed answer naming more answers than this at once is not understood
_SEPARATORS = re.compile(r"[,;/+\n]|\s+(?:et|and|ou|or)\s+")


class Reader(Generic[MemoT]):
    """Reads answers for a dialog: typed text, a button's value or a shared position."""

    def __init__(self, render: Renderer[MemoT]) -> None:
        self.render = render
        self.domain = render.domain
        self.words = words = render.dialog.words
        texts = render.dialog.texts
        self._yes_no = Chooser(
            [labelled("yes", texts.yes, words.yes), labelled("no", texts.no, words.no)]
        )
        # What a free text cannot be: a yes, a no, « je ne sais pas », « ok »…
        self._not_answers = (*words.yes, *words.no, *words.skip, *words.done)

    # -- entry points -----------------------------------------------------------------------

    def read(
        self, node: Node, state: State[MemoT], button: str | None, text: str | None
    ) -> Outcome:
        """What an answer to `node` means (the recap is the engine's own business)."""
        if node.kind == "choice":
            options = dict(self.render.options(node, state.language))
            if button is not None:
                return Accepted(button) if button in options else Rejected("invalid_choice")
            named = self.chooser(node).named(text or "")
            if len(named) == 1:
                return Accepted(named[0])
            if 1 < len(named) <= MAX_BETWEEN:  # « un groupe d'amis, pas encore d'asso »
                quote = "« {} »" if state.language == "fr" else '"{}"'
                between = ", ".join(quote.format(options[v]) for v in named)
                return Rejected("invalid_choice_between", between=between)
            return Rejected("invalid_choice")
        if node.kind == "multi":
            return self._multi(node, state, button, text)
        if node.kind == "yesno":
            said_ = button if button is not None else self.yes_or_no(text or "")
            if said_ not in ("yes", "no"):
                return Rejected("invalid_choice")
            return Accepted(said_ == "yes")
        if node.kind in ("text", "amount"):
            if button == SKIP and node.optional:
                return Accepted(None)
            if button is not None or text is None:
                return Rejected("invalid_choice")
            return self.free_text(node, state, text)
        if node.kind == "commune":
            return self._commune(state, button, text)
        return Reask()

    def yes_or_no(self, text: str) -> str | None:
        """« yes », « no » or None for a typed answer to a yes/no question or confirmation."""
        return self._yes_no.pick(text)

    def chooser(self, node: Node, done: bool = False) -> Chooser:
        """The options of a question with every name they may be typed as (and « Valider »)."""
        labels = {language: dict(self.render.options(node, language)) for language in ("fr", "en")}
        synonyms = {o.value: o.synonyms for o in node.options}
        choices = [
            Choice(
                value,
                (
                    *names_of(label, labels["en"].get(value, label)),
                    *synonyms.get(value, ()),
                    *((value,) if not value.isdigit() else ()),
                ),
            )
            for value, label in labels["fr"].items()
        ]
        if done:
            validate = self.render.dialog.texts.validate_button
            choices.append(labelled(OK, validate, (*self.words.done, *self.words.yes)))
        return Chooser(choices)

    def menu_action(self, node: Node, text: str) -> CommandAction | None:
        """The command of an end's menu a typed text names (« nouveau projet »)."""
        items = {item.action: item for item in node.menu}
        chooser = Chooser(labelled(a, i.label, i.synonyms) for a, i in items.items())
        picked = chooser.pick(text)
        return items[picked].action if picked in items else None

    def recap_button(self, state: State[MemoT], text: str) -> str | None:
        """The value of the recap's button the citizen typed (« confirmer », « prénom »)."""
        labels = {n.key: n.recap_label for n in self.render.dialog.nodes.values() if n.key}
        choices = []
        for row in self.render.recap(state).buttons:
            for button in row:
                value = button.data.partition(SEPARATOR)[2]
                names: tuple[str, ...] = (button.label,)
                if value == OK:
                    names += (*self.words.confirm, *self.words.yes)
                elif value.startswith(EDIT) and (label := labels.get(value[len(EDIT) :])):
                    names += (label.fr, label.en)
                choices.append(Choice(value, names))
        return Chooser(choices).pick(text)

    def place(self, state: State[MemoT], latitude: float, longitude: float) -> Outcome:
        """A shared position, as the answer to a `commune` question."""
        nearest = self.domain.places.nearest(latitude, longitude)
        return Rejected("invalid_commune") if nearest is None else self._found(state, nearest)

    # -- free text --------------------------------------------------------------------------

    def free_text(self, node: Node, state: State[MemoT], text: str) -> Accepted | Rejected:
        """A typed text checked against the node's length and validators; amounts parsed."""
        if not text:
            return Rejected("invalid_text_empty")
        amount = node.kind == "amount" or "amount" in node.validators
        if node.optional and said(text, self.words.skip) and not (amount and parse_amount(text)):
            return Accepted(None)
        cut = None
        if len(text) > node.max_length:
            limit = format_number(node.max_length, state.language)
            if node.too_long != "cut":
                return Rejected("invalid_text_long", max=limit)
            text, cut = (
                text[: node.max_length].rstrip(),
                self.render.text("text_cut", state, max=limit),
            )
        if "meaningful" in node.validators and not self._meaningful(text):
            return Rejected("invalid_meaningless")
        for validator in node.validators:
            if validator in _CHECKS:
                error, check = _CHECKS[validator]
                if not check(text):
                    return Rejected(error)
        if amount:
            parsed = parse_amount(text)
            return Rejected("invalid_amount") if parsed is None else Accepted(parsed)
        return Accepted(text, cut)

    def _meaningful(self, text: str) -> bool:
        """Whether a text says something: letters, and not « ? », « oui » or « je sais pas »."""
        letters = sum(ch.isalpha() for ch in text)
        return letters >= 2 and not said(text, self._not_answers)

    # -- multiple choice --------------------------------------------------------------------

    def _multi(
        self, node: Node, state: State[MemoT], button: str | None, text: str | None
    ) -> Outcome:
        values = [v for v, _ in self.render.options(node, state.language)]
        selection = list(state.pending.selection or ())
        if button is not None:
            if button in values:
                return Toggled(tuple(v for v in values if (v in selection) != (v == button)))
            if button != OK:
                return Rejected("invalid_choice")
            return Accepted(selection) if selection else Rejected("multi_empty")
        typed = text or ""
        chooser = self.chooser(node, done=True)
        if fold(typed).isdigit():  # a number works like its button (« Valider » comes last)
            number = chooser.pick(typed)
            if number == OK:
                return Accepted(selection) if selection else Rejected("multi_empty")
            if number is not None:
                return Toggled(tuple(v for v in values if (v in selection) != (v == number)))
        added: list[str] = []
        removed: list[str] = []
        parts = [p for p in _SEPARATORS.split(typed) if fold(p)]
        read = [self._part(node, chooser, part) for part in parts]
        if len(parts) > 1 and not any(found for _, found in read):  # a label with commas…
            whole = chooser.pick(typed)
            read = [(False, [whole])] if whole is not None else read
        for removing, found in read:
            (removed if removing else added).extend(found)
        unknown = [p.strip() for p, (_, found) in zip(parts, read, strict=False) if not found]
        done = OK in added
        added = [v for v in added if v != OK]
        if done and not removed and not set(added) - set(selection):  # « ok », « c'est bon »
            return Accepted(selection) if selection else Rejected("multi_empty")
        if not added and not removed:
            return Rejected("invalid_multi")
        chosen = [v for v in values if (v in selection or v in added) and v not in removed]
        labels = dict(self.render.options(node, state.language))
        shown = ", ".join(labels[v] for v in chosen) or self.render.text("recap_empty", state)
        if added:
            fresh = [v for v in values if v in added and v not in selection]
            key, named = ("multi_added", fresh) if fresh else ("multi_kept", added)
        else:
            key, named = "multi_removed", removed
        names = ", ".join(labels[v] for v in values if v in named)
        said_ = self.render.text(key, state, named=names, selection=shown)
        if unknown:  # never dropped in silence: the citizen sees what was not understood
            not_read = self.render.text("multi_unknown", state, parts=", ".join(unknown))
            said_ = f"{said_}\n{not_read}"
        return Toggled(tuple(chosen), said_)

    def _part(self, node: Node, chooser: Chooser, part: str) -> tuple[bool, list[str]]:
        """One part of a typed answer: whether it unticks (« sans … »), and what it names."""
        words = fold(part).split()
        removing = bool(words) and words[0] in {fold(w) for w in self.words.remove}
        return removing, self._designate(node, chooser, " ".join(words[1:]) if removing else part)

    def _designate(self, node: Node, chooser: Chooser, text: str) -> list[str]:
        """The options one typed part names: by number, name, synonym, or the domain's words."""
        if not fold(text):
            return []
        numbers = [int(n) for n in re.findall(r"\d+", text)] if fold(text)[0].isdigit() else []
        if numbers:
            values = [c.value for c in chooser.choices]
            return [values[n - 1] for n in numbers if 1 <= n <= len(values)]
        picked = chooser.pick(text)
        if picked is not None:
            return [picked]
        if node.options_from is not None:
            return list(self.domain.recognise(node.options_from, text))
        return []

    # -- communes ---------------------------------------------------------------------------

    def _commune(self, state: State[MemoT], button: str | None, text: str | None) -> Outcome:
        places = self.domain.places
        candidates = state.pending.candidates
        if button is None and candidates:
            button = self._offered(state, text or "")
        if button is not None:
            if button == NONE or not button.startswith("c") or not button[1:].isdigit():
                return Reask()
            index = int(button[1:])
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

    def _offered(self, state: State[MemoT], text: str) -> str | None:
        """Which of the communes offered a typed answer picks: a number, a name, oui or non."""
        places = self.domain.places
        candidates = state.pending.candidates
        choices = [
            Choice(
                f"c{i}",
                (places.label(code) or "", getattr(places.commune(code), "name", "")),
            )
            for i, code in enumerate(candidates)
        ]
        none = self.render.dialog.texts.commune_none_of_these
        choices.append(labelled(NONE, none, self.words.none))
        picked = Chooser(choices).pick(text)
        if picked is not None:
            return picked
        answer = self.yes_or_no(text)
        if answer == "no":
            return NONE
        return "c0" if answer == "yes" and len(candidates) == 1 else None

    def _found(self, state: State[MemoT], commune: Commune) -> Accepted:
        said_ = self.render.text(
            "commune_found", state, name=commune.name, department=commune.department
        )
        return Accepted(commune.insee, said_)
