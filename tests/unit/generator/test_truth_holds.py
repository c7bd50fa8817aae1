"""Hand-made cases for the ground-truth legal holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from ilos.generator.truth_holds import Hold, appeal_window_end, holds_truth
from ilos.generator.world import Admission, CourtEvent, Departure, Encounter, StatusEvent

from .builders import admission, apprehension, at, court, d, departure, status


def holds(
    adms: Sequence[Admission] = (),
    deps: Sequence[Departure] = (),
    evs: Sequence[StatusEvent] = (),
    cases: Sequence[CourtEvent] = (),
    meets: Sequence[Encounter] = (),
    as_of: str = "2026-06-30",
) -> list[tuple[str, date, date | None]]:
    found = holds_truth(["P1"], adms, deps, evs, cases, meets, d(as_of), at(as_of))
    assert all(isinstance(h, Hold) and h.person == "P1" for h in found)
    return [(h.code, h.start, h.end) for h in found]


def test_appeal_window_ending_on_a_saturday_moves_to_monday() -> None:
    assert d("2025-03-01").weekday() == 5
    assert appeal_window_end(d("2025-01-30")) == d("2025-03-03")
    assert holds(cases=[court("REMOVAL_ORDERED", "2025-01-30")]) == [
        ("APPEAL", d("2025-01-30"), d("2025-03-03"))
    ]


def test_appeal_window_ending_on_a_federal_holiday_moves_to_the_next_business_day() -> None:
    assert appeal_window_end(d("2025-06-04")) == d("2025-07-07")  # 4 July 2025 is a Friday
    assert appeal_window_end(d("2021-12-01")) == d("2022-01-03")  # New Year's Day observed on 31 December
    assert appeal_window_end(d("2025-10-15")) == d("2025-11-14")  # an ordinary Friday stays


def test_every_other_order_opens_the_window_as_the_contract_states() -> None:
    for order in ("EXPEDITED_REMOVAL_ORDER", "REINSTATEMENT_ORDER", "ADMINISTRATIVE_REMOVAL_ORDER"):
        assert holds(cases=[court(order, "2025-01-30")]) == [("APPEAL", d("2025-01-30"), d("2025-03-03"))]


def test_no_appeal_window_after_in_absentia_or_a_waiver() -> None:
    assert holds(cases=[court("IN_ABSENTIA_ORDER", "2025-01-30")]) == []
    waived = [court("REMOVAL_ORDERED", "2025-01-30"), court("APPEAL_WAIVED", "2025-01-30")]
    assert holds(cases=waived) == []


def test_a_pending_appeal_holds_until_decided() -> None:
    cases = [
        court("REMOVAL_ORDERED", "2025-01-30"),
        court("APPEAL_FILED", "2025-02-10"),
        court("APPEAL_DISMISSED", "2025-09-01"),
    ]
    assert ("APPEAL", d("2025-02-10"), d("2025-09-01")) in holds(cases=cases)
    assert ("APPEAL", d("2025-02-10"), None) in holds(cases=cases[:2])


def test_motion_to_reopen_an_in_absentia_order_stays_removal() -> None:
    cases = [
        court("IN_ABSENTIA_ORDER", "2025-01-30"),
        court("MOTION_TO_REOPEN_FILED", "2025-03-01"),
        court("MOTION_TO_REOPEN_DECIDED", "2025-05-01"),
    ]
    assert holds(cases=cases) == [("STAY", d("2025-03-01"), d("2025-05-01"))]
    ordinary = [
        court("REMOVAL_ORDERED", "2025-01-30"),
        court("APPEAL_WAIVED", "2025-01-30"),
        court("MOTION_TO_REOPEN_FILED", "2025-03-01"),
    ]
    assert holds(cases=ordinary) == []


def test_stay_granted_until_lifted() -> None:
    cases = [
        court("STAY_GRANTED", "2025-03-01"),
        court("STAY_LIFTED", "2025-06-01"),
        court("STAY_GRANTED", "2025-08-01", case="C2"),
    ]
    assert holds(cases=cases) == [("STAY", d("2025-03-01"), d("2025-06-01")), ("STAY", d("2025-08-01"), None)]


def test_voluntary_departure_runs_to_its_deadline_once_the_bond_is_posted() -> None:
    cases = [
        court("VOLUNTARY_DEPARTURE_GRANTED", "2025-03-01", deadline="2025-05-30"),
        court("APPEAL_WAIVED", "2025-03-01"),
        court("VD_BOND_POSTED", "2025-03-07"),  # the 5th business day after Saturday 1 March
    ]
    assert holds(cases=cases) == [("VOLUNTARY_DEPARTURE", d("2025-03-01"), d("2025-05-30"))]


def test_voluntary_departure_without_a_bond_in_5_business_days_ends_on_the_5th() -> None:
    granted = [court("VOLUNTARY_DEPARTURE_GRANTED", "2025-06-30", deadline="2025-09-30")]
    # Monday 30 June: 1, 2, 3 July, (4 July holiday, weekend), 7, 8 July
    assert holds(cases=granted) == [("VOLUNTARY_DEPARTURE", d("2025-06-30"), d("2025-07-08"))]
    late = [*granted, court("VD_BOND_POSTED", "2025-07-09")]
    assert holds(cases=late) == [("VOLUNTARY_DEPARTURE", d("2025-06-30"), d("2025-07-08"))]


def test_voluntary_departure_at_the_end_of_proceedings_lasts_at_most_60_days() -> None:
    at_end = [
        court("VOLUNTARY_DEPARTURE_GRANTED", "2025-03-03", deadline="2025-07-01"),
        court("VD_BOND_POSTED", "2025-03-05"),
    ]
    assert holds(cases=at_end) == [("VOLUNTARY_DEPARTURE", d("2025-03-03"), d("2025-05-02"))]
    before_end = [*at_end, court("APPEAL_WAIVED", "2025-03-03")]  # up to 120 days
    assert ("VOLUNTARY_DEPARTURE", d("2025-03-03"), d("2025-07-01")) in holds(cases=before_end)


def test_a_motion_to_reopen_during_voluntary_departure_ends_it() -> None:
    cases = [
        court("VOLUNTARY_DEPARTURE_GRANTED", "2025-03-03", deadline="2025-04-30"),
        court("VD_BOND_POSTED", "2025-03-05"),
        court("MOTION_TO_REOPEN_FILED", "2025-03-20"),
    ]
    assert holds(cases=cases) == [("VOLUNTARY_DEPARTURE", d("2025-03-03"), d("2025-03-20"))]


def test_tps_validity_windows_and_initial_application() -> None:
    evs = [
        status("TPS", "FILED", "2024-01-10"),
        status("TPS", "APPROVED", "2024-06-01", valid=("2024-06-01", "2025-11-30")),
        status("TPS", "APPROVED", "2025-11-01", receipt="R2", valid=("2025-12-01", "2027-05-31")),
    ]
    assert holds(evs=evs) == [
        ("TPS", d("2024-01-10"), d("2024-06-01")),
        ("TPS", d("2024-06-01"), d("2025-11-30")),
        ("TPS", d("2025-12-01"), d("2027-05-31")),
    ]
    expired = [status("TPS", "APPROVED", "2023-01-01", valid=("2023-01-01", "2024-06-30"))]
    assert holds(evs=expired) == [("TPS", d("2023-01-01"), d("2024-06-30"))]
    assert holds(evs=evs[:1]) == [("TPS", d("2024-01-10"), None)]


def test_citizenship_claim_until_rejected_or_confirmed() -> None:
    rejected = [
        status("CITIZENSHIP", "CLAIMED", "2025-01-05"),
        status("CITIZENSHIP", "REJECTED", "2025-04-01"),
    ]
    assert holds(evs=rejected) == [("CITIZENSHIP_CLAIM", d("2025-01-05"), d("2025-04-01"))]
    confirmed = [
        status("CITIZENSHIP", "CLAIMED", "2025-01-05"),
        status("CITIZENSHIP", "CONFIRMED", "2025-04-01"),
    ]
    assert holds(evs=confirmed) == [("CITIZENSHIP_CLAIM", d("2025-01-05"), None)]
    confirmed_after_rejection = [*rejected, status("CITIZENSHIP", "CONFIRMED", "2025-06-01")]
    assert holds(evs=confirmed_after_rejection) == [
        ("CITIZENSHIP_CLAIM", d("2025-01-05"), d("2025-04-01")),
        ("CITIZENSHIP_CLAIM", d("2025-06-01"), None),
    ]


def test_protection_pending_and_country_bar() -> None:
    evs = [
        status("ASYLUM", "FILED", "2024-02-01"),
        status("WITHHOLDING", "FILED", "2024-02-01", receipt="R2"),
        status("WITHHOLDING", "APPROVED", "2025-03-01", receipt="R2", country="SYR"),
        status("CAT", "FILED", "2024-02-01", receipt="R3"),
        status("CAT", "DENIED", "2025-03-01", receipt="R3"),
    ]
    assert holds(evs=evs) == [
        ("COUNTRY_BAR:SYR", d("2025-03-01"), None),
        ("PROTECTION_PENDING", d("2024-02-01"), d("2025-03-01")),
        ("PROTECTION_PENDING", d("2024-02-01"), None),
    ]


def test_discretionary_filings_are_listed() -> None:
    evs = [
        status("DACA", "FILED", "2024-01-01"),
        status("DACA", "APPROVED", "2024-05-01", valid=("2024-05-01", "2026-04-30")),
        status("U_VISA", "FILED", "2024-02-01", receipt="R2"),
        status("T_VISA", "FILED", "2024-03-01", receipt="R3"),
        status("T_VISA", "DENIED", "2025-03-01", receipt="R3"),
    ]
    assert holds(evs=evs) == [
        ("DACA", d("2024-01-01"), d("2026-04-30")),
        ("T_VISA_PENDING", d("2024-03-01"), d("2025-03-01")),
        ("U_VISA_PENDING", d("2024-02-01"), None),
    ]


def test_departed_until_the_day_before_the_next_admission_or_entry() -> None:
    adms = [
        admission("A1", "B2", "2024-01-10", "2024-07-09"),
        admission("A2", "B2", "2024-09-01", "2025-02-28"),
    ]
    deps = [
        departure("2024-02-01"),
        departure("2024-02-02", "BIOMETRIC_EXIT", "CBP-BE"),
        departure("2024-10-01"),
    ]
    assert holds(adms, deps) == [
        ("DEPARTED", d("2024-02-01"), d("2024-08-31")),
        ("DEPARTED", d("2024-10-01"), None),
    ]
    removed = [departure("2025-03-01", "REMOVAL_EXECUTED", "ICE-ERO")]
    assert holds(deps=removed, meets=[apprehension("2025-06-01")]) == [
        ("DEPARTED", d("2025-03-01"), d("2025-05-31"))
    ]


@pytest.mark.parametrize(
    ("kind", "outcome", "back"),
    [("INTERIOR_ARREST", "DETAINED", True), ("CHECK_IN", "RELEASED_ATD", True),
     ("INADMISSIBLE", "PAROLED", True), ("INADMISSIBLE", "RETURNED", False)],
)  # fmt: skip
def test_an_encounter_inside_the_country_ends_departed(kind: str, outcome: str, back: bool) -> None:
    gone = [departure("2025-03-01")]
    met = [apprehension("2025-06-01", kind=kind, outcome=outcome, agency="ICE")]
    assert holds(deps=gone, meets=met) == [("DEPARTED", d("2025-03-01"), d("2025-05-31") if back else None)]


def test_an_unverified_self_report_is_not_a_departure() -> None:
    adms = [admission("A1", "B2", "2024-01-10", "2024-07-09")]
    assert holds(adms, [departure("2024-02-01", "SELF_REPORTED", "APP-SELF")]) == []


def test_voluntary_departure_before_the_end_of_proceedings_needs_no_bond() -> None:
    cases = [
        court("VOLUNTARY_DEPARTURE_GRANTED", "2025-03-03", deadline="2025-06-11"),
        court("APPEAL_WAIVED", "2025-03-04"),  # waived the next day: still before the end
    ]
    assert holds(cases=cases) == [("VOLUNTARY_DEPARTURE", d("2025-03-03"), d("2025-06-11"))]
