"""Plain data written as YAML the project's loader reads back exactly, one value per line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml

_PLAIN = re.compile(r"[a-z][a-z0-9_-]*")  # enum values, slugs and keys need no quotes
_STR = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()  # YAML 1.1: also reads yes/no/on/off as booleans
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}
FLOW_WIDTH = 100  # a list of short words fits one line up to here


@dataclass(frozen=True)
class Style:
    """How a file lays out its collections: where list dashes go and whether short lists flow."""

    offset: int = 2  # dash column minus the column of the list's key
    indent: int = 2  # a nested key's column minus its parent key's column
    flow: bool = True  # short lists of words as `[a, b]`
    quote: str = '"'  # the file's habit; double quotes whenever a character needs escaping


PLAIN_STYLE = Style()


def _escaped(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    printable = (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
    if printable and char not in "\u2028\u2029\ufeff":
        return char
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def quoted(text: str) -> str:
    """A double-quoted YAML string, on one line whatever it holds."""
    return '"' + "".join(_escaped(char) for char in text) + '"'


def string(text: str, style: Style = PLAIN_STYLE) -> str:
    """A string plain when nothing could read it otherwise (`idee`), else quoted."""
    if (
        _PLAIN.fullmatch(text)
        and text not in ("y", "n")
        and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR  # type: ignore[no-untyped-call]
    ):
        return text
    if style.quote == "'" and all(c in '\\"' or _escaped(c) == c for c in text):
        return "'" + text.replace("'", "''") + "'"
    return quoted(text)


def _float(value: float) -> str:
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"  # YAML 1.1 reads `1e-05` as text: it needs the dot
    if exponent and exponent[0] not in "+-":
        exponent = "+" + exponent
    return f"{mantissa}e{exponent}" if exponent else mantissa


def scalar(value: object, style: Style = PLAIN_STYLE) -> str:
    """One scalar value as YAML."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return string(value, style)
    raise TypeError(f"not a YAML scalar: {type(value).__name__}")


def is_scalar(value: object) -> bool:
    """Neither a list nor a mapping."""
    return not isinstance(value, Mapping | list | tuple)


def flow(value: object, style: Style = PLAIN_STYLE) -> str:
    """A value on one line, in YAML's flow style."""
    if isinstance(value, Mapping):
        pairs = (f"{string(str(k), style)}: {flow(v, style)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(item, style) for item in value) + "]"
    return scalar(value, style)


def _flows(value: object, column: int, style: Style, was_flow: bool) -> bool:
    if isinstance(value, Mapping):
        return was_flow and all(is_scalar(v) for v in value.values())
    if isinstance(value, list | tuple):
        words = all(is_scalar(item) for item in value)
        if was_flow:
            return words or all(isinstance(item, Mapping) for item in value)
        return words and style.flow and column + len(flow(value, style)) <= FLOW_WIDTH
    return False


def entry(key: str, value: object, column: int, style: Style, was_flow: bool = False) -> list[str]:
    """The lines of `key: value` (key already written as YAML) at a column."""
    head = " " * column + key + ":"
    if is_scalar(value):
        return [f"{head} {scalar(value, style)}"]
    if not value or _flows(value, len(head) + 1, style, was_flow):
        return [f"{head} {flow(value, style)}"]
    if isinstance(value, Mapping):
        return [head, *mapping_lines(value, column + style.indent, style)]
    assert isinstance(value, list | tuple)
    lines = [head]
    for item in value:
        lines.extend(item_lines(item, column + style.offset, style))
    return lines


def item_lines(item: object, dash: int, style: Style) -> list[str]:
    """The lines of one list item, its dash at a column."""
    prefix = " " * dash + "- "
    if is_scalar(item) or not item or not isinstance(item, Mapping):
        return [prefix + flow(item, style)]
    lines = mapping_lines(item, dash + 2, style)
    return [prefix + lines[0].lstrip(" "), *lines[1:]]


def mapping_lines(data: Mapping[str, object], column: int, style: Style) -> list[str]:
    """The lines of a mapping's entries at a column."""
    lines: list[str] = []
    for name, value in data.items():
        lines.extend(entry(string(str(name), style), value, column, style))
    return lines


def inline(value: object, column: int, style: Style, was_flow: bool = False) -> str:
    """A value written where a value starts (after `- `), later lines at `column`."""
    if isinstance(value, Mapping) and value and not _flows(value, column, style, was_flow):
        return "\n".join(mapping_lines(value, column, style)).lstrip(" ")
    return flow(value, style)


def document(data: Mapping[str, object], header: str = "") -> str:
    """A whole file: the header as comments, then the data's keys in its order."""
    comments = [
        line if line.startswith("#") else f"# {line}".rstrip() for line in header.splitlines()
    ]
    return "\n".join([*comments, *mapping_lines(data, 0, Style())]) + "\n"


def normalised(value: object) -> object:
    """Data as the project's loader gives it back (dates as text, tuples as lists)."""
    if isinstance(value, Mapping):
        return {str(k): normalised(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalised(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def same(old: object, new: object) -> bool:
    """Whether loaded YAML and new data mean the same (30 and 30.0 do; true and 1 do not)."""
    new = normalised(new)
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return old.keys() == new.keys() and all(same(old[k], new[k]) for k in old)
    if isinstance(old, Sequence) and not isinstance(old, str):
        return (
            isinstance(new, list)
            and len(old) == len(new)
            and all(same(a, b) for a, b in zip(old, new, strict=True))
        )
    numbers = (int, float)
    if isinstance(old, numbers) and isinstance(new, numbers):
        return old == new
    return type(old) is type(new) and old == new
