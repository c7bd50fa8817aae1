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
    PROTECTIONS,
    TRANSITIONS,
    CaseState,
    Pending,
    Role,
    Step,
    Trigger,
    replay,
    transition,
)
from ilos.domain.holds import BLOCKING_SCOPES, hold_kind
from ilos.domain.policy import Pack
from ilos.services.errors import IlosError
from ilos.services.priorities import PriorityWork, explain_rank


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
              today: date, source: str) -> str:  # fmt: skip
    """A new lead on a person (from a referral) opened on `day`, not after `today`; returns its case
    number `L-n`."""
    not_in_future(day, today)
    return _lead(store, users, person, actor, reason, day, source)


def _lead(store: CaseActions, users: dict[str, str], person: str, actor: str, reason: str, day: date,
          source: str, ranking: dict[str, Any] | None = None) -> str:  # fmt: skip
    """Append a lead's opening; `ranking` records where the person stood on the worklist, and whether the
    lead overrides it."""
    check_role(users, actor, MOVERS, "open a case")
    if not reason.strip():
        raise IlosError("opening a case needs a reason")
    detail = json.dumps({"source": source, **(ranking or {})}, sort_keys=True)
    return store.append(
        {"case_number": "", "person_id": person, "step": "open", "day": day.isoformat(), "actor": actor,
         "reason": reason, "approved_by": None, "justification": None, "detail": detail,
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
    actor: str, reason: str, approval: Approval, detail: dict[str, Any], day: date, today: date,
) -> Step:  # fmt: skip
    """An officer's step on a case, judged by the transition table and every guard on `day` (a protection
    also on `today` when the step is dated earlier); recorded whether applied or refused (with the guard
    results), and returned."""
    check_role(users, actor, MOVERS, "move a case")
    if not reason.strip():
        raise IlosError("a step needs a reason")
    not_in_future(day, today)
    _not_before_last(work, case, day)
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
    judged = set(t.guards) - {"supervisor_approval"}
    facts = guards.guard_facts(case, history.persons, day, detail) if judged else {}
    if day < today and judged & PROTECTIONS:
        now = guards.guard_facts(case, history.persons, today, detail)
        facts.update({g: facts.get(g, False) and now.get(g, False) for g in PROTECTIONS})
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


@dataclass(frozen=True)
class Users:
    """Local users: each one's role and field office."""

    roles: dict[str, str]
    offices: dict[str, str | None]


def assign(
    work: CaseWork, store: CaseActions, users: Users, case: str, to: str, actor: str, reason: str, day: date,
    today: date, field_office: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Assign a case to an officer and a field office (the officer's own unless named), on `day`, not after
    `today`. A supervisor assigns anyone; an officer may take a case only for themselves. Recorded like
    every step; returns the detail."""
    not_in_future(day, today)
    if to != actor:
        check_role(users.roles, actor, frozenset({Role.SUPERVISOR}), "assign a case to someone else")
    check_role(users.roles, to, MOVERS, "be assigned a case")
    if not reason.strip():
        raise IlosError("an assignment needs a reason")
    _not_before_last(work, case, day)
    history = case_history(work, case, day, None)
    detail = {"officer": to, "field_office": field_office or users.offices.get(to)}
    store.append(
        {"case_number": case, "person_id": history.persons[0] if history.persons else None, "step": "assign", "day": day.isoformat(), "actor": actor,
         "reason": reason, "approved_by": None, "justification": None, "detail": json.dumps(detail, sort_keys=True),
         "applied": True, "from_state": history.state.value, "to_state": history.state.value,
         "guard_results": "{}", "refusals": "[]"},
    )  # fmt: skip
    return detail


def assignments(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The current assignment of every assigned case (its latest), ordered by case: case, officer,
    field_office, since, by, reason."""
    latest: dict[str, dict[str, Any]] = {}
    for a in actions:
        if a["step"] == "assign":
            detail = json.loads(a["detail"])
            latest[a["case_number"]] = {"case": a["case_number"], "officer": detail["officer"],
                                        "field_office": detail.get("field_office"), "since": a["day"],
                                        "by": a["actor"], "reason": a["reason"]}  # fmt: skip
    return [latest[c] for c in sorted(latest)]


def overrides(actions: list[dict[str, Any]], policy: str | None = None) -> list[dict[str, Any]]:
    """Leads opened against a policy's ranking, by policy then day: policy, version, case, person_id, day, actor,
    tier (the person's tier then, if any), reason."""
    out = []
    for a in actions:
        detail = json.loads(a["detail"]) if a["step"] == "open" else {}
        if detail.get("override") and policy in (None, detail.get("policy")):
            out.append({"policy": detail["policy"], "version": detail.get("version"), "case": a["case_number"],
                        "person_id": a["person_id"], "day": a["day"], "actor": a["actor"],
                        "tier": detail.get("tier"), "reason": a["reason"]})  # fmt: skip
    return sorted(out, key=lambda r: (r["policy"], r["day"], r["case"]))


def not_in_future(day: date, today: date) -> None:
    """A step records what was done: it cannot be dated after the day it is recorded."""
    if day > today:
        raise IlosError(f"a step cannot be dated after today ({today}): {day}")


def _not_before_last(work: CaseWork, case: str, day: date) -> None:
    last = work.last_action_day(case)
    if last is not None and day < last:
        raise IlosError(f"case {case} has a step on {last}; a step cannot be dated before it")


def open_from_worklist(
    work: PriorityWork, store: CaseActions, users: dict[str, str], pack: Pack, person: str, actor: str,
    reason: str, day: date, today: date, override: bool,
) -> str:  # fmt: skip
    """A lead on a person of `pack`'s worklist on `day` (not after `today`). Opening one on a person the
    policy does not list is an override of its ranking: allowed with `override` and a reason, recorded and
    counted; never past a legal hold that blocks enforcement or removal."""
    not_in_future(day, today)
    standing = explain_rank(work, pack, person, day, None)
    blocking = sorted(h for h in standing.holds if hold_kind(h).scope in BLOCKING_SCOPES)
    if blocking:
        raise IlosError(f"{person} is held on {day} ({', '.join(blocking)}): a legal hold is not the policy's "
                        "to override")  # fmt: skip
    if not standing.listed and not override:
        raise IlosError(f"{person} is not on the {pack.name} worklist on {day}; open it as a referral, or "
                        "override the ranking with --override and a reason")  # fmt: skip
    ranking = {"policy": pack.name, "version": pack.version, "tier": standing.tier, "score": standing.score,
               "override": not standing.listed}  # fmt: skip
    return _lead(store, users, person, actor, reason, day, f"worklist:{pack.name}", ranking)
