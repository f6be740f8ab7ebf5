"""Load the knowledge base from YAML and check it; problems read `file:line: field: message`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.core import applicability
from bot.core.geo import GeoTable
from bot.core.models import (
    Counter,
    MarkersFile,
    Scheme,
    SchemeKind,
    Territory,
    Theme,
    ThemesFile,
)
from bot.core.vocabulary import Vocabulary

try:  # the C loader is ten times faster and keeps the same marks
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class KnowledgeLoader(_BaseLoader):
    """Safe loader that leaves dates as text, so that pydantic reports a bad one by field.

    Only `true` and `false` are booleans: YAML 1.1 also reads on/off/yes/no as booleans, so a
    key `on:` (a verification's date) or an answer `no` would silently become True or False.
    """


_BOOL = "tag:yaml.org,2002:bool"
KnowledgeLoader.yaml_implicit_resolvers = {
    first: [
        (tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$") if tag == _BOOL else regexp)
        for tag, regexp in resolvers
        if tag != "tag:yaml.org,2002:timestamp"
    ]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}

Path_ = tuple[str | int, ...]
ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True, order=True)
class Problem:
    """One content problem, located precisely enough for a staff member to fix it."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ContentError(Exception):
    """The content cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Document:
    """A parsed YAML file with the line of every key and item."""

    path: Path
    label: str
    data: Any
    lines: dict[Path_, int]

    def line_of(self, location: Iterable[str | int]) -> int:
        """The line of the deepest known part of `location` (1 when nothing is known)."""
        path = tuple(location)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


def parse_yaml(path: Path, label: str) -> tuple[Document | None, list[Problem]]:
    """Parse one YAML file, recording lines and rejecting duplicate keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(label, 1, "-", f"fichier illisible ({error.__class__.__name__})")]
    loader = KnowledgeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except (yaml.YAMLError, ValueError) as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(error, "problem", None) or "syntaxe YAML invalide"
        return None, [Problem(label, line, "-", f"YAML invalide : {reason}")]
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _record_lines(node, (), lines, problems, label)
    return Document(path, label, data, lines), problems


def _record_lines(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[Problem], label: str
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                dotted = ".".join(str(p) for p in (*path, key))
                problems.append(
                    Problem(label, key_node.start_mark.line + 1, dotted, "clé présente deux fois")
                )
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*path, key), lines, problems, label)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines, problems, label)


_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "clé inconnue",
    "date_from_datetime_parsing": "date invalide (attendu AAAA-MM-JJ)",
    "date_parsing": "date invalide (attendu AAAA-MM-JJ)",
    "date_type": "date invalide (attendu AAAA-MM-JJ)",
    "string_type": "texte attendu",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "bool_type": "true ou false attendu",
    "bool_parsing": "true ou false attendu",
    "list_type": "liste attendue",
    "tuple_type": "liste attendue",
    "dict_type": "dictionnaire attendu",
    "model_type": "dictionnaire de champs attendu",
    "string_pattern_mismatch": "format invalide (lettres minuscules, chiffres et tirets attendus)",
    "string_too_short": "texte trop court ou vide",
    "string_too_long": "texte trop long",
    "too_short": "liste trop courte",
    "greater_than": "valeur trop petite",
    "greater_than_equal": "valeur trop petite",
    "less_than_equal": "valeur trop grande",
}


def _french(error: Any) -> str:
    kind = error["type"]
    if kind in ("enum", "literal_error"):
        expected = error.get("ctx", {}).get("expected", "")
        return f"valeur inconnue « {error.get('input')} » ; valeurs permises : {expected}"
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if kind in ("too_short", "string_too_short") and "min_length" in error.get("ctx", {}):
        return f"{_MESSAGES[kind]} (au moins {error['ctx']['min_length']})"
    return _MESSAGES.get(kind, str(error["msg"]))


def validate(document: Document, model: type[ModelT]) -> tuple[ModelT | None, list[Problem]]:
    """Validate a parsed document against a model, with one located problem per error."""
    try:
        return model.model_validate(document.data), []
    except ValidationError as invalid:
        problems = []
        for error in invalid.errors():
            location = tuple(error["loc"])
            dotted = ".".join(str(p) for p in location) or "-"
            problems.append(
                Problem(document.label, document.line_of(location), dotted, _french(error))
            )
        return None, problems


@dataclass(frozen=True)
class Knowledge:
    """Everything staff maintain under knowledge/: themes, markers, schemes and counters."""

    themes: tuple[Theme, ...]
    markers: MarkersFile
    vocabulary: Vocabulary
    schemes: tuple[Scheme, ...]
    counters: tuple[Counter, ...]
    geo: GeoTable
    # (kind, id) → (file, line of its verification): where `kb check` points its warnings
    places: Mapping[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    @property
    def theme_slugs(self) -> frozenset[str]:
        """The slugs of the taxonomy."""
        return frozenset(theme.slug for theme in self.themes)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _load_one(
    path: Path, root: Path, model: type[ModelT], problems: list[Problem]
) -> tuple[ModelT | None, Document | None]:
    document, parse_problems = parse_yaml(path, _relative(path, root))
    problems.extend(parse_problems)
    if document is None:
        return None, None
    record, invalid = validate(document, model)
    problems.extend(invalid)
    return record, document


def _records(
    folder: Path, root: Path, model: type[ModelT], problems: list[Problem]
) -> Iterator[tuple[ModelT, Document]]:
    for path in sorted(folder.glob("*.yaml")):
        record, document = _load_one(path, root, model, problems)
        if record is not None and document is not None:
            yield record, document


def load_knowledge(
    root: Path, geo: GeoTable | None = None, today: dt.date | None = None
) -> Knowledge:
    """Load and cross-check the whole knowledge base; raise ContentError listing every problem."""
    problems: list[Problem] = []
    geo = geo if geo is not None else GeoTable.load(root / "geo")
    themes_file, _ = _load_one(root / "themes.yaml", root, ThemesFile, problems)
    markers, _ = _load_one(root / "markers.yaml", root, MarkersFile, problems)
    vocabulary, _ = _load_one(root / "vocabulary.yaml", root, Vocabulary, problems)
    schemes = list(_records(root / "schemes", root, Scheme, problems))
    counters = list(_records(root / "counters", root, Counter, problems))
    slugs = {t.slug for t in themes_file.themes} if themes_file else None
    seen: dict[tuple[str, str], str] = {}
    places: dict[tuple[str, str], tuple[str, int]] = {}
    records: list[tuple[Scheme | Counter, Document]] = [*schemes, *counters]
    for record, document in records:
        if document.path.stem != record.id:
            problems.append(
                Problem(
                    document.label,
                    document.line_of(("id",)),
                    "id",
                    f"l'identifiant doit être le nom du fichier ({document.path.stem})",
                )
            )
        # Ids are unique per kind: the DLA scheme and the DLA counter are two records.
        kind = (type(record).__name__, record.id)
        if kind in seen:
            problems.append(
                Problem(
                    document.label,
                    document.line_of(("id",)),
                    "id",
                    f"identifiant déjà utilisé par {seen[kind]}",
                )
            )
        seen[kind] = document.label
        verified_line = document.line_of(("verified",) if record.verified else ("compiled",))
        places[kind] = (document.label, verified_line)
        problems.extend(check_references(record, document, slugs, geo, today))
    if themes_file is not None:
        problems.extend(_check_themes(themes_file, root))
    if problems or themes_file is None or markers is None or vocabulary is None:
        raise ContentError(sorted(set(problems)))
    return Knowledge(
        themes=themes_file.themes,
        markers=markers,
        vocabulary=vocabulary,
        schemes=tuple(s for s, _ in schemes),
        counters=tuple(c for c, _ in counters),
        geo=geo,
        places=places,
    )


def check_references(
    record: Scheme | Counter,
    document: Document,
    slugs: set[str] | None,
    geo: GeoTable,
    today: dt.date | None,
) -> Iterator[Problem]:
    """Theme slugs, territory codes, commune and dates that a schema alone cannot check."""

    def problem(location: Path_, message: str) -> Problem:
        dotted = ".".join(str(p) for p in location)
        return Problem(document.label, document.line_of(location), dotted, message)

    for index, slug in enumerate(record.themes):
        if slugs is not None and slug not in slugs:  # None: themes.yaml itself is broken
            yield problem(("themes", index), f"thème inconnu « {slug} »")
    territory: Territory = record.territory if isinstance(record, Scheme) else record.coverage
    key = "territory" if isinstance(record, Scheme) else "coverage"
    known: dict[str, Mapping[str, object]] = {
        "regions": geo.regions,
        "departments": geo.departments,
        "epci": geo.epcis,
        "communes": geo.communes,
    }
    for level, codes in known.items():
        for index, code in enumerate(getattr(territory, level)):
            if code not in codes:
                yield problem((key, level, index), f"code de territoire inconnu « {code} »")
    if isinstance(record, Counter):
        if record.commune not in geo.communes:
            yield problem(("commune",), f"code INSEE inconnu « {record.commune} »")
        for index, note in enumerate(record.regional_notes):
            unknown = [r for r in note.regions if r not in geo.regions]
            if unknown or not note.regions or note.carriers:
                message = "une note régionale donne ses « regions » connues, sans « carriers »"
                yield problem(("regional_notes", index), message)
    else:
        for location, message in applicability.problems(record, geo.regions):
            yield problem(location, message)
        share = record.amount.covers_percent if record.amount else None
        if (share is not None) != (
            record.kind == SchemeKind.GUARANTEE and record.amount is not None
        ):
            message = "une garantie, et elle seule, donne « amount.covers_percent » (part du prêt)"
            yield problem(("amount",), message)
        for carrier in record.carrier_conditions:
            if carrier not in record.carriers:
                yield problem(
                    ("carrier_conditions", carrier.value),
                    f"condition pour « {carrier.value} », absent de « carriers »",
                )
    if today is not None and record.compiled > today:
        yield problem(("compiled",), "date dans le futur")
    if today is not None and record.verified is not None and record.verified.on > today:
        yield problem(("verified", "on"), "date dans le futur")


def _check_themes(themes_file: ThemesFile, root: Path) -> Iterator[Problem]:
    label = _relative(root / "themes.yaml", root)
    seen: set[str] = set()
    for theme in themes_file.themes:
        if theme.slug in seen:
            yield Problem(label, 1, "themes", f"thème « {theme.slug} » présent deux fois")
        seen.add(theme.slug)
