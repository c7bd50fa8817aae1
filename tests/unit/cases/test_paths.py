"""Each path of the case lifecycle, step by step through the transition table, and each guard refusing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ilos.domain.cases import GUARDS, TRANSITIONS, CaseState, Pending, Step, Trigger, replay

S = CaseState
OK = dict.fromkeys(GUARDS, True)
EXECUTION = ["request_travel_document", "issue_travel_document", "schedule_removal", "execute_removal"]

PATHS: dict[str, tuple[list[str], list[CaseState]]] = {
    "vetted and closed": (["vet", "close"], [S.VETTING, S.CLOSED]),
    "referred, charged, ordered, appeal dismissed, removed": (
        ["vet", "refer", "issue_nta", "NTA_FILED", "HEARING_SCHEDULED", "REMOVAL_ORDERED", "APPEAL_FILED",
         "APPEAL_DISMISSED", *EXECUTION],
        [S.VETTING, S.REFERRED, S.NTA_ISSUED, S.IN_PROCEEDINGS, S.IN_PROCEEDINGS, S.ORDERED, S.ON_APPEAL,
         S.FINAL_ORDER, S.TRAVEL_DOCUMENT_REQUESTED, S.TRAVEL_DOCUMENT_ISSUED, S.REMOVAL_SCHEDULED, S.REMOVED],
    ),
    "order final when the appeal window closes": (
        ["NTA_FILED", "REMOVAL_ORDERED", "appeal_window_closed"], [S.IN_PROCEEDINGS, S.ORDERED, S.FINAL_ORDER]
    ),
    "order final when the appeal is waived": (
        ["NTA_FILED", "REMOVAL_ORDERED", "APPEAL_WAIVED"], [S.IN_PROCEEDINGS, S.ORDERED, S.FINAL_ORDER]
    ),
    "appeal sustained: back in proceedings": (
        ["NTA_FILED", "REMOVAL_ORDERED", "APPEAL_FILED", "APPEAL_SUSTAINED"],
        [S.IN_PROCEEDINGS, S.ORDERED, S.ON_APPEAL, S.IN_PROCEEDINGS],
    ),
    "in absentia: final at once, leaving executes it": (
        ["NTA_FILED", "IN_ABSENTIA_ORDER", "departure_verified"], [S.IN_PROCEEDINGS, S.FINAL_ORDER, S.DEPARTED]
    ),
    "voluntary departure kept": (
        ["NTA_FILED", "VOLUNTARY_DEPARTURE_GRANTED", "APPEAL_WAIVED", "VD_BOND_POSTED", "departure_verified"],
        [S.IN_PROCEEDINGS, S.VOLUNTARY_DEPARTURE, S.VOLUNTARY_DEPARTURE, S.VOLUNTARY_DEPARTURE, S.DEPARTED],
    ),
    "voluntary departure ended: the alternate order is final": (
        ["NTA_FILED", "VOLUNTARY_DEPARTURE_GRANTED", "voluntary_departure_ended"],
        [S.IN_PROCEEDINGS, S.VOLUNTARY_DEPARTURE, S.FINAL_ORDER],
    ),
    "relief granted": (["NTA_FILED", "RELIEF_GRANTED"], [S.IN_PROCEEDINGS, S.CLOSED]),
    "terminated": (["NTA_FILED", "TERMINATED"], [S.IN_PROCEEDINGS, S.CLOSED]),
    "expedited removal: final when the contract's appeal window closes, carried out and verified": (
        ["EXPEDITED_REMOVAL_ORDER", "appeal_window_closed", "request_travel_document", "removal_verified"],
        [S.ORDERED, S.FINAL_ORDER, S.TRAVEL_DOCUMENT_REQUESTED, S.REMOVED],
    ),
    "reinstatement of a prior order, its appeal waived": (
        ["vet", "REINSTATEMENT_ORDER", "APPEAL_WAIVED"], [S.VETTING, S.ORDERED, S.FINAL_ORDER]
    ),
    "administrative removal, appealed": (["ADMINISTRATIVE_REMOVAL_ORDER", "APPEAL_FILED"], [S.ORDERED, S.ON_APPEAL]),
    "visa-waiver removal ordered by an officer, carried out": (
        ["vet", "order_visa_waiver_removal", *EXECUTION],
        [S.VETTING, S.FINAL_ORDER, S.TRAVEL_DOCUMENT_REQUESTED, S.TRAVEL_DOCUMENT_ISSUED, S.REMOVAL_SCHEDULED,
         S.REMOVED],
    ),
    "stipulated removal order recorded": (["NTA_FILED", "record_stipulated_order"], [S.IN_PROCEEDINGS, S.FINAL_ORDER]),
    "a verified removal with no final order is a departure": (["NTA_FILED", "removal_verified"],
                                                              [S.IN_PROCEEDINGS, S.DEPARTED]),
}  # fmt: skip


def trigger_of(name: str) -> Trigger:
    return next(t.trigger for t in TRANSITIONS if t.name == name)


def walk(names: list[str], facts: dict[str, bool] | None = None, start: CaseState = S.LEAD) -> list[Step]:
    day = date(2025, 1, 6)
    return replay(start, [Pending(day + timedelta(days=i), trigger_of(n), n, facts=facts or OK)
                          for i, n in enumerate(names)])  # fmt: skip


@pytest.mark.parametrize("path", sorted(PATHS))
def test_each_path_reaches_its_states(path: str) -> None:
    names, states = PATHS[path]
    steps = walk(names)
    assert [s.after for s in steps] == states
    assert all(s.applied for s in steps)


GUARDED = sorted({(t.name, g, min(t.sources)) for t in TRANSITIONS for g in t.guards})


@pytest.mark.parametrize(("step", "guard", "start"), GUARDED)
def test_each_guard_alone_refuses_its_step_with_its_reason_and_source(
    step: str, guard: str, start: CaseState
) -> None:
    refused = walk([step], {**OK, guard: False}, start)[0]
    assert not refused.applied
    assert refused.after is start
    assert refused.reasons == (f"{GUARDS[guard].meaning} ({GUARDS[guard].source})",)
    assert dict(refused.guard_results)[guard] is False
    assert walk([step], OK, start)[0].applied
