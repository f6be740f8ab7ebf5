"""Which requirements and conditions of a scheme concern a given carrier, and in which region."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bot.core.models import Applies, Carrier, Condition, Requirements, Scheme

WITHOUT_STRUCTURE = frozenset({Carrier.HABITANT, Carrier.COLLECTIF_INFORMEL})
STRUCTURED = frozenset(Carrier) - WITHOUT_STRUCTURE
COMPANIES = frozenset({Carrier.COOPERATIVE, Carrier.ENTREPRISE_ESS, Carrier.ENTREPRISE})

# The carriers a requirement can concern at all, by its nature: being sponsored is what one
# does without a structure; a seat, an age or employees belong to a structure; the ESUS
# approval is asked of commercial companies (an ESUS-approved company already has it).
NATURAL: Mapping[str, frozenset[Carrier]] = {
    "sponsor": WITHOUT_STRUCTURE,
    "seat_in_territory": STRUCTURED,
    "structure_min_age_years": STRUCTURED,
    "min_employees": STRUCTURED,
    "esus_approval": COMPANIES,
    "prior_workshop": frozenset(Carrier),
    "cofunding": frozenset(Carrier),
}


@dataclass(frozen=True, slots=True)
class Applicable:
    """A requirement that concerns the citizen: its name and, for counts, its value."""

    name: str
    value: int | None = None


def concerned(requirement: str, value: Applies | int | None, scheme: Scheme) -> frozenset[Carrier]:
    """The carriers of `scheme` a requirement concerns (none when it is not set)."""
    if value is None or value is False or value == 0:
        return frozenset()
    natural = NATURAL[requirement] & frozenset(scheme.carriers)
    if isinstance(value, tuple):
        return natural & frozenset(value)
    return natural


def requirements(scheme: Scheme, carrier: Carrier) -> tuple[Applicable, ...]:
    """The scheme's structured requirements that concern this carrier, in the schema's order."""
    found = []
    for name in Requirements.model_fields:
        value = getattr(scheme.requirements, name)
        if carrier in concerned(name, value, scheme):
            count = value if isinstance(value, int) and not isinstance(value, bool) else None
            found.append(Applicable(name, count))
    return tuple(found)


def applies(condition: Condition, carrier: Carrier, region: str) -> bool:
    """Whether a condition (or a regional note) concerns this carrier in this region."""
    if condition.carriers and carrier not in condition.carriers:
        return False
    return not condition.regions or region in condition.regions


def problems(
    scheme: Scheme, regions: Mapping[str, object]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """What cannot be right in a scheme's requirements, conditions and names (for `kb check`)."""
    carriers = frozenset(scheme.carriers)
    for name in Requirements.model_fields:
        value = getattr(scheme.requirements, name)
        where: tuple[str | int, ...] = ("requirements", name)
        if isinstance(value, tuple):
            alien = [c.value for c in value if c not in carriers]
            if alien:
                yield where, f"porteurs absents de « carriers » : {', '.join(alien)}"
            unnatural = [c.value for c in value if c not in NATURAL[name]]
            if unnatural:
                yield where, f"cette exigence ne peut concerner : {', '.join(unnatural)}"
        elif value not in (None, False, 0) and not concerned(name, value, scheme):
            yield where, "cette exigence ne concerne aucun des porteurs de « carriers »"
    for index, condition in enumerate(scheme.conditions):
        where = ("conditions", index)
        alien = [c.value for c in condition.carriers if c not in carriers]
        if alien:
            yield (*where, "carriers"), f"porteurs absents de « carriers » : {', '.join(alien)}"
        unknown = [r for r in condition.regions if r not in regions]
        if unknown:
            yield (*where, "regions"), f"code de région inconnu : {', '.join(unknown)}"
    if scheme.calendar.unconfirmed and scheme.calendar.mode != "periodic":
        yield ("calendar", "unconfirmed"), "seul un dispositif « periodic » a des éditions"
    repeated = _repeated_in_funder(scheme)
    if repeated:
        yield ("name",), f"« ({repeated}) » répète le financeur : retirez-le du nom"


def _repeated_in_funder(scheme: Scheme) -> str | None:
    """A parenthesised part of the name the funder already says (« X (réseau Y) » by « Y »)."""
    funder = _words(scheme.funder)
    part: str
    for part in re.findall(r"\(([^()]+)\)", scheme.name):
        words = _words(part)
        if words and len(words & funder) * 2 > len(words):
            return part
    return None


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) > 3}
