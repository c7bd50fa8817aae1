"""The case lifecycle as a table: states, transitions and the guards that allow them.

A case moves by three kinds of trigger: a **court** event from the feeds (the court decided: the record
is the fact, so the move is applied as recorded), the **clock** (an appeal window or a voluntary
departure period closing makes an order final), a verified **departure**, and an **officer**'s
command, which is refused with a reason unless every guard of the transition holds. Guards are data
beside the transitions, each with its legal source. `replay` applies triggers in order and returns
every step, applied or refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class CaseState(StrEnum):
    """Where a case stands."""

    LEAD = "LEAD"
    VETTING = "VETTING"
    REFERRED = "REFERRED"
    NTA_ISSUED = "NTA_ISSUED"  # a notice to appear issued, not yet filed with the court
    IN_PROCEEDINGS = "IN_PROCEEDINGS"
    ORDERED = "ORDERED"  # a removal order that is not final yet
    ON_APPEAL = "ON_APPEAL"
    VOLUNTARY_DEPARTURE = "VOLUNTARY_DEPARTURE"
    FINAL_ORDER = "FINAL_ORDER"
    TRAVEL_DOCUMENT_REQUESTED = "TRAVEL_DOCUMENT_REQUESTED"
    TRAVEL_DOCUMENT_ISSUED = "TRAVEL_DOCUMENT_ISSUED"
    REMOVAL_SCHEDULED = "REMOVAL_SCHEDULED"
    REMOVED = "REMOVED"
    DEPARTED = "DEPARTED"
    CLOSED = "CLOSED"


S = CaseState
TERMINAL = frozenset({S.REMOVED, S.DEPARTED, S.CLOSED})
#: States of a case whose notice to appear is not on record with the court yet.
_BEFORE_PROCEEDINGS = frozenset({S.LEAD, S.VETTING, S.REFERRED, S.NTA_ISSUED})
OPEN_STATES = frozenset(CaseState) - TERMINAL
_PRE_ORDER = frozenset({S.LEAD, S.VETTING, S.REFERRED, S.NTA_ISSUED, S.IN_PROCEEDINGS})
_EXECUTION = frozenset(
    {S.FINAL_ORDER, S.TRAVEL_DOCUMENT_REQUESTED, S.TRAVEL_DOCUMENT_ISSUED, S.REMOVAL_SCHEDULED}
)
_ANY_OPEN = OPEN_STATES
#: Where a court may still grant relief or terminate: in proceedings, on appeal, under an order (a final
#: one or a voluntary-departure period included, once a motion reopens the case).
_DECIDED = frozenset({S.IN_PROCEEDINGS, S.ON_APPEAL, S.ORDERED, S.VOLUNTARY_DEPARTURE, S.FINAL_ORDER})


class Role(StrEnum):
    """What a local user may do: officers and supervisors move cases; a supervisor approves; analysts,
    auditors and privacy officers read."""

    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    AUDITOR = "auditor"
    PRIVACY = "privacy"


MOVERS = frozenset({Role.OFFICER, Role.SUPERVISOR})
#: Officers' records on a case that do not move it: a lead's opening and an assignment.
RECORD_ONLY_STEPS = frozenset({"open", "assign"})


class Trigger(StrEnum):
    """What moves a case."""

    COURT = "court"
    CLOCK = "clock"
    DEPARTURE = "departure"
    OFFICER = "officer"
    HOLD = "hold"  # a hold starting suspends the case, its end resumes it: no change of state


@dataclass(frozen=True)
class Guard:
    """A condition an officer's transition needs, and the law or record it comes from."""

    name: str
    meaning: str
    source: str


GUARDS: dict[str, Guard] = {
    g.name: g
    for g in (
        Guard("final_order", "a removal order that is final on the day", "INA 241(a)(1); 8 CFR 1241.1"),
        Guard("no_stay", "no stay of removal in force", "8 CFR 1003.23(b)(1)(v), 1241.6"),
        Guard("no_appeal_window", "no appeal window open and no appeal pending", "8 CFR 1003.38, 1003.6(a)"),
        Guard("no_protection_pending", "no asylum, withholding or CAT claim pending",
              "INA 208(d)(1); 8 CFR 208.5"),
        Guard("no_tps", "no valid TPS and no pending initial TPS application", "INA 244(a)(1)(A), (a)(4)"),
        Guard("no_voluntary_departure", "no voluntary-departure period running", "INA 240B; 8 CFR 1240.26"),
        Guard("no_citizenship_claim", "no open claim to U.S. citizenship", "8 U.S.C. 1503; ICE Directive 16001.2"),
        Guard("travel_document_valid", "a travel document issued and not expired on the day", "8 CFR 241.4(k)(2)(ii)"),
        Guard("not_barred_country", "the destination is not barred by an approved withholding or CAT",
              "INA 241(b)(3); 8 CFR 1208.16-17"),
        Guard("not_in_status", "the person is not in status on the day, for an overstay or status-violation charge",
              "INA 237(a)(1)(B), (C)(i)"),
        Guard("no_protecting_filing", "no asylum, TPS or timely extension or change of status pending, for an "
              "overstay or status-violation charge", "INA 208(d), 244(a)(1); 8 CFR 214.1(c)(4), 1239.1"),
        Guard("admitted_visa_waiver", "the person's last admission was under the Visa Waiver Program (WB or WT), "
              "which waives a hearing", "INA 217(b); 8 CFR 217.4(b)"),
        Guard("stipulation_on_file", "the signed stipulation and the judge's order are on file (a document reference)",
              "INA 240(d); 8 CFR 1003.25(b)"),
        Guard("supervisor_approval", "a supervisor's approval with a written justification",
              "ICE supervisory review of arrests and removals"),
    )
}  # fmt: skip


#: Charges a notice to appear may carry, with the ground of removability they rest on.
CHARGES: dict[str, str] = {
    "OVERSTAY": "INA 237(a)(1)(B): remained longer than permitted",
    "STATUS_VIOLATION": "INA 237(a)(1)(C)(i): failed to maintain the status of admission",
    "ENTRY_WITHOUT_INSPECTION": "INA 212(a)(6)(A)(i): present without admission or parole",
    "CRIMINAL": "INA 237(a)(2): criminal offenses",
    "FRAUD": "INA 212(a)(6)(C)(i): fraud or willful misrepresentation",
    "PRIOR_REMOVAL": "INA 212(a)(9): previously removed",
}
#: Charges that need the person out of status, with no filing pending that protects the stay.
STATUS_CHARGES = frozenset({"OVERSTAY", "STATUS_VIOLATION"})
#: Classes of admission under the Visa Waiver Program (business, tourism).
VISA_WAIVER_CLASSES = frozenset({"WB", "WT"})


@dataclass(frozen=True)
class Transition:
    """One allowed move: `trigger` named `name` moves a case in one of `sources` to `target`."""

    trigger: Trigger
    name: str
    sources: frozenset[CaseState]
    target: CaseState
    guards: tuple[str, ...] = ()
    meaning: str = ""


def _t(trigger: Trigger, name: str, sources: Iterable[CaseState], target: CaseState, meaning: str,
       guards: tuple[str, ...] = ()) -> Transition:  # fmt: skip
    return Transition(trigger, name, frozenset(sources), target, guards, meaning)


_HOLDS_FOR_REMOVAL = ("no_stay", "no_appeal_window", "no_protection_pending", "no_tps", "no_voluntary_departure",
                      "no_citizenship_claim")  # fmt: skip
C, K, D, OF = Trigger.COURT, Trigger.CLOCK, Trigger.DEPARTURE, Trigger.OFFICER

TRANSITIONS: tuple[Transition, ...] = (
    _t(OF, "vet", {S.LEAD}, S.VETTING, "an officer starts vetting a lead"),
    _t(OF, "refer", {S.VETTING}, S.REFERRED, "referred for a notice to appear or arrest",
       ("no_citizenship_claim", "supervisor_approval")),
    _t(OF, "close", _PRE_ORDER, S.CLOSED, "closed: not removable, departed or status resolved"),
    _t(OF, "issue_nta", {S.VETTING, S.REFERRED}, S.NTA_ISSUED, "a notice to appear issued with its charges",
       ("no_citizenship_claim", "not_in_status", "no_protecting_filing")),
    _t(C, "NTA_FILED", {S.LEAD, S.VETTING, S.REFERRED, S.NTA_ISSUED}, S.IN_PROCEEDINGS,
       "a notice to appear filed with the court"),
    _t(C, "HEARING_SCHEDULED", {S.IN_PROCEEDINGS}, S.IN_PROCEEDINGS, "a hearing scheduled"),
    _t(C, "REMOVAL_ORDERED", {S.IN_PROCEEDINGS, S.ON_APPEAL}, S.ORDERED, "an immigration judge ordered removal"),
    _t(C, "IN_ABSENTIA_ORDER", {S.IN_PROCEEDINGS}, S.FINAL_ORDER, "ordered removed in absentia: final at once"),
    _t(C, "VOLUNTARY_DEPARTURE_GRANTED", {S.IN_PROCEEDINGS, S.ORDERED}, S.VOLUNTARY_DEPARTURE,
       "voluntary departure granted, with an alternate order of removal"),
    _t(C, "RELIEF_GRANTED", _DECIDED, S.CLOSED, "relief from removal granted (after a reopening, too)"),
    _t(C, "TERMINATED", _DECIDED, S.CLOSED, "proceedings terminated (after a reopening, too)"),
    _t(C, "APPEAL_WAIVED", {S.ORDERED}, S.FINAL_ORDER, "appeal waived: the order is final"),
    _t(C, "APPEAL_WAIVED", {S.VOLUNTARY_DEPARTURE}, S.VOLUNTARY_DEPARTURE,
       "appeal waived, as voluntary departure at the end of proceedings requires"),
    _t(C, "VD_BOND_POSTED", {S.VOLUNTARY_DEPARTURE}, S.VOLUNTARY_DEPARTURE, "voluntary-departure bond posted"),
    _t(C, "APPEAL_FILED", {S.ORDERED, S.VOLUNTARY_DEPARTURE}, S.ON_APPEAL, "an appeal filed with the Board"),
    _t(C, "APPEAL_DISMISSED", {S.ON_APPEAL}, S.FINAL_ORDER, "appeal dismissed: the order is final"),
    _t(C, "APPEAL_SUSTAINED", {S.ON_APPEAL}, S.IN_PROCEEDINGS, "appeal sustained: back to the court"),
    # The contract gives these orders the appeal window too, though in law they are not appealable to the
    # Board (ADR 8): they wait in ORDERED for it, as a judge's order does.
    _t(C, "EXPEDITED_REMOVAL_ORDER", _PRE_ORDER, S.ORDERED,
       "expedited removal (INA 235(b)(1)), no hearing; the contract's appeal window runs"),
    _t(C, "REINSTATEMENT_ORDER", _PRE_ORDER, S.ORDERED,
       "a prior order reinstated (INA 241(a)(5)); the contract's appeal window runs"),
    _t(C, "ADMINISTRATIVE_REMOVAL_ORDER", _PRE_ORDER, S.ORDERED,
       "administrative removal (INA 238(b)); the contract's appeal window runs"),
    _t(OF, "order_visa_waiver_removal", {S.VETTING, S.REFERRED}, S.FINAL_ORDER,
       "removal of a visa-waiver entrant ordered without a hearing (INA 217(b))",
       ("admitted_visa_waiver", "no_protection_pending", "no_citizenship_claim", "supervisor_approval")),
    _t(OF, "record_stipulated_order", {S.NTA_ISSUED, S.IN_PROCEEDINGS}, S.FINAL_ORDER,
       "a stipulated removal order entered by the judge without a hearing, recorded with its document (INA 240(d))",
       ("stipulation_on_file", "no_citizenship_claim")),
    _t(C, "MOTION_TO_REOPEN_DECIDED", {S.FINAL_ORDER}, S.FINAL_ORDER, "a motion to reopen decided"),
    _t(K, "appeal_window_closed", {S.ORDERED}, S.FINAL_ORDER, "the appeal window closed with no appeal"),
    _t(K, "voluntary_departure_ended", {S.VOLUNTARY_DEPARTURE}, S.FINAL_ORDER,
       "the period ran out, the bond was not posted in 5 business days or a motion to reopen was filed: "
       "the alternate order is final"),
    _t(OF, "request_travel_document", {S.FINAL_ORDER}, S.TRAVEL_DOCUMENT_REQUESTED, "travel document requested"),
    _t(OF, "issue_travel_document", {S.TRAVEL_DOCUMENT_REQUESTED, S.TRAVEL_DOCUMENT_ISSUED}, S.TRAVEL_DOCUMENT_ISSUED,
       "travel document issued (or renewed)"),
    _t(OF, "schedule_removal", {S.TRAVEL_DOCUMENT_ISSUED}, S.REMOVAL_SCHEDULED, "removal scheduled",
       ("final_order", *_HOLDS_FOR_REMOVAL, "travel_document_valid", "not_barred_country", "supervisor_approval")),
    _t(OF, "execute_removal", {S.REMOVAL_SCHEDULED}, S.REMOVED, "removal carried out",
       ("final_order", *_HOLDS_FOR_REMOVAL, "travel_document_valid", "not_barred_country")),
    _t(D, "removal_verified", _EXECUTION, S.REMOVED, "a verified REMOVAL_EXECUTED departure under a final order"),
    _t(D, "removal_verified", _ANY_OPEN - _EXECUTION, S.DEPARTED,
       "a verified REMOVAL_EXECUTED departure with no final order on record: recorded as a departure, not a removal"),
    _t(D, "departure_verified", _ANY_OPEN, S.DEPARTED,
       "a verified departure on one's own (under a final order, leaving executes it)"),
)  # fmt: skip


#: Officers' steps that record a final order (no feed carries these orders).
OFFICER_ORDERS = frozenset(t.name for t in TRANSITIONS if t.trigger is OF and t.target is S.FINAL_ORDER)
#: Guards that stand for a protection of the person: a step dated before the day it is recorded needs
#: them to hold on both days, so that no protection in force when it is recorded is stepped over.
PROTECTIONS = frozenset({*_HOLDS_FOR_REMOVAL, "not_barred_country", "no_protecting_filing"})


@dataclass(frozen=True)
class Step:
    """One trigger applied to a case: the move, or the refusal and its reasons."""

    day: date
    trigger: Trigger
    name: str
    before: CaseState
    after: CaseState
    applied: bool
    reasons: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    actor: str = ""
    guard_results: tuple[tuple[str, bool], ...] = ()  # each guard of an officer's step, and whether it held


@dataclass
class Pending:
    """A trigger waiting to be applied to a case."""

    day: date
    trigger: Trigger
    name: str
    sources: tuple[str, ...] = ()
    actor: str = ""
    facts: dict[str, bool] = field(default_factory=dict)  # guard name -> holds on the day


def transition(name: str, state: CaseState) -> Transition | None:
    """The transition `name` allows from `state`, if any."""
    return next((t for t in TRANSITIONS if t.name == name and state in t.sources), None)


def as_recorded(name: str, trigger: Trigger, state: CaseState) -> Transition | None:
    """A court event of a case in proceedings (an order, a hearing, a voluntary-departure grant) on a case
    whose notice to appear is not on record yet (a lead, in vetting, referred or with a notice issued):
    the court's record shows the proceedings open, so the case moves as the event's move from
    `IN_PROCEEDINGS` says. Any other event the table does not list from `state` is refused."""
    if trigger is not Trigger.COURT or state not in _BEFORE_PROCEEDINGS:
        return None
    return transition(name, S.IN_PROCEEDINGS)


def refusals(t: Transition, facts: dict[str, bool]) -> tuple[str, ...]:
    """The guards of `t` that do not hold, in words (a guard not established counts as not holding)."""
    return tuple(f"{GUARDS[g].meaning} ({GUARDS[g].source})" for g in t.guards if not facts.get(g, False))


def replay(start: CaseState, pending: Iterable[Pending]) -> list[Step]:
    """Apply triggers in order from `start`: each is applied when the table allows it from the current
    state and (for an officer) every guard holds, and a court event as recorded (`as_recorded`);
    otherwise it is recorded as refused with the reasons.
    Holds and the clock no longer matter once a case is closed (removed, departed, closed)."""
    state, steps = start, []
    for p in pending:
        if state in TERMINAL and p.trigger in (Trigger.HOLD, Trigger.CLOCK):
            continue  # a closed case is not suspended, and no clock runs for it
        if p.trigger is Trigger.HOLD:
            steps.append(Step(p.day, p.trigger, p.name, state, state, True, (), p.sources, p.actor))
            continue
        t = transition(p.name, state) or as_recorded(p.name, p.trigger, state)
        if t is None:
            reason = f"{p.name} is not a step from {state.value}"
            steps.append(Step(p.day, p.trigger, p.name, state, state, False, (reason,), p.sources, p.actor))
            continue
        officer = p.trigger is Trigger.OFFICER
        blocked = refusals(t, p.facts) if officer else ()
        results = tuple((g, p.facts.get(g, False)) for g in t.guards) if officer else ()
        after = state if blocked else t.target
        steps.append(
            Step(p.day, p.trigger, p.name, state, after, not blocked, blocked, p.sources, p.actor, results)
        )
        state = after
    return steps


def mermaid() -> str:
    """The state machine as a Mermaid state diagram, one arrow per (source, target, trigger)."""
    lines = [
        "stateDiagram-v2",
        f"    [*] --> {S.LEAD.value}",
        f"    [*] --> {S.IN_PROCEEDINGS.value}: NTA_FILED",
    ]
    seen: set[tuple[str, str, str]] = set()
    for t in TRANSITIONS:
        for source in sorted(t.sources):
            key = (source.value, t.target.value, t.name)
            if key not in seen and not (source is t.target and t.trigger is not Trigger.OFFICER):
                seen.add(key)
                lines.append(f"    {source.value} --> {t.target.value}: {t.name}")
    lines += [f"    {s.value} --> [*]" for s in sorted(TERMINAL)]
    return "\n".join(lines)
