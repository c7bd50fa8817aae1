"""The business-day calendar deadlines are counted on: weekends and U.S. federal holidays (observed
days included, from the maintained `holidays` package) are not business days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import accumulate

import holidays


@dataclass(frozen=True)
class BusinessDays:
    """Every day from 1 January of the first year to 31 January after the last (so the next business
    day exists): whether it is a business day, the first business day on or after it, and a running
    count of business days (`n business days after` is the day whose count is `n` more)."""

    start: date
    days: tuple[date, ...]
    business: tuple[bool, ...]
    next_business: tuple[date, ...]
    business_index: tuple[int, ...]

    def _at(self, day: date) -> int | None:
        i = (day - self.start).days
        return i if 0 <= i < len(self.days) else None

    def next_business_on(self, day: date) -> date | None:
        """The first business day on or after `day` (None outside the calendar)."""
        i = self._at(day)
        return None if i is None else self.next_business[i]

    def business_days_after(self, day: date, n: int) -> date | None:
        """The business day whose running count is `n` more than `day`'s (None outside the calendar)."""
        i = self._at(day)
        if i is None:
            return None
        target = self.business_index[i] + n
        for j in range(i + 1, len(self.days)):
            if self.business[j] and self.business_index[j] == target:
                return self.days[j]
        return None


@cache
def business_days(first_year: int, last_year: int) -> BusinessDays:
    """The calendar over the years given, computed once per process."""
    federal = holidays.country_holidays("US", years=range(first_year, last_year + 1))
    start, end = date(first_year, 1, 1), date(last_year + 1, 1, 31)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    business = [d.weekday() < 5 and d not in federal for d in days]
    index = list(accumulate(int(b) for b in business))
    following: list[date] = []
    upcoming = days[-1]
    for day, is_business in zip(reversed(days), reversed(business), strict=True):
        upcoming = day if is_business else upcoming
        following.append(upcoming)
    return BusinessDays(start, tuple(days), tuple(business), tuple(following[::-1]), tuple(index))
