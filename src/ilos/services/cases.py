"""Use cases of the case lifecycle: a case's history and state, and the deadlines coming due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from ilos.domain.cases import CaseState, Pending, Step, replay
from ilos.services.errors import IlosError


class CaseWork(Protocol):
    """Case timelines and deadlines from the store."""

    def timeline(
        self, case_number: str, as_of: date, known_at_utc: str | None
    ) -> tuple[list[str], list[Pending]]:
        """The persons of a case and its triggers in order."""

    def due(self, as_of: date, last: date, known_at_utc: str | None) -> Any:
        """Deadlines from `as_of` to `last` of open cases."""


@dataclass
class CaseHistory:
    """Every step of one case, applied or refused, and where it stands."""

    case: str
    persons: list[str]
    steps: list[Step]

    @property
    def state(self) -> CaseState:
        """The state after the last step."""
        return self.steps[-1].after if self.steps else CaseState.LEAD

    @property
    def suspended_by(self) -> list[str]:
        """Holds that suspend the case now (started and not resumed)."""
        open_holds: list[str] = []
        for s in self.steps:
            kind, _, code = s.name.partition(":")
            if kind == "suspended":
                open_holds.append(code)
            elif kind == "resumed" and code in open_holds:
                open_holds.remove(code)
        return open_holds


def case_history(work: CaseWork, case: str, as_of: date, known_at_utc: str | None) -> CaseHistory:
    """The case's triggers replayed through the transition table from LEAD."""
    persons, pending = work.timeline(case, as_of, known_at_utc)
    if not pending:
        raise IlosError(f"case {case} has no court events (as of {as_of}, known at {known_at_utc or 'now'})")
    return CaseHistory(case, persons, replay(CaseState.LEAD, pending))


def parse_within(text: str) -> timedelta:
    """`--within 7d` (days) or `2w` (weeks)."""
    match = re.fullmatch(r"(\d+)([dw])", text.strip())
    if not match:
        raise IlosError(f"--within takes a number of days or weeks like 7d or 2w, not {text!r}")
    n = int(match.group(1))
    return timedelta(days=n * (7 if match.group(2) == "w" else 1))
