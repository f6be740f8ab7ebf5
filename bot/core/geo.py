"""French communes: the built table, distances, and how place names are folded for lookup."""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

COMMUNE_COLUMNS = (
    "insee",
    "name",
    "article",
    "department",
    "region",
    "epci",
    "postcodes",
    "population",
    "lat",
    "lon",
    "coordinates_from",
    "parent",
    "aliases",
    "former_codes",
)
ARTICLES = ("L'", "L’", "Le ", "La ", "Les ")
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Commune:
    """A current commune, or a municipal arrondissement of Paris, Lyon or Marseille."""

    insee: str
    name: str
    article: str
    department: str
    region: str
    epci: str
    postcodes: tuple[str, ...]
    population: int
    lat: float | None
    lon: float | None
    coordinates_from: str
    parent: str
    aliases: tuple[str, ...]
    former_codes: tuple[str, ...]

    @property
    def municipality(self) -> str:
        """The INSEE code of the commune itself (the city for an arrondissement)."""
        return self.parent or self.insee


@dataclass(frozen=True, slots=True)
class Department:
    """A département with its région and seat."""

    code: str
    name: str
    region: str
    seat: str


@dataclass(frozen=True, slots=True)
class Region:
    """A région with its seat."""

    code: str
    name: str
    seat: str


@dataclass(frozen=True, slots=True)
class Epci:
    """An intercommunalité (EPCI), identified by its SIREN."""

    siren: str
    name: str
    type: str


def _read_tsv(path: Path) -> Iterable[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t")


class GeoTable:
    """The built geography: communes, départements, régions and EPCI."""

    def __init__(
        self,
        communes: Iterable[Commune],
        departments: Iterable[Department],
        regions: Iterable[Region],
        epcis: Iterable[Epci],
    ) -> None:
        self.communes: dict[str, Commune] = {c.insee: c for c in communes}
        self.departments: dict[str, Department] = {d.code: d for d in departments}
        self.regions: dict[str, Region] = {r.code: r for r in regions}
        self.epcis: dict[str, Epci] = {e.siren: e for e in epcis}

    @classmethod
    def load(cls, directory: Path) -> GeoTable:
        """Load the table files written by `comptoir geo build`."""
        communes = [
            Commune(
                insee=row["insee"],
                name=row["name"],
                article=row["article"],
                department=row["department"],
                region=row["region"],
                epci=row["epci"],
                postcodes=tuple(row["postcodes"].split()),
                population=int(row["population"]),
                lat=float(row["lat"]) if row["lat"] else None,
                lon=float(row["lon"]) if row["lon"] else None,
                coordinates_from=row["coordinates_from"],
                parent=row["parent"],
                aliases=tuple(a for a in row["aliases"].split("|") if a),
                former_codes=tuple(row["former_codes"].split()),
            )
            for row in _read_tsv(directory / "communes.tsv")
        ]
        return cls(
            communes,
            (Department(**row) for row in _read_tsv(directory / "departments.tsv")),
            (Region(**row) for row in _read_tsv(directory / "regions.tsv")),
            (Epci(**row) for row in _read_tsv(directory / "epci.tsv")),
        )


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


_ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "stes": "saintes",
    "mt": "mont",
}


_PLAIN = re.compile(r"[a-z0-9 ]*")
_WORDS = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, strip accents and ligatures, and keep only letters, digits and spaces."""
    text = text.lower()
    if _PLAIN.fullmatch(text) and "  " not in text and not text.startswith(" "):
        return text.rstrip()  # the common case, ten times faster
    text = text.replace("œ", "oe").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("s/", " sur ")
    return " ".join(_WORDS.findall(text))


def name_tokens(text: str) -> list[str]:
    """Fold a place name and expand the abbreviations people use ("st" → "saint")."""
    return [_ABBREVIATIONS.get(token, token) for token in fold(text).split()]


def name_key(text: str) -> str:
    """The compact lookup key of a place name: folded, expanded, without spaces."""
    return "".join(name_tokens(text))
