"""French working days: Easter, the jours fériés of each département, and counting days."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.workdays import (
    add_working_days,
    easter,
    is_working_day,
    public_holidays,
    working_days_between,
)

D = dt.date
ALSACE_MOSELLE = ["57", "67", "68"]
# Départements with no local day: the mainland, Corsica, and collectivities we left out.
NATIONAL_ONLY = [None, "75", "13", "2A", "59", "975", "977", "978"]
DEPARTMENTS = [*NATIONAL_ONLY, *ALSACE_MOSELLE, "971", "972", "973", "974", "976"]

# Easter Sundays: the day before each Easter Monday of gadael/icsdb's Guyane calendar, and the
# extremes (22 March 1818 and 2285, 25 April 1943 and 2038) as tabulated by x42.com/datelab.
EASTERS = [
    D(1818, 3, 22),
    D(1943, 4, 25),
    D(1970, 3, 29),
    D(2000, 4, 23),
    D(2008, 3, 23),
    D(2011, 4, 24),
    D(2019, 4, 21),
    D(2024, 3, 31),
    D(2025, 4, 20),
    D(2026, 4, 5),
    D(2027, 3, 28),
    D(2030, 4, 21),
    D(2038, 4, 25),
    D(2099, 4, 12),
    D(2285, 3, 22),
]

HOLIDAYS_2026 = {
    "jour de l'an": D(2026, 1, 1),
    "lundi de Pâques": D(2026, 4, 6),
    "fête du travail": D(2026, 5, 1),
    "victoire 1945": D(2026, 5, 8),
    "Ascension": D(2026, 5, 14),
    "lundi de Pentecôte": D(2026, 5, 25),
    "fête nationale": D(2026, 7, 14),
    "Assomption": D(2026, 8, 15),
    "Toussaint": D(2026, 11, 1),
    "armistice": D(2026, 11, 11),
    "Noël": D(2026, 12, 25),
}
HOLIDAYS_2027 = {
    "jour de l'an": D(2027, 1, 1),
    "lundi de Pâques": D(2027, 3, 29),
    "fête du travail": D(2027, 5, 1),
    "victoire 1945": D(2027, 5, 8),
    "Ascension": D(2027, 5, 6),
    "lundi de Pentecôte": D(2027, 5, 17),
    "fête nationale": D(2027, 7, 14),
    "Assomption": D(2027, 8, 15),
    "Toussaint": D(2027, 11, 1),
    "armistice": D(2027, 11, 11),
    "Noël": D(2027, 12, 25),
}
ABOLITION_2026 = {
    "971": D(2026, 5, 27),  # Guadeloupe
    "972": D(2026, 5, 22),  # Martinique
    "973": D(2026, 6, 10),  # Guyane
    "974": D(2026, 12, 20),  # La Réunion
    "976": D(2026, 4, 27),  # Mayotte
}

days = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))
departments = st.sampled_from(DEPARTMENTS)


# Easter


@pytest.mark.parametrize("sunday", EASTERS, ids=str)
def test_easter_falls_on_the_published_date(sunday: dt.date) -> None:
    assert easter(sunday.year) == sunday


@given(st.integers(min_value=1583, max_value=9999))
def test_easter_is_a_sunday_between_22_march_and_25_april(year: int) -> None:
    sunday = easter(year)
    assert sunday.weekday() == 6
    assert D(year, 3, 22) <= sunday <= D(year, 4, 25)


def test_the_computus_refuses_a_year_before_the_gregorian_calendar() -> None:
    with pytest.raises(ValueError, match="1583"):
        easter(1582)


# Public holidays


@pytest.mark.parametrize(("name", "day"), HOLIDAYS_2026.items(), ids=list(HOLIDAYS_2026))
def test_every_holiday_of_2026_is_known_by_its_date(name: str, day: dt.date) -> None:
    assert day in public_holidays(2026)


@pytest.mark.parametrize(("name", "day"), HOLIDAYS_2027.items(), ids=list(HOLIDAYS_2027))
def test_every_holiday_of_2027_is_known_by_its_date(name: str, day: dt.date) -> None:
    assert day in public_holidays(2027)


@pytest.mark.parametrize(
    ("year", "expected"), [(2026, HOLIDAYS_2026), (2027, HOLIDAYS_2027)], ids=["2026", "2027"]
)
def test_the_national_list_holds_the_eleven_days_of_the_code_du_travail_and_no_more(
    year: int, expected: dict[str, dt.date]
) -> None:
    assert public_holidays(year) == frozenset(expected.values())


@given(st.integers(min_value=1583, max_value=9998), departments)
def test_every_holiday_falls_in_its_year_and_mobile_feasts_follow_easter(
    year: int, department: str | None
) -> None:
    holidays = public_holidays(year, department)
    sunday = easter(year)
    assert {day.year for day in holidays} == {year}
    assert {sunday + dt.timedelta(days=n) for n in (1, 39, 50)} <= holidays


@pytest.mark.parametrize("department", ALSACE_MOSELLE)
def test_alsace_moselle_adds_good_friday_and_saint_etienne(department: str) -> None:
    extra = public_holidays(2026, department) - public_holidays(2026)
    assert extra == {D(2026, 4, 3), D(2026, 12, 26)}
    assert public_holidays(2027, department) - public_holidays(2027) == {
        D(2027, 3, 26),
        D(2027, 12, 26),
    }


@pytest.mark.parametrize("department", NATIONAL_ONLY, ids=str)
def test_a_department_without_local_days_has_the_national_list(department: str | None) -> None:
    assert public_holidays(2026, department) == public_holidays(2026)
    assert D(2026, 4, 3) not in public_holidays(2026, department)
    assert D(2026, 12, 26) not in public_holidays(2026, department)


@pytest.mark.parametrize(("department", "day"), ABOLITION_2026.items(), ids=list(ABOLITION_2026))
def test_each_overseas_department_rests_on_its_own_abolition_day(
    department: str, day: dt.date
) -> None:
    assert public_holidays(2026, department) - public_holidays(2026) == {day}
    # Every year; in 2031 Martinique's 22 May is also Ascension, so membership, not difference.
    assert all(day.replace(year=year) in public_holidays(year, department) for year in (2027, 2031))


@pytest.mark.parametrize(("department", "day"), ABOLITION_2026.items(), ids=list(ABOLITION_2026))
def test_an_abolition_day_is_worked_everywhere_else(department: str, day: dt.date) -> None:
    elsewhere = [other for other in DEPARTMENTS if other != department]
    assert all(day not in public_holidays(2026, other) for other in elsewhere)


def test_holidays_are_computed_once_per_year_and_set_of_local_rules() -> None:
    assert public_holidays(2026, "57") is public_holidays(2026, "57")
    assert public_holidays(2026, "75") is public_holidays(2026, "13") is public_holidays(2026)


# Working days


@pytest.mark.parametrize(
    ("day", "worked"),
    [
        (D(2026, 5, 4), True),  # a Monday
        (D(2026, 5, 2), False),  # a Saturday
        (D(2026, 5, 3), False),  # a Sunday
        (D(2026, 5, 1), False),  # a Friday, fête du travail
        (D(2026, 5, 14), False),  # a Thursday, Ascension
    ],
    ids=str,
)
def test_a_working_day_is_a_weekday_that_is_no_holiday(day: dt.date, worked: bool) -> None:
    assert is_working_day(day) is worked


def test_good_friday_is_worked_in_paris_but_not_in_moselle() -> None:
    assert is_working_day(D(2026, 4, 3), "75")
    assert not is_working_day(D(2026, 4, 3), "57")


@pytest.mark.parametrize("day", [D(2026, 5, 2), D(2026, 5, 1), D(2026, 5, 6)], ids=str)
def test_zero_working_days_after_a_day_is_that_day(day: dt.date) -> None:
    assert add_working_days(day, 0) == day


def test_a_negative_count_of_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        add_working_days(D(2026, 5, 4), -1)


@pytest.mark.parametrize(
    ("day", "count", "department", "expected"),
    [
        # Friday + 1 skips the weekend.
        (D(2026, 1, 16), 1, None, D(2026, 1, 19)),
        (D(2026, 1, 17), 1, None, D(2026, 1, 19)),
        (D(2026, 1, 16), 5, None, D(2026, 1, 23)),
        # Thursday 30 April: Friday 1 May is a holiday.
        (D(2026, 4, 30), 1, None, D(2026, 5, 4)),
        (D(2026, 4, 30), 2, None, D(2026, 5, 5)),
        # Thursday 7 May: Friday 8 May is a holiday.
        (D(2026, 5, 7), 1, None, D(2026, 5, 11)),
        (D(2026, 4, 30), 5, None, D(2026, 5, 11)),
        # Wednesday 13 May: Thursday 14 May is Ascension.
        (D(2026, 5, 13), 1, None, D(2026, 5, 15)),
        # Friday 22 May: Monday 25 May is lundi de Pentecôte.
        (D(2026, 5, 22), 1, None, D(2026, 5, 26)),
        # Wednesday 24 December 2025: Saint-Étienne (Friday 26) rests in Moselle only.
        (D(2025, 12, 24), 1, "75", D(2025, 12, 26)),
        (D(2025, 12, 24), 1, "57", D(2025, 12, 29)),
        # Thursday 2 April 2026: Good Friday then Easter Monday in Moselle.
        (D(2026, 4, 2), 1, "75", D(2026, 4, 3)),
        (D(2026, 4, 2), 1, "57", D(2026, 4, 7)),
        # Across the new year: Friday 1 January 2027 is a holiday.
        (D(2026, 12, 31), 1, None, D(2027, 1, 4)),
        # Guadeloupe rests on Wednesday 27 May 2026.
        (D(2026, 5, 26), 1, "971", D(2026, 5, 28)),
        (D(2026, 5, 26), 1, "972", D(2026, 5, 27)),
    ],
)
def test_working_days_ahead_skip_weekends_and_local_holidays(
    day: dt.date, count: int, department: str | None, expected: dt.date
) -> None:
    assert add_working_days(day, count, department) == expected


@pytest.mark.parametrize(
    ("start", "end", "department", "expected"),
    [
        (D(2026, 1, 16), D(2026, 1, 19), None, 1),  # Friday → Monday
        (D(2026, 1, 16), D(2026, 1, 18), None, 0),  # Friday → Sunday
        (D(2026, 1, 12), D(2026, 1, 19), None, 5),  # Monday → Monday
        (D(2026, 4, 30), D(2026, 5, 31), None, 17),  # May 2026, four holidays on weekdays
        (D(2026, 5, 13), D(2026, 5, 15), None, 1),  # Ascension in between
        (D(2025, 12, 24), D(2025, 12, 31), "75", 4),
        (D(2025, 12, 24), D(2025, 12, 31), "57", 3),
        (D(2026, 12, 31), D(2027, 1, 4), None, 1),
        (D(2025, 12, 31), D(2026, 12, 31), None, 252),  # the whole of 2026
    ],
)
def test_working_days_between_count_the_days_after_start_up_to_end(
    start: dt.date, end: dt.date, department: str | None, expected: int
) -> None:
    assert working_days_between(start, end, department) == expected


@pytest.mark.parametrize(
    ("start", "end"), [(D(2026, 5, 4), D(2026, 5, 4)), (D(2026, 5, 4), D(2026, 4, 1))], ids=str
)
def test_no_working_day_lies_between_a_day_and_itself_or_an_earlier_one(
    start: dt.date, end: dt.date
) -> None:
    assert working_days_between(start, end) == 0


@given(days, st.integers(min_value=1, max_value=300), departments)
def test_a_count_of_working_days_ahead_lands_on_a_working_day(
    day: dt.date, count: int, department: str | None
) -> None:
    assert is_working_day(add_working_days(day, count, department), department)


@given(days, st.integers(min_value=0, max_value=300), departments)
def test_counting_back_the_working_days_ahead_gives_the_count(
    day: dt.date, count: int, department: str | None
) -> None:
    assert working_days_between(day, add_working_days(day, count, department), department) == count


@given(days, st.integers(min_value=0, max_value=800), departments)
def test_working_days_between_agrees_with_a_walk_day_by_day(
    start: dt.date, span: int, department: str | None
) -> None:
    walked = sum(
        is_working_day(start + dt.timedelta(days=offset), department)
        for offset in range(1, span + 1)
    )
    assert working_days_between(start, start + dt.timedelta(days=span), department) == walked
