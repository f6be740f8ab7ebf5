"""French working days: public holidays computed for any year and département, never tabulated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Final

_ONE_DAY: Final = dt.timedelta(days=1)
GREGORIAN_FROM: Final = 1583
"""The first full year of the Gregorian calendar, from which the computus holds."""

ALSACE_MOSELLE: Final = frozenset({"57", "67", "68"})
"""Moselle, Bas-Rhin, Haut-Rhin: local law adds Good Friday and 26 December (L3134-13)."""

# The day each overseas département commemorates the abolition of slavery, as (month, day).
# Décret n° 83-1003 du 23 novembre 1983, art. 1, as amended by décret n° 2012-553 du 23 avril
# 2012 (JORF n° 0098 du 25 avril 2012), whose amended lines read « Mayotte 27 avril »,
# « La Réunion 20 décembre » (quoted at
# http://logbook.memoirestbarth.com/st-barth/9-octobre-officiellement-jour-ferie-ile-saint-barthelemy/);
# all five dates of the décret listed at http://23mai.cm98.fr/dates-commemorations-lesclavage
# (27 avril Mayotte, 22 mai Martinique, 27 mai Guadeloupe, 10 juin Guyane, 20 décembre
# La Réunion); cross-checked with commenthol/date-holidays data (MQ 05-22, GF 06-10, RE 12-20)
# and gadael/icsdb france-guyane-nonworkingdays.ics (« Slavery abolition » 10 June).
# Not covered yet: Saint-Barthélemy (9 octobre under the 2012 décret) and Saint-Martin, whose
# day moved from 27 to 28 May by a later text the sources above do not quote.
SLAVERY_ABOLITION: Final[Mapping[str, tuple[int, int]]] = MappingProxyType(
    {
        "971": (5, 27),  # Guadeloupe
        "972": (5, 22),  # Martinique
        "973": (6, 10),  # Guyane
        "974": (12, 20),  # La Réunion
        "976": (4, 27),  # Mayotte
    }
)


def easter(year: int) -> dt.date:
    """Easter Sunday of a Gregorian year (the anonymous Meeus/Jones/Butcher computus)."""
    if year < GREGORIAN_FROM:
        raise ValueError(f"the Gregorian computus starts in {GREGORIAN_FROM}, not {year}")
    golden = year % 19
    century, year_of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    moon_correction = (century + 8) // 25
    sun_moon = (century - moon_correction + 1) // 3
    epact = (19 * golden + century - leap_centuries - sun_moon + 15) % 30
    leap_years, year_rest = divmod(year_of_century, 4)
    weekday = (32 + 2 * century_rest + 2 * leap_years - epact - year_rest) % 7
    shift = (golden + 11 * epact + 22 * weekday) // 451
    month, day = divmod(epact + weekday - 7 * shift + 114, 31)
    return dt.date(year, month, day + 1)


def public_holidays(year: int, department: str | None = None) -> frozenset[dt.date]:
    """The jours fériés of a year, nationwide or in one département (INSEE code: "57", "971")."""
    return _holidays(year, _local_rules(department))


def is_working_day(day: dt.date, department: str | None = None) -> bool:
    """Whether a day is worked: Monday to Friday, and not a public holiday there."""
    return day.weekday() < 5 and day not in public_holidays(day.year, department)


def add_working_days(day: dt.date, count: int, department: str | None = None) -> dt.date:
    """The date `count` working days after `day` (`day` itself for 0)."""
    if count < 0:
        raise ValueError(f"count is a number of working days ahead, 0 or more, not {count}")
    while count:
        day += _ONE_DAY
        if is_working_day(day, department):
            count -= 1
    return day


def working_days_between(start: dt.date, end: dt.date, department: str | None = None) -> int:
    """The working days after `start` up to and including `end` (0 when `end` ≤ `start`)."""
    if end <= start:
        return 0
    # Whole weeks count five weekdays each, so a lead months old costs no day-by-day walk.
    weeks, rest = divmod((end - start).days, 7)
    weekdays = 5 * weeks + sum(
        1 for offset in range(1, rest + 1) if (start + offset * _ONE_DAY).weekday() < 5
    )
    holidays = sum(
        1
        for year in range(start.year, end.year + 1)
        for holiday in public_holidays(year, department)
        if start < holiday <= end and holiday.weekday() < 5
    )
    return weekdays - holidays


def _local_rules(department: str | None) -> str | None:
    """The département code when local law adds holidays there, else None (the national list)."""
    if department in ALSACE_MOSELLE or department in SLAVERY_ABOLITION:
        return department
    return None


# Called for every lead at every reminder run; a handful of (year, rules) pairs ever exist.
@lru_cache(maxsize=256)
def _holidays(year: int, department: str | None) -> frozenset[dt.date]:
    """Article L3133-1 of the Code du travail, plus the local days of `department`."""
    sunday = easter(year)
    days = {
        dt.date(year, 1, 1),  # Jour de l'an
        sunday + _ONE_DAY,  # Lundi de Pâques
        dt.date(year, 5, 1),  # Fête du travail
        dt.date(year, 5, 8),  # Victoire 1945
        sunday + 39 * _ONE_DAY,  # Ascension
        sunday + 50 * _ONE_DAY,  # Lundi de Pentecôte
        dt.date(year, 7, 14),  # Fête nationale
        dt.date(year, 8, 15),  # Assomption
        dt.date(year, 11, 1),  # Toussaint
        dt.date(year, 11, 11),  # Armistice
        dt.date(year, 12, 25),  # Noël
    }
    if department in ALSACE_MOSELLE:
        # L3134-13 grants Good Friday to communes with a Protestant or mixed church; a lead
        # knows its département, not that detail, so it counts across all three.
        days |= {sunday - 2 * _ONE_DAY, dt.date(year, 12, 26)}
    if department is not None and department in SLAVERY_ABOLITION:
        month, day = SLAVERY_ABOLITION[department]
        days.add(dt.date(year, month, day))
    return frozenset(days)
