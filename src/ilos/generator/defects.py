"""Defective rows: each breaks exactly one rule of the contract, so its reason is predictable."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta

from .reference import DS_CLASSES, VISA_WAIVER
from .rows import Row
from .schema import BAD_CODES, BAD_FORMATS, EVENT_DATE, IDENTITY_BAD_CODES, OTHER_DATES, REQUIRED
from .stamps import render

FUTURE_YEARS = 10  # RECORDED_IN_FUTURE rows are dated this many years after ``now``


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _bad_date(rng: random.Random, year: int) -> str:
    """A value that is not a real YYYY-MM-DD date."""
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        (
            f"{year:04d}-02-30",
            f"{day:02d}/{month:02d}/{year:04d}",
            f"{year:04d}-13-{day:02d}",
            f"{year:04d}-04-31",
        )
    )


class Defects:
    """Applies one defect of a given reason to a valid row (in place)."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self._apply: dict[str, Callable[[str, Row], bool]] = {
            "MISSING_REQUIRED": self._missing,
            "INVALID_CODE": self._code,
            "INVALID_DATE": self._date,
            "INVALID_TIMESTAMP": self._timestamp,
            "INVALID_FORMAT": self._format,
            "RECORDED_IN_FUTURE": self._future,
            "EVENT_BEFORE_BIRTH": self._before_birth,
            "EVENT_AFTER_RECORDED": self._after_recorded,
            "ADMIT_UNTIL_BEFORE_ADMITTED": self._until_before,
            "VISA_WAIVER_TOO_LONG": self._vwp_long,
            "DS_NOT_ALLOWED": self._ds,
        }

    def apply(self, reason: str, feed: str, row: Row, instant: datetime) -> bool:
        """Break the row for ``reason``; False when this row cannot carry that defect."""
        self._instant = instant
        return self._apply[reason](feed, row)

    def _missing(self, feed: str, row: Row) -> bool:
        options = ["family_name", *REQUIRED[feed]]
        column = self.rng.choice(options)
        if column == "class_of_admission" and row["admit_until"] == "D/S":
            column = "family_name"
        row[column] = ""
        return True

    def _code(self, feed: str, row: Row) -> bool:
        column, values = self.rng.choice(BAD_CODES[feed] + IDENTITY_BAD_CODES)
        if column == "class_of_admission" and row["admit_until"] == "D/S":
            return False
        row[column] = self.rng.choice(values)
        return True

    def _date(self, feed: str, row: Row) -> bool:
        columns = [
            c
            for c in (EVENT_DATE.get(feed, ""), *OTHER_DATES.get(feed, ()), "date_of_birth")
            if c and row.get(c) and row[c] != "D/S"
        ]
        if not columns:
            return False
        column = self.rng.choice(columns)
        row[column] = _bad_date(self.rng, int(row[column][:4]))
        return True

    def _timestamp(self, feed: str, row: Row) -> bool:
        local = self._instant
        row["recorded_at"] = self.rng.choice(
            (
                local.strftime("%Y-%m-%dT%H:%M:%S"),
                local.strftime("%Y-%m-%d %H:%M"),
                local.strftime("%d/%m/%Y %H:%M:%S"),
            )
        )
        return True

    def _format(self, feed: str, row: Row) -> bool:
        column, values = self.rng.choice(BAD_FORMATS[feed])
        row[column] = self.rng.choice(values)
        return True

    def _future(self, feed: str, row: Row) -> bool:
        when = self.now.replace(year=self.now.year + FUTURE_YEARS, day=min(self.now.day, 28))
        row["recorded_at"] = render(when + timedelta(days=self.rng.randint(0, 300)), None)
        return True

    def _before_birth(self, feed: str, row: Row) -> bool:
        event = row.get(EVENT_DATE.get(feed, ""), "")
        if not event:
            return False
        row["date_of_birth"] = (_day(event) + timedelta(days=self.rng.randint(1, 60))).isoformat()
        return True

    def _after_recorded(self, feed: str, row: Row) -> bool:
        event = row.get(EVENT_DATE.get(feed, ""), "")
        if not event:
            return False
        early = datetime.combine(_day(event), self._instant.timetz()) - timedelta(
            days=self.rng.randint(1, 10)
        )
        row["recorded_at"] = render(early, None)
        return True

    def _until_before(self, feed: str, row: Row) -> bool:
        admitted = _day(row["admitted_on"])
        row["admit_until"] = (admitted - timedelta(days=self.rng.randint(1, 30))).isoformat()
        return True

    def _vwp_long(self, feed: str, row: Row) -> bool:
        if row["class_of_admission"] not in VISA_WAIVER:
            return False
        admitted = _day(row["admitted_on"])
        row["admit_until"] = (admitted + timedelta(days=self.rng.randint(90, 200))).isoformat()
        return True

    def _ds(self, feed: str, row: Row) -> bool:
        if row["class_of_admission"] in DS_CLASSES | VISA_WAIVER:
            return False
        row["admit_until"] = "D/S"
        return True
