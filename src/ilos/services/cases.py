"""Use cases of the case lifecycle: a case's history and state, and the deadlines coming due."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from ilos.domain.cases import (
    CHARGES,
    MOVERS,
    TRANSITIONS,
    CaseState,
    Pending,
    Role,
    Step,
    Trigger,
    replay,
    transition,
)
from ilos.services.errors import IlosError


class CaseWork(Protocol):
    """Case timelines and deadlines from the store."""

    def timeline(
        self, case_number: str, as_of: date, known_at_utc: str | None
    ) -> tuple[list[str], list[Pending]]:
        """The persons of a case and its triggers in order."""

    def due(self, as_of: date, last: date, known_at_utc: str | None) -> Any:
        """Deadlines from `as_of` to `last` of open cases."""

    def last_action_day(self, case_number: str) -> date | None:
        """The day of the latest officer's step recorded on the case, if any."""


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
    if not persons:
        raise IlosError(f"case {case} has no court events (as of {as_of}, known at {known_at_utc or 'now'})")
    return CaseHistory(case, persons, replay(CaseState.LEAD, pending))


def parse_within(text: str) -> timedelta:
    """`--within 7d` (days) or `2w` (weeks)."""
    match = re.fullmatch(r"(\d+)([dw])", text.strip())
    if not match:
        raise IlosError(f"--within takes a number of days or weeks like 7d or 2w, not {text!r}")
    n = int(match.group(1))
    return timedelta(days=n * (7 if match.group(2) == "w" else 1))


class CaseActions(Protocol):
    """Where users and officers' steps are written."""

    def add_user(self, name: str, role: str, field_office: str | None) -> None:
        """Add or change a user."""

    def append(self, action: dict[str, Any], lead: bool = False) -> str:
        """Append one step; returns the case number."""


class GuardSource(Protocol):
    """Guards judged from the store."""

    def guard_facts(
        self, case_number: str, persons: list[str], as_of: date, detail: dict[str, Any]
    ) -> dict[str, bool]:
        """Every guard but a supervisor's approval."""


def check_role(users: dict[str, str], name: str, allowed: frozenset[Role], what: str) -> None:
    """`name` is a user whose role allows `what`."""
    role = users.get(name)
    if role is None:
        raise IlosError(f"{name!r} is not a user; add one with `ilos users add NAME --role ROLE`")
    if Role(role) not in allowed:
        raise IlosError(
            f"{name} ({role}) may not {what}; needs {' or '.join(sorted(r.value for r in allowed))}"
        )


def open_lead(store: CaseActions, users: dict[str, str], person: str, actor: str, reason: str, day: date,
              source: str) -> str:  # fmt: skip
    """A new lead on a person (from a worklist entry or a referral); returns its case number `L-n`."""
    check_role(users, actor, MOVERS, "open a case")
    if not reason.strip():
        raise IlosError("opening a case needs a reason")
    return store.append(
        {"case_number": "", "person_id": person, "step": "open", "day": day.isoformat(), "actor": actor,
         "reason": reason, "approved_by": None, "justification": None, "detail": json.dumps({"source": source}),
         "applied": True, "from_state": "", "to_state": CaseState.LEAD.value, "guard_results": "{}",
         "refusals": "[]"},
        lead=True,
    )  # fmt: skip


@dataclass
class Approval:
    """A supervisor's approval of one step."""

    by: str | None = None
    justification: str = ""


def move(
    work: CaseWork, guards: GuardSource, store: CaseActions, users: dict[str, str], case: str, step: str,
    actor: str, reason: str, approval: Approval, detail: dict[str, Any], day: date,
) -> Step:  # fmt: skip
    """An officer's step on a case, judged by the transition table and every guard on `day`; recorded
    whether applied or refused (with the guard results), and returned."""
    check_role(users, actor, MOVERS, "move a case")
    if not reason.strip():
        raise IlosError("a step needs a reason")
    last = work.last_action_day(case)
    if last is not None and day < last:
        raise IlosError(f"case {case} has a step on {last}; a step cannot be dated before it")
    history = case_history(work, case, day, None)
    t = transition(step, history.state)
    if t is None or t.trigger is not Trigger.OFFICER:
        officer = sorted(
            {x.name for x in TRANSITIONS if x.trigger is Trigger.OFFICER and history.state in x.sources}
        )
        raise IlosError(f"{step} is not an officer's step from {history.state.value}; "
                        f"from there: {', '.join(officer) or 'none'}")  # fmt: skip
    if step == "issue_nta":
        _check_charges(detail.get("charges", []))
    facts = guards.guard_facts(case, history.persons, day, detail)
    facts["supervisor_approval"] = _approved(users, actor, approval)
    done = replay(history.state, [Pending(day, Trigger.OFFICER, step, (), actor, facts)])[0]
    store.append(
        {"case_number": case, "person_id": history.persons[0] if history.persons else None, "step": step,
         "day": day.isoformat(), "actor": actor, "reason": reason, "approved_by": approval.by,
         "justification": approval.justification or None, "detail": json.dumps(detail, sort_keys=True),
         "applied": done.applied, "from_state": done.before.value, "to_state": done.after.value,
         "guard_results": json.dumps(dict(done.guard_results), sort_keys=True), "refusals": json.dumps(done.reasons)},
    )  # fmt: skip
    return done


def _approved(users: dict[str, str], actor: str, approval: Approval) -> bool:
    """A supervisor other than the actor approved, with a written justification."""
    return (
        approval.by is not None and approval.by != actor and users.get(approval.by) == Role.SUPERVISOR.value
        and bool(approval.justification.strip())
    )  # fmt: skip


def _check_charges(charges: list[str]) -> None:
    """A notice to appear carries at least one charge, each one ILOS knows."""
    if not charges:
        raise IlosError(f"a notice to appear needs --charge (one or more of {', '.join(CHARGES)})")
    unknown = sorted(set(charges) - set(CHARGES))
    if unknown:
        raise IlosError(f"unknown charge {', '.join(unknown)}; charges are {', '.join(CHARGES)}")
