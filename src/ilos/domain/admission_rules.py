"""The contract's admission status rules as data: statuses, the events they read, and dated rule data.

Values that regulations change (grace periods, which classes cannot extend or change status, the
self-report corroboration window) live in `rules/admission.toml`, each entry with the date it takes
effect; an answer about an event uses the entry in force on that event's date.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).with_name("rules") / "admission.toml"


class AdmissionStatus(StrEnum):
    """Status of an admission, in the order the contract tries them (first match wins)."""

    STATUS_CHANGED = "STATUS_CHANGED"
    DEPARTED_TIMELY = "DEPARTED_TIMELY"
    DEPARTED_OVERSTAY = "DEPARTED_OVERSTAY"
    IN_STATUS = "IN_STATUS"
    PENDING_BENEFIT = "PENDING_BENEFIT"
    DEPARTURE_UNVERIFIED = "DEPARTURE_UNVERIFIED"
    SUSPECTED_IN_COUNTRY_OVERSTAY = "SUSPECTED_IN_COUNTRY_OVERSTAY"


STATUS_MEANINGS: dict[AdmissionStatus, str] = {
    AdmissionStatus.STATUS_CHANGED: "a change or adjustment of status was approved before any departure",
    AdmissionStatus.DEPARTED_TIMELY: "a verified departure on or before the authorized-until date, or while "
    "a protecting filing was pending",
    AdmissionStatus.DEPARTED_OVERSTAY: "a verified departure after the authorized-until date",
    AdmissionStatus.IN_STATUS: "the as-of date is on or before the authorized-until date, or D/S is open",
    AdmissionStatus.PENDING_BENEFIT: "past authorized-until, but a timely filing protects while pending",
    AdmissionStatus.DEPARTURE_UNVERIFIED: "past authorized-until; only an uncorroborated self-report of "
    "departure (a lead to verify, not a finding)",
    AdmissionStatus.SUSPECTED_IN_COUNTRY_OVERSTAY: "past authorized-until with no departure on record "
    "(a lead to verify, not a finding)",
}

SELF_REPORTED = "SELF_REPORTED"
#: Benefits whose filings move or protect an admission's authorized stay (rule 2).
STAY_FILINGS = frozenset({"EXTENSION_OF_STAY", "CHANGE_OF_STATUS", "ADJUSTMENT_OF_STATUS"})
EXTENSION = "EXTENSION_OF_STAY"
ADJUSTMENT = "ADJUSTMENT_OF_STATUS"
#: Events that decide a filing (the first one after filing counts).
DECISIONS = frozenset({"APPROVED", "DENIED", "WITHDRAWN", "REVOKED", "EXPIRED", "TERMINATED", "REJECTED"})
#: Decisions that end a timely filing's protection and move authorized-until to the decision date.
PROTECTION_ENDING = frozenset({"DENIED", "WITHDRAWN"})
STUDENT_PROGRAM = "STUDENT_PROGRAM"
PROGRAM_ENDS = frozenset({"COMPLETED", "WITHDRAWN", "TERMINATED"})


@dataclass(frozen=True)
class GracePeriod:
    """Days of grace after a D/S program ends, for one class letter and kind of end, from a date."""

    class_letter: str
    program_end: str
    days: int
    effective_from: date
    effective_until: date | None
    source: str


@dataclass(frozen=True)
class ClassRule:
    """A set of classes of admission a rule applies to, from a date."""

    classes: frozenset[str]
    effective_from: date
    effective_until: date | None
    source: str


@dataclass(frozen=True)
class DaysRule:
    """A number of days, from a date."""

    days: int
    effective_from: date
    effective_until: date | None
    source: str


@dataclass(frozen=True)
class AdmissionRules:
    """All dated rule data of the admission status rules."""

    grace_periods: tuple[GracePeriod, ...]
    no_extension_or_change: tuple[ClassRule, ...]
    self_report_corroboration: tuple[DaysRule, ...]


class RuleDataError(ValueError):
    """The rule data file breaks its own schema."""


@cache
def admission_rules(path: Path = RULES_FILE) -> AdmissionRules:
    """The dated rule data, loaded and validated once."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        return AdmissionRules(
            tuple(
                GracePeriod(
                    _text(e, "class_letter"), _program_end(e), _days(e), *_dates(e), _text(e, "source")
                )
                for e in data.get("grace_period", [])
            ),
            tuple(
                ClassRule(frozenset(_classes(e)), *_dates(e), _text(e, "source"))
                for e in data.get("no_extension_or_change", [])
            ),
            tuple(
                DaysRule(_days(e), *_dates(e), _text(e, "source")) for e in data["self_report_corroboration"]
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleDataError(f"{path}: {exc}") from None


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value:
        raise RuleDataError(f"{key} must be non-empty text, not {value!r}")
    return value


def _days(entry: dict[str, Any]) -> int:
    days = entry["days"]
    if not isinstance(days, int) or days < 0:
        raise RuleDataError(f"days must be a whole number ≥ 0, not {days!r}")
    return days


def _program_end(entry: dict[str, Any]) -> str:
    end = _text(entry, "program_end")
    if end not in PROGRAM_ENDS:
        raise RuleDataError(f"program_end must be one of {sorted(PROGRAM_ENDS)}, not {end!r}")
    return end


def _classes(entry: dict[str, Any]) -> list[str]:
    classes = entry["classes"]
    if not isinstance(classes, list) or not all(isinstance(c, str) and c for c in classes):
        raise RuleDataError(f"classes must be a list of class codes, not {classes!r}")
    return classes


def _dates(entry: dict[str, Any]) -> tuple[date, date | None]:
    start = date.fromisoformat(_text(entry, "effective_from"))
    end = date.fromisoformat(entry["effective_until"]) if "effective_until" in entry else None
    if end is not None and end < start:
        raise RuleDataError(f"effective_until {end} is before effective_from {start}")
    return start, end
