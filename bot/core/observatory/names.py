"""The French labels the figures carry: themes, départements, counters, vocabulary, markers,
and the dialog's questions in the order the conversation asks them."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.dialog.schema import ASKING, Dialog, targets
from bot.core.knowledge import Knowledge
from bot.core.leads import Status

# Staff read statuses as the lead list's filter names them.
STATUS_LABELS: Mapping[str, str] = {
    Status.NOUVEAU: "Nouveau",
    Status.PRIS_EN_CHARGE: "Pris en charge",
    Status.ACCOMPAGNEMENT_PROPOSE: "Accompagnement proposé",
    Status.REORIENTE: "Réorienté",
    Status.PAS_POUR_NOUS: "Pas pour nous",
    Status.INJOIGNABLE: "Injoignable",
}
NO_THEME = "Sans thème précisé"
LABEL_WORDS = 8  # a question without a short label is named by its first words


@dataclass(frozen=True)
class Names:
    """Labels by key; a key the content no longer knows is shown as it is."""

    themes: Mapping[str, str]
    departments: Mapping[str, str]
    counters: Mapping[str, str]
    carriers: Mapping[str, str]
    stages: Mapping[str, str]
    needs: Mapping[str, str]
    markers: tuple[tuple[str, str], ...]  # (id, label), the knowledge's order
    asked_markers: frozenset[str]  # the markers the dialog asks about
    scale: tuple[str, ...]  # the self-assessment's levels, 0 first
    steps: tuple[tuple[str, str], ...]  # (node, label), questions and ends in dialog order
    staff: str  # who has the leads no counter has
    silent: frozenset[str] = frozenset()  # the dialog's nodes that ask nothing (not steps)
    statuses: Mapping[str, str] = field(default_factory=lambda: STATUS_LABELS)

    def theme(self, slug: str | None) -> str:
        """A theme's label (« Sans thème précisé » for none)."""
        return self.themes.get(slug, slug) if slug else NO_THEME

    def department(self, code: str) -> str:
        """« Pas-de-Calais (62) »."""
        name = self.departments.get(code)
        return f"{name} ({code})" if name else (code or "Département inconnu")

    def counter(self, counter_id: str | None) -> str:
        """A counter's name; the staff for none."""
        return self.counters.get(counter_id, counter_id) if counter_id else self.staff


def names(knowledge: Knowledge, dialog: Dialog, staff: str) -> Names:
    """The labels of this content."""
    vocabulary = knowledge.vocabulary
    return Names(
        themes={t.slug: t.label.fr for t in knowledge.themes},
        departments={code: d.name for code, d in knowledge.geo.departments.items()},
        counters={c.id: c.name for c in knowledge.counters},
        carriers={str(k): v.fr for k, v in vocabulary.carriers.items()},
        stages={str(k): v.fr for k, v in vocabulary.stages.items()},
        needs={str(k): v.fr for k, v in vocabulary.needs.items()},
        markers=tuple((m.id, m.label.fr) for m in knowledge.markers.markers),
        asked_markers=frozenset(n.marker for n in dialog.nodes.values() if n.marker),
        scale=tuple(level.fr for level in knowledge.markers.scale),
        steps=tuple(zip(steps(dialog), step_labels(dialog, steps(dialog)), strict=True)),
        staff=staff,
        silent=frozenset(dialog.nodes) - frozenset(steps(dialog)),
    )


def steps(dialog: Dialog) -> list[str]:
    """The questions and ends of a dialog in the order a conversation meets them.

    A topological order of the nodes reachable from the start (a node comes after every node
    leading to it), ties broken by the file's order; what a loop leaves comes last.
    """
    order = {node: index for index, node in enumerate(dialog.nodes)}
    reachable: set[str] = set()
    stack = [dialog.start]
    while stack:
        node = stack.pop()
        if node in reachable or node not in dialog.nodes:
            continue
        reachable.add(node)
        stack.extend(targets(dialog.nodes[node]))
    into = {node: 0 for node in reachable}
    for node in reachable:
        for target in set(targets(dialog.nodes[node])) & reachable:
            if target != node:
                into[target] += 1
    ready = [(order[n], n) for n, count in into.items() if count == 0]
    heapq.heapify(ready)
    found: list[str] = []
    while ready:
        _, node = heapq.heappop(ready)
        found.append(node)
        for target in set(targets(dialog.nodes[node])) & reachable:
            if target == node:
                continue
            into[target] -= 1
            if into[target] == 0:
                heapq.heappush(ready, (order[target], target))
    left = sorted((n for n in reachable if n not in found), key=order.__getitem__)
    kinds = (*ASKING, "end")
    return [n for n in (*found, *left) if dialog.nodes[n].kind in kinds]


def step_labels(dialog: Dialog, nodes: list[str]) -> list[str]:
    """The steps as staff name them, each name its own: steps whose texts start alike are
    named by their first words and then the words where they part; the same texts, by id."""
    labels = {node: step_label(dialog, node) for node in nodes}
    groups: dict[str, list[str]] = {}
    for node, label in labels.items():
        groups.setdefault(label, []).append(node)
    for alike in (group for group in groups.values() if len(group) > 1):
        texts = {node: _words(dialog, node) for node in alike}
        common = _shared(list(texts.values()))
        for node in alike:
            rest = texts[node][common : common + LABEL_WORDS]
            if not rest:
                continue  # the same text as another: told apart by id below
            more = " …" if len(texts[node]) > common + LABEL_WORDS else ""
            start = " ".join(texts[node][: LABEL_WORDS // 2])
            labels[node] = _named(dialog, node, f"{start} … {' '.join(rest)}{more}")
    named = [labels[node] for node in nodes]
    return [
        f"{label} ({node})" if named.count(label) > 1 else label
        for node, label in zip(nodes, named, strict=True)
    ]


def _shared(texts: list[list[str]]) -> int:
    """How many first words these texts have in common."""
    count = 0
    while all(len(t) > count and t[count] == texts[0][count] for t in texts):
        count += 1
    return count


def _words(dialog: Dialog, node_id: str) -> list[str]:
    text = dialog.nodes[node_id].text
    return text.fr.split() if text is not None else []


def _named(dialog: Dialog, node_id: str, short: str) -> str:
    return f"Fin : {short}" if dialog.nodes[node_id].kind == "end" else short


def step_label(dialog: Dialog, node_id: str) -> str:
    """A question as staff name it: its recap label, else its first words."""
    node = dialog.nodes[node_id]
    if node.recap_label is not None:
        return node.recap_label.fr
    words = _words(dialog, node_id)
    if not words:
        return "Fin de la conversation" if node.kind == "end" else node_id
    more = " …" if len(words) > LABEL_WORDS else ""
    return _named(dialog, node_id, " ".join(words[:LABEL_WORDS]) + more)
