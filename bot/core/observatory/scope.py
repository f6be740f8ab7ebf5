"""What the observatory looks at: a period of days in France, and a territory."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.geo import GeoTable

PARIS = ZoneInfo("Europe/Paris")
MONTHS = (
    *("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"),
    *("septembre", "octobre", "novembre", "décembre"),
)
TerritoryKind = Literal["all", "department", "region"]


class UnknownTerritory(ValueError):
    """A département or région code the geography does not know."""


@dataclass(frozen=True, slots=True)
class Period:
    """Days in France, both ends included; None: no limit on that side."""

    since: dt.date | None = None
    until: dt.date | None = None

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The instants the days span: from `since`'s midnight to the midnight after `until`."""
        start = None if self.since is None else midnight(self.since)
        end = None if self.until is None else midnight(self.until + dt.timedelta(days=1))
        return start, end

    def label(self) -> str:
        """« du 01/03/2026 au 31/03/2026 », « depuis le début »…"""
        if self.since and self.until:
            return f"du {_day(self.since)} au {_day(self.until)}"
        if self.since:
            return f"depuis le {_day(self.since)}"
        if self.until:
            return f"jusqu'au {_day(self.until)}"
        return "depuis le début"


@dataclass(frozen=True, slots=True)
class Territory:
    """All of France, one département (« 62 ») or one région (« 32 », its INSEE code)."""

    kind: TerritoryKind = "all"
    code: str = ""

    def departments(self, geo: GeoTable) -> tuple[str, ...] | None:
        """The départements it covers, sorted; None for all of them (no filter)."""
        if self.kind == "all":
            return None
        if self.kind == "department":
            if self.code not in geo.departments:
                raise UnknownTerritory(f"département inconnu : « {self.code} »")
            return (self.code,)
        if self.code not in geo.regions:
            raise UnknownTerritory(f"région inconnue : « {self.code} »")
        return tuple(sorted(d.code for d in geo.departments.values() if d.region == self.code))

    def label(self, geo: GeoTable) -> str:
        """« Pas-de-Calais (62) », « région Hauts-de-France », « toute la France »."""
        if self.kind == "department" and self.code in geo.departments:
            return f"{geo.departments[self.code].name} ({self.code})"
        if self.kind == "region" and self.code in geo.regions:
            return f"région {geo.regions[self.code].name}"
        return "toute la France"


@dataclass(frozen=True, slots=True)
class Scope:
    """What storage filters on: instants in [start, end), and départements (None: every one)."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    departments: tuple[str, ...] | None = None


def scope(period: Period, territory: Territory, geo: GeoTable) -> Scope:
    """The storage filter of a period and a territory (`UnknownTerritory` for a wrong code)."""
    start, end = period.bounds()
    return Scope(start, end, territory.departments(geo))


def midnight(day: dt.date) -> dt.datetime:
    """The instant a day starts in France, in UTC."""
    return dt.datetime.combine(day, dt.time(), PARIS).astimezone(dt.UTC)


def day_of(instant: dt.datetime) -> dt.date:
    """The day in France an instant falls in."""
    return instant.astimezone(PARIS).date()


def month_of(instant: dt.datetime) -> str:
    """The month an instant falls in, in France: « 2026-03 »."""
    return instant.astimezone(PARIS).strftime("%Y-%m")


def months(first: dt.datetime, last: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """Every month from `first`'s to `last`'s (in France), each with the instant it starts."""
    local = first.astimezone(PARIS)
    year, month = local.year, local.month
    end = month_of(last)
    found: list[tuple[str, dt.datetime]] = []
    while True:
        key = f"{year:04d}-{month:02d}"
        found.append((key, midnight(dt.date(year, month, 1))))
        if key >= end or len(found) > 1200:  # a hundred years: never loop on bad input
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def month_keys(start: dt.datetime, end: dt.datetime) -> list[str]:
    """The months of the instants in [start, end)."""
    return [key for key, _ in months(start, end - dt.timedelta(microseconds=1))]


def month_label(key: str) -> str:
    """« 2026-03 » → « mars 2026 »."""
    year, _, month = key.partition("-")
    number = int(month) if month.isdigit() else 0
    return f"{MONTHS[number - 1]} {year}" if 1 <= number <= 12 else key


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and the Sunday of a day's week."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")
