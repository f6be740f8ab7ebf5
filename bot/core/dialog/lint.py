"""The dialog linter and loader: targets, reachability, dead ends, Telegram limits, declarations."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

from bot.core.dialog.render import optional_questions
from bot.core.dialog.schema import (
    ASKING,
    MAX_BUTTON_BYTES,
    MAX_TEXT,
    Check,
    Dialog,
    Location,
    Node,
    targets,
)
from bot.core.dialog.words import Chooser, labelled
from bot.core.knowledge import ContentError, Problem, parse_yaml, validate
from bot.core.models import Text

Finding = tuple[Location, str]


def load_dialog(path: Path, checks: Iterable[Check] = ()) -> Dialog:
    """Load and lint one dialog file; raise ContentError listing every problem.

    `checks` add what only the dialog's domain can tell (its actions, option sources, keys).
    """
    document, problems = parse_yaml(path, f"dialogs/{path.name}")
    if document is None:
        raise ContentError(problems)
    dialog, invalid = validate(document, Dialog)
    problems.extend(invalid)
    if dialog is not None:
        found = [*lint(dialog), *(item for check in checks for item in check(dialog))]
        problems.extend(
            Problem(document.label, document.line_of(location), ".".join(location), message)
            for location, message in found
        )
    if problems or dialog is None:
        raise ContentError(sorted(set(problems)))
    return dialog


def lint(dialog: Dialog) -> Iterator[Finding]:
    """Everything a schema cannot say about a dialog, each with where it is."""
    yield from _graph(dialog)
    yield from _steps(dialog)
    yield from _limits(dialog)
    yield from _commands(dialog)
    yield from _declarations(dialog)
    yield from _typed_names(dialog)


def _graph(dialog: Dialog) -> Iterator[Finding]:
    """Dangling targets, unreachable nodes, dead ends."""
    nodes = dialog.nodes
    if dialog.start not in nodes:
        yield ("start",), f"nœud de départ inconnu « {dialog.start} »"
    for node_id, node in nodes.items():
        for target in targets(node):
            if target not in nodes:
                yield ("nodes", node_id, "next"), f"nœud cible inconnu « {target} »"
    reachable = _reachable(dialog)
    for node_id in nodes:
        if node_id not in reachable:
            yield ("nodes", node_id), "nœud inatteignable depuis le départ"
    for node_id in reachable:
        if node_id in nodes and not _reaches_end(dialog, node_id):
            yield ("nodes", node_id), "impasse : aucun chemin ne mène à une fin"


def _steps(dialog: Dialog) -> Iterator[Finding]:
    """« Étape 3 sur 8 » and « Question facultative 2 sur 4 » stay true on every path.

    Whichever branch is taken, the numbered steps come 1, 2, … in order, and a path that showed
    one reaches the last before its end; so do the self-assessment's questions (`marker`), in
    the order the dialog first leads to them. Conditions are not evaluated: every branch
    counts as possible.
    """
    nodes = dialog.nodes
    total = max((n.step for n in nodes.values() if n.step), default=0)
    optional = optional_questions(dialog)
    if dialog.start not in nodes:
        return
    found: dict[Location, str] = {}
    seen = {(dialog.start, 0, 0)}
    queue = deque(seen)
    while queue:
        node_id, step, asked = queue.popleft()
        node = nodes[node_id]
        where = ("nodes", node_id)
        if node.step is not None:
            if node.step != step + 1:
                found.setdefault(
                    (*where, "step"),
                    f"l'étape {node.step} peut suivre l'étape {step} : numérotez les étapes "
                    "dans l'ordre où elles sont posées, sur chaque chemin",
                )
            step = node.step
        if node_id in optional:
            place = optional.index(node_id) + 1
            if place != asked + 1:
                found.setdefault(
                    (*where, "marker"),
                    f"cette question facultative ({place} sur {len(optional)}) peut venir "
                    f"après la {asked}e : rangez-les dans l'ordre où elles sont posées",
                )
            asked = place
        if node.kind == "end":
            if step not in (0, total):
                found.setdefault(
                    where, f"cette fin arrive après l'étape {step} sur {total} : le compte est faux"
                )
            if asked not in (0, len(optional)):
                found.setdefault(
                    where,
                    f"cette fin arrive après la question facultative {asked} sur "
                    f"{len(optional)} : le compte est faux",
                )
        for target in targets(node):
            if target in nodes and (target, step, asked) not in seen:
                seen.add((target, step, asked))
                queue.append((target, step, asked))
    yield from found.items()


def _limits(dialog: Dialog) -> Iterator[Finding]:
    """Telegram's limits: 64 bytes of button data, 4096 characters of text."""
    for node_id, node in dialog.nodes.items():
        if len(node_id) > 24:
            yield ("nodes", node_id), "identifiant de nœud trop long (24 caractères au plus)"
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


def _commands(dialog: Dialog) -> Iterator[Finding]:
    """Names unique, each action once, /start present, every command named in the help."""
    seen: set[str] = set()
    actions: set[str] = set()
    for index, command in enumerate(dialog.commands):
        where = ("commands", str(index))
        for name in (command.command, *command.aliases):
            if name in seen:
                yield (*where, "command"), f"commande « /{name} » déclarée deux fois"
            seen.add(name)
        if command.action in actions:
            yield (*where, "action"), f"action « {command.action} » déjà attribuée"
        actions.add(command.action)
        for language in ("fr", "en"):
            if f"/{command.command}" not in dialog.texts.help.get(language) and (
                command.action != "start"
            ):
                yield (
                    ("texts", "help", language),
                    f"l'aide ne mentionne pas la commande « /{command.command} »",
                )
    if "start" not in actions:
        yield ("commands",), "il faut une commande d'action « start » (Telegram envoie /start)"


def _declarations(dialog: Dialog) -> Iterator[Finding]:
    """The consent answer, the profile keys and `depends_on` name answers the dialog asks."""
    asked = {node.key: node for node in dialog.nodes.values() if node.key and node.kind in ASKING}
    consent = dialog.consent
    if consent is not None:
        node = asked.get(consent.key)
        if node is None or node.kind != "choice":
            yield ("consent", "key"), f"aucune question à choix ne porte la clé « {consent.key} »"
        elif consent.value not in {o.value for o in node.options}:
            yield ("consent", "value"), f"« {consent.value} » n'est pas une réponse de la question"
    if dialog.profile is not None:
        for field, key in dialog.profile:
            if key not in asked:
                yield ("profile", field), f"aucune question ne porte la clé « {key} »"
    for node_id, node in dialog.nodes.items():
        for key in node.depends_on:
            if key not in asked:
                yield ("nodes", node_id, "depends_on"), f"clé inconnue « {key} »"


def _typed_names(dialog: Dialog) -> Iterator[Finding]:
    """Every label and synonym of an answer, typed alone, must name that answer and no other."""
    for node_id, node in dialog.nodes.items():
        named = [
            (("options", str(i)), o.value, o.label, o.synonyms) for i, o in enumerate(node.options)
        ]
        named += [
            (("menu", str(i)), m.action, m.label, m.synonyms) for i, m in enumerate(node.menu)
        ]
        chooser = Chooser(labelled(value, label, synonyms) for _, value, label, synonyms in named)
        for where, value, label, synonyms in named:
            for name in (label.fr, label.en, *synonyms):
                if chooser.pick(name) != value:
                    yield (
                        ("nodes", node_id, *where),
                        f"« {name} », écrit seul, ne désigne pas cette réponse "
                        "(il en désigne une autre, ou plusieurs) : changez ce synonyme",
                    )


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
