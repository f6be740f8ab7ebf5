"""Minimal edits of a YAML file's text: only the values that changed are rewritten.

The file is parsed by the project's own loader, whose nodes know where each key and value
starts and ends; every other character (comments, quoting, line breaks, blank lines) is kept.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from bot.core.editing.yaml_render import (
    Style,
    entry,
    inline,
    is_scalar,
    item_lines,
    normalised,
    same,
    scalar,
    string,
)
from bot.core.knowledge import KnowledgeLoader


@dataclass(frozen=True, order=True)
class _Edit:
    start: int
    end: int
    order: int
    text: str


def _compose(text: str) -> tuple[yaml.Node | None, object]:
    loader = KnowledgeLoader(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def load(text: str) -> object:
    """A YAML text as the project's loader reads it."""
    return _compose(text)[1]


def _is_block(node: yaml.Node) -> bool:
    return isinstance(node, yaml.CollectionNode) and not node.flow_style and bool(node.value)


def _is_flow(node: yaml.Node) -> bool:
    """A non-empty flow collection (`[a, b]`, `{fr: …}`): its new value keeps that style."""
    return isinstance(node, yaml.CollectionNode) and bool(node.flow_style) and bool(node.value)


class Patcher:
    """Collects the edits that turn a file's data into new data, then applies them."""

    def __init__(self, text: str) -> None:
        node, data = _compose(text)
        if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
            raise ValueError("le fichier ne contient pas une fiche (un dictionnaire YAML)")
        self.text = text
        self.root: yaml.MappingNode = node
        self.data: dict[str, object] = data
        self.style = self._style(node)
        self._edits: list[_Edit] = []

    def _style(self, root: yaml.MappingNode) -> Style:
        offset, flow = 2, None
        quotes = {"'": 0, '"': 0}
        pending: list[yaml.Node] = [root]
        while pending:
            node = pending.pop(0)
            if isinstance(node, yaml.ScalarNode) and node.style in quotes:
                quotes[node.style] += 1
            elif isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(value, yaml.SequenceNode) and value.value:
                        if _is_block(value) and offset == 2 and flow is None:
                            offset = value.value[0].start_mark.column - 2 - key.start_mark.column
                        if all(isinstance(i, yaml.ScalarNode) for i in value.value):
                            flow = bool(value.flow_style) if flow is None else flow
                    pending.extend((key, value))
            elif isinstance(node, yaml.SequenceNode):
                pending.extend(node.value)
        quote = "'" if quotes["'"] > quotes['"'] else '"'
        return Style(offset=max(offset, 0), flow=True if flow is None else flow, quote=quote)

    # positions

    def _line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def _next_line(self, index: int) -> int:
        end = self.text.find("\n", index)
        return len(self.text) if end < 0 else end + 1

    def _owns_line(self, index: int) -> bool:
        return not self.text[self._line_start(index) : index].strip()

    def _end(self, node: yaml.Node) -> int:
        """Where a node's last character is (a block collection's end mark is past comments)."""
        if isinstance(node, yaml.ScalarNode):
            end = node.end_mark.index
            if node.style in ("|", ">"):
                while end > node.start_mark.index and self.text[end - 1] in " \t\r\n":
                    end -= 1
            return end
        if _is_block(node):
            last = node.value[-1]
            return self._end(last[1] if isinstance(node, yaml.MappingNode) else last)
        return node.end_mark.index

    def _dash(self, item: yaml.Node) -> int:
        return self.text.rfind("-", self._line_start(item.start_mark.index), item.start_mark.index)

    # edits

    def _edit(self, start: int, end: int, text: str) -> None:
        self._edits.append(_Edit(start, end, len(self._edits), text))

    def _insert(self, index: int, lines: list[str]) -> None:
        text = "\n".join(lines)
        if index >= len(self.text) and self.text and not self.text.endswith("\n"):
            self._edit(len(self.text), len(self.text), "\n" + text)
        else:
            self._edit(index, index, text + "\n")

    def _delete_lines(self, first: int, node: yaml.Node) -> None:
        self._edit(self._line_start(first), self._next_line(self._end(node)), "")

    def result(self) -> str:
        """The text with every edit applied."""
        parts: list[str] = []
        position = 0
        for edit in sorted(self._edits):
            if edit.start < position:
                raise AssertionError("overlapping YAML edits")
            parts.extend((self.text[position : edit.start], edit.text))
            position = edit.end
        parts.append(self.text[position:])
        return "".join(parts)

    # the walk

    def mapping(
        self, node: yaml.MappingNode, old: Mapping[str, object], new: Mapping[str, object]
    ) -> bool:
        """Edit a block mapping in place; False when only rewriting it whole would do."""
        entries = {str(key.value): (key, value) for key, value in node.value}
        removed = [k for k in entries if k not in new]
        first_key = node.value[0][0]
        first_added = next(iter(new), None) not in entries
        if not self._owns_line(first_key.start_mark.index) and (
            first_added or any(entries[k][0] is first_key for k in removed)
        ):
            return False
        for name in removed:
            key, value = entries[name]
            self._delete_lines(key.start_mark.index, value)
        column = first_key.start_mark.column
        after: int | None = self._line_start(first_key.start_mark.index)
        for name, value in new.items():
            if name in entries:
                key, node_value = entries[name]
                if not same(old[name], value):
                    self.value(key, node_value, old[name], value)
                after = self._next_line(self._end(node_value))
            elif after is not None:
                self._insert(after, entry(string(name, self.style), value, column, self.style))
        return True

    def value(self, key: yaml.Node, node: yaml.Node, old: object, new: object) -> None:
        """Edit the value of one key."""
        if self._in_place(node, old, new):
            return
        text = "\n".join(
            entry(
                self.text[key.start_mark.index : key.end_mark.index],
                new,
                key.start_mark.column,
                self.style,
                was_flow=_is_flow(node),
            )
        )
        self._edit(key.start_mark.index, self._end(node), text.lstrip(" "))

    def _in_place(self, node: yaml.Node, old: object, new: object) -> bool:
        if is_scalar(new):
            if isinstance(node, yaml.ScalarNode) and node.end_mark.index > node.start_mark.index:
                self._edit(node.start_mark.index, self._end(node), scalar(new, self.style))
                return True
            return False
        if not _is_block(node) or not new:
            return False
        if isinstance(node, yaml.MappingNode) and isinstance(new, Mapping):
            assert isinstance(old, Mapping)
            return self.mapping(node, old, new)
        if isinstance(node, yaml.SequenceNode) and isinstance(new, list | tuple):
            assert isinstance(old, list)
            return self.sequence(node, old, list(new))
        return False

    def sequence(self, node: yaml.SequenceNode, old: list[object], new: list[object]) -> bool:
        """Edit a block list in place, item by item; False when it must be rewritten whole."""
        items = node.value
        dashes = [self._dash(item) for item in items]
        if any(d < 0 or not self._owns_line(d) for d in dashes):
            return False
        column = dashes[0] - self._line_start(dashes[0])

        def key(value: object) -> str:
            return json.dumps(normalised(value), sort_keys=True, ensure_ascii=False)

        matcher = difflib.SequenceMatcher(None, [key(o) for o in old], [key(n) for n in new])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            paired = min(i2 - i1, j2 - j1)
            for k in range(paired):
                self._item(items[i1 + k], old[i1 + k], new[j1 + k])
            for k in range(i1 + paired, i2):
                self._delete_lines(dashes[k], items[k])
            if j1 + paired < j2:
                last = i1 + paired - 1
                at = self._next_line(self._end(items[last])) if last >= 0 else None
                at = self._line_start(dashes[0]) if at is None else at
                lines = [
                    line
                    for value in new[j1 + paired : j2]
                    for line in item_lines(value, column, self.style)
                ]
                self._insert(at, lines)
        return True

    def _item(self, node: yaml.Node, old: object, new: object) -> None:
        if same(old, new) or self._in_place(node, old, new):
            return
        text = inline(new, node.start_mark.column, self.style, _is_flow(node))
        self._edit(node.start_mark.index, self._end(node), text)
