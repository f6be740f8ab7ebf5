"""Build the compact commune table under knowledge/geo/ from the raw open data (COG 2026 + 2024)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.geo import ARTICLES, COMMUNE_COLUMNS, GeoTable

COORDINATES_FROM_2024 = "c"
COORDINATES_FROM_PREDECESSOR = "p"
COORDINATES_FROM_ARRONDISSEMENTS = "a"
COORDINATES_FROM_EPCI = "e"
COORDINATES_FROM_DEPARTMENT_SEAT = "d"
COORDINATES_MISSING = "-"


@dataclass
class _Row:
    insee: str
    name: str
    department: str
    region: str
    epci: str = ""
    postcodes: set[str] = field(default_factory=set)
    population: int = 0
    lat: float | None = None
    lon: float | None = None
    coordinates_from: str = COORDINATES_MISSING
    parent: str = ""
    aliases: list[str] = field(default_factory=list)
    former_codes: list[str] = field(default_factory=list)


def _load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _article(name: str) -> str:
    """Return the leading article of a commune name ("Le", "L'"…), or ""."""
    for article in ARTICLES:
        if name.startswith(article) and len(name) > len(article):
            return article.strip()
    return ""


def _display_name(name: str) -> str:
    """The name as people read it: « Marseille 13e arrondissement », not COG's capital A."""
    return name.replace(" Arrondissement", " arrondissement")


def build(source: Path, target: Path) -> dict[str, int]:
    """Read the raw data in `source` and write the table files into `target`; return counts."""
    admin = source / "decoupage-administratif-6.0.0"
    entries: list[dict[str, Any]] = _load_json(admin / "communes.json")
    epcis: list[dict[str, Any]] = _load_json(admin / "epci.json")
    departments: list[dict[str, Any]] = _load_json(admin / "departements.json")
    regions: list[dict[str, Any]] = _load_json(admin / "regions.json")
    postal_rows: list[dict[str, str]] = _load_json(
        source / "codes-postaux-4.1.2/codes-postaux.json"
    )

    coordinates: dict[str, tuple[float, float, int]] = {}
    with (source / "communes-2024-insee.csv").open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            if record["lat"] and record["lng"]:
                population = int(float(record["population_2021"] or 0))
                coordinates[record["insee_com"]] = (
                    float(record["lat"]),
                    float(record["lng"]),
                    population,
                )

    rows: dict[str, _Row] = {}
    for entry in entries:
        if entry["type"] in ("commune-actuelle", "arrondissement-municipal"):
            row = _Row(
                insee=entry["code"],
                name=_display_name(entry["nom"]),
                department=entry["departement"],
                region=entry["region"],
                postcodes=set(entry.get("codesPostaux", [])),
                population=int(entry.get("population", 0)),
                parent=entry.get("commune", ""),
                former_codes=[c for c in entry.get("anciensCodes", []) if c != entry["code"]],
            )
            rows[row.insee] = row
    redirect = {old: row.insee for row in rows.values() for old in row.former_codes}
    for entry in entries:
        if entry["type"] in ("commune-deleguee", "commune-associee"):
            current = redirect.get(entry["chefLieu"], entry["chefLieu"])
            row = rows[current]
            if entry["nom"] != row.name and entry["nom"] not in row.aliases:
                row.aliases.append(entry["nom"])
            if entry["code"] != current:
                redirect.setdefault(entry["code"], current)
                if entry["code"] not in row.former_codes:
                    row.former_codes.append(entry["code"])

    for epci in epcis:
        for member in epci["membres"]:
            if member["code"] in rows:
                rows[member["code"]].epci = epci["code"]
    for row in rows.values():
        if row.parent:
            row.epci = rows[row.parent].epci

    # COG 2026 lists current postcodes; the 2023 postal base only fills communes it leaves bare
    # (its extra pairs are mostly streets of a neighbour, e.g. 75015 for a corner of Issy).
    for postal in postal_rows:
        code = redirect.get(postal["codeCommune"], postal["codeCommune"])
        if code in rows and not rows[code].postcodes and postal["codePostal"].isdigit():
            rows[code].postcodes.add(postal["codePostal"])
    # PLM postcodes belong to the arrondissements, not to the whole city.
    for row in rows.values():
        if row.parent:
            rows[row.parent].postcodes -= row.postcodes

    seats = {d["code"]: d["chefLieu"] for d in departments}
    _place(rows, coordinates, seats)

    target.mkdir(parents=True, exist_ok=True)
    _write_tsv(
        target / "communes.tsv",
        COMMUNE_COLUMNS,
        (_serialise(row) for row in sorted(rows.values(), key=lambda r: r.insee)),
    )
    _write_tsv(
        target / "epci.tsv",
        ("siren", "name", "type"),
        ((e["code"], e["nom"], e["type"]) for e in sorted(epcis, key=lambda e: e["code"])),
    )
    _write_tsv(
        target / "departments.tsv",
        ("code", "name", "region", "seat"),
        ((d["code"], d["nom"], d["region"], d["chefLieu"]) for d in departments),
    )
    _write_tsv(
        target / "regions.tsv",
        ("code", "name", "seat"),
        ((r["code"], r["nom"], r["chefLieu"]) for r in regions),
    )
    table = GeoTable.load(target)
    counts: dict[str, int] = defaultdict(int)
    for row in rows.values():
        counts["arrondissements" if row.parent else "communes"] += 1
        counts[f"coordinates:{row.coordinates_from}"] += 1
        counts["aliases"] += len(row.aliases)
    counts["loaded"] = len(table.communes)
    return dict(counts)


def _place(
    rows: dict[str, _Row],
    coordinates: dict[str, tuple[float, float, int]],
    seats: dict[str, str],
) -> None:
    """Give every row coordinates: its 2024 row, else a predecessor, else the département seat."""
    for row in rows.values():
        if row.insee in coordinates:
            row.lat, row.lon, _ = coordinates[row.insee]
            row.coordinates_from = COORDINATES_FROM_2024
            continue
        predecessors = [coordinates[c] for c in row.former_codes if c in coordinates]
        if predecessors:
            row.lat, row.lon, _ = max(predecessors, key=lambda p: p[2])
            row.coordinates_from = COORDINATES_FROM_PREDECESSOR
    _centre_of_members(rows, lambda row: row.parent, COORDINATES_FROM_ARRONDISSEMENTS)
    _centre_of_members(rows, lambda row: row.epci, COORDINATES_FROM_EPCI)
    for row in rows.values():
        seat = rows.get(seats.get(row.department, ""))
        if row.lat is None and seat is not None and seat.lat is not None:
            row.lat, row.lon = seat.lat, seat.lon
            row.coordinates_from = COORDINATES_FROM_DEPARTMENT_SEAT


def _centre_of_members(rows: dict[str, _Row], group: Any, source: str) -> None:
    """Place rows without coordinates at the population-weighted centre of their group.

    For Paris, Lyon and Marseille the group is the city's arrondissements (keyed by parent);
    for a commune restored after 2024 it is its EPCI, whose members are its neighbours.
    """
    members: dict[str, list[_Row]] = defaultdict(list)
    for row in rows.values():
        if row.lat is not None and group(row):
            members[group(row)].append(row)
    for row in rows.values():
        key = row.insee if source == COORDINATES_FROM_ARRONDISSEMENTS else group(row)
        placed = members.get(key) if row.lat is None and key else None
        if not placed:
            continue
        weight = sum(max(m.population, 1) for m in placed)
        row.lat = sum(m.lat * max(m.population, 1) for m in placed if m.lat is not None) / weight
        row.lon = sum(m.lon * max(m.population, 1) for m in placed if m.lon is not None) / weight
        row.coordinates_from = source


def _serialise(row: _Row) -> tuple[str, ...]:
    return (
        row.insee,
        row.name,
        _article(row.name),
        row.department,
        row.region,
        row.epci,
        " ".join(sorted(row.postcodes)),
        str(row.population),
        "" if row.lat is None else f"{row.lat:.4f}",
        "" if row.lon is None else f"{row.lon:.4f}",
        row.coordinates_from,
        row.parent,
        "|".join(row.aliases),
        " ".join(row.former_codes),
    )


def _write_tsv(path: Path, header: tuple[str, ...], rows: Any) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
