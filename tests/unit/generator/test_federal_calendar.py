"""The hard-coded federal holidays agree with the ``holidays`` package."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ilos.generator.federal_calendar import federal_holidays, is_business_day, next_business_day


def test_known_holidays() -> None:
    assert date(2025, 7, 4) in federal_holidays(2025)
    assert date(2021, 12, 31) in federal_holidays(2021)  # New Year's Day 2022 observed
    assert date(2023, 11, 10) in federal_holidays(2023)  # Veterans Day observed
    assert date(2020, 6, 19) not in federal_holidays(2020)  # Juneteenth from 2021
    assert date(2025, 11, 27) in federal_holidays(2025)  # Thanksgiving


def test_business_days() -> None:
    assert next_business_day(date(2025, 3, 1)) == date(2025, 3, 3)
    assert next_business_day(date(2025, 12, 25)) == date(2025, 12, 26)
    assert is_business_day(date(2025, 12, 26))


def test_same_days_as_the_holidays_package() -> None:
    holidays = pytest.importorskip("holidays")
    for year in range(2015, 2036):
        theirs = {day for day in holidays.US(years=[year]) if day.year == year}
        assert {day for day in federal_holidays(year) if day.year == year} == theirs, year
    day = date(2015, 1, 1)
    while day < date(2036, 1, 1):
        expected = day.weekday() < 5 and day not in holidays.US(years=[day.year])
        assert is_business_day(day) == expected, day
        day += timedelta(days=1)
