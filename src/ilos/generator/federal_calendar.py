"""U.S. federal holidays (5 U.S.C. 6103, with observed days) and business days."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

JUNETEENTH_FROM = 2021


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday (0=Monday) of a month; n=-1 for the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """Saturday holidays are observed on Friday, Sunday holidays on Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


@cache
def federal_holidays(year: int) -> frozenset[date]:
    """Federal holidays whose actual or observed day falls in the year."""
    fixed = [(1, 1), (7, 4), (11, 11), (12, 25)]
    if year >= JUNETEENTH_FROM:
        fixed.append((6, 19))
    days = {date(year, m, d) for m, d in fixed}
    days |= {_observed(d) for d in days}
    days |= {
        _nth_weekday(year, 1, 0, 3),  # Birthday of Martin Luther King, Jr.
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _nth_weekday(year, 5, 0, -1),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving Day
    }
    if date(year + 1, 1, 1).weekday() == 5:  # next New Year's Day observed on 31 December
        days.add(date(year, 12, 31))
    return frozenset(days)


def is_business_day(day: date) -> bool:
    """Neither a weekend nor a federal holiday (actual or observed)."""
    return day.weekday() < 5 and day not in federal_holidays(day.year)


def next_business_day(day: date) -> date:
    """The day itself when it is a business day, else the next business day."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day
