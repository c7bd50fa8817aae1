"""The case transition table: random sequences of triggers never reach a removal the law does not allow."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ilos.domain.cases import (
    GUARDS,
    TERMINAL,
    TRANSITIONS,
    CaseState,
    Pending,
    Trigger,
    as_recorded,
    replay,
    transition,
)

NAMES = sorted({t.name for t in TRANSITIONS})
REMOVAL_GUARDS = ("final_order", "no_stay", "no_appeal_window", "no_protection_pending", "no_tps",
                  "no_voluntary_departure", "no_citizenship_claim", "travel_document_valid", "not_barred_country")  # fmt: skip


def trigger_of(name: str) -> Trigger:
    return next(t.trigger for t in TRANSITIONS if t.name == name)


pendings = st.lists(
    st.tuples(st.sampled_from(NAMES), st.fixed_dictionaries({g: st.booleans() for g in GUARDS})),
    max_size=25,
)


@settings(max_examples=400, deadline=None)
@given(pendings)
def test_no_case_is_removed_or_moved_by_an_officer_unless_the_law_allows(
    seq: list[tuple[str, dict[str, bool]]],
) -> None:
    day = date(2025, 1, 1)
    pending = [Pending(day + timedelta(days=i), trigger_of(n), n, facts=f) for i, (n, f) in enumerate(seq)]
    steps = replay(CaseState.LEAD, pending)
    closed_at = next((i for i, s in enumerate(steps) if s.after in TERMINAL), len(steps))
    assert [s.name for s in steps[: closed_at + 1]] == [p.name for p in pending[: closed_at + 1]]  # none lost
    for step in steps:
        t = transition(step.name, step.before)
        if t is None and step.applied:  # a court event is the court's decision: applied as recorded
            assert step.trigger is Trigger.COURT
            assert step.before in {
                CaseState.LEAD,
                CaseState.VETTING,
                CaseState.REFERRED,
                CaseState.NTA_ISSUED,
            }
            t = as_recorded(step.name, step.trigger, step.before)
        held = dict(step.guard_results)
        if not step.applied:
            assert step.after is step.before
            assert step.reasons
            continue
        assert t is not None
        assert step.after is t.target
        if step.trigger is Trigger.OFFICER:  # an officer moves a case only when every guard holds
            assert set(held) == set(t.guards)
            assert all(held.values())
            if "supervisor_approval" in t.guards:
                assert held["supervisor_approval"]
        if step.after is CaseState.REMOVED:  # removed: by an officer under every removal guard, or a
            assert step.before in {CaseState.REMOVAL_SCHEDULED, CaseState.FINAL_ORDER,  # verified removal
                                   CaseState.TRAVEL_DOCUMENT_REQUESTED, CaseState.TRAVEL_DOCUMENT_ISSUED}  # fmt: skip
            if step.trigger is Trigger.OFFICER:
                assert all(held[g] for g in REMOVAL_GUARDS)


def test_removal_needs_every_guard_and_says_which_failed() -> None:
    day = date(2025, 3, 1)
    ok = dict.fromkeys(GUARDS, True)
    path = ["NTA_FILED", "IN_ABSENTIA_ORDER", "request_travel_document", "issue_travel_document"]
    pending = [Pending(day, trigger_of(n), n, facts=ok) for n in path]
    stay = {**ok, "no_stay": False, "supervisor_approval": False}
    pending.append(Pending(day, Trigger.OFFICER, "schedule_removal", facts=stay))
    steps = replay(CaseState.LEAD, pending)
    assert steps[-1].after is CaseState.TRAVEL_DOCUMENT_ISSUED
    assert not steps[-1].applied
    assert any("no stay of removal" in r and "8 CFR 1003.23" in r for r in steps[-1].reasons)
    assert any("supervisor" in r for r in steps[-1].reasons)
    pending[-1] = Pending(day, Trigger.OFFICER, "schedule_removal", facts=ok)
    pending.append(Pending(day, Trigger.OFFICER, "execute_removal", facts=ok))
    assert replay(CaseState.LEAD, pending)[-1].after is CaseState.REMOVED


def test_a_verified_removal_without_a_final_order_is_recorded_as_a_departure() -> None:
    day = date(2025, 3, 1)
    steps = replay(CaseState.LEAD, [Pending(day, Trigger.COURT, "NTA_FILED"),
                                    Pending(day, Trigger.DEPARTURE, "removal_verified")])  # fmt: skip
    assert steps[-1].after is CaseState.DEPARTED


def test_a_closed_case_ignores_holds_and_the_clock_but_shows_later_court_events() -> None:
    day = date(2025, 3, 1)
    steps = replay(CaseState.LEAD, [
        Pending(day, Trigger.COURT, "NTA_FILED"), Pending(day, Trigger.COURT, "TERMINATED"),
        Pending(day, Trigger.HOLD, "suspended:STAY"), Pending(day, Trigger.CLOCK, "appeal_window_closed"),
        Pending(day, Trigger.COURT, "REMOVAL_ORDERED"),
    ])  # fmt: skip
    assert [s.name for s in steps] == ["NTA_FILED", "TERMINATED", "REMOVAL_ORDERED"]
    assert steps[-1].before in TERMINAL
    assert not steps[-1].applied


def test_a_court_event_moves_a_case_as_recorded_even_from_an_unusual_state() -> None:
    """A case whose notice to appear is not on file (only its order came in): the order is the court's
    decision, so the case moves; the clock then runs as for any order. A closed case stays closed."""
    day = date(2026, 3, 1)
    steps = replay(CaseState.LEAD, [Pending(day, Trigger.COURT, "REMOVAL_ORDERED"),
                                    Pending(day + timedelta(days=31), Trigger.CLOCK, "appeal_window_closed")])  # fmt: skip
    assert [(s.before, s.after, s.applied) for s in steps] == [
        (CaseState.LEAD, CaseState.ORDERED, True), (CaseState.ORDERED, CaseState.FINAL_ORDER, True),
    ]  # fmt: skip
    assert (
        replay(CaseState.LEAD, [Pending(day, Trigger.COURT, "IN_ABSENTIA_ORDER")])[0].after
        is CaseState.FINAL_ORDER
    )
    closed = replay(CaseState.CLOSED, [Pending(day, Trigger.COURT, "REMOVAL_ORDERED")])
    assert [(s.after, s.applied) for s in closed] == [(CaseState.CLOSED, False)]
    # only before proceedings are on record: a final order does not go back on a hearing, and a waiver
    # with no order moves nothing
    assert not replay(CaseState.FINAL_ORDER, [Pending(day, Trigger.COURT, "HEARING_SCHEDULED")])[0].applied
    assert not replay(CaseState.LEAD, [Pending(day, Trigger.COURT, "APPEAL_WAIVED")])[0].applied
