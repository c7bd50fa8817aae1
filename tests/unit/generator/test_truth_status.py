"""Hand-made cases for the ground-truth admission status rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from ilos.generator.truth_status import AdmissionTruth, admission_truth, grace_days
from ilos.generator.world import Admission, Departure, StatusEvent

from .builders import admission, at, d, departure, status


def judge(
    adms: Sequence[Admission],
    deps: Sequence[Departure] = (),
    evs: Sequence[StatusEvent] = (),
    as_of: str = "2025-06-30",
    known: str | None = None,
) -> dict[str, AdmissionTruth]:
    known_at = at(known or as_of) + timedelta(hours=11, minutes=59)
    return {t.number: t for t in admission_truth(adms, deps, evs, d(as_of), known_at)}


def one(
    adms: Sequence[Admission],
    deps: Sequence[Departure] = (),
    evs: Sequence[StatusEvent] = (),
    as_of: str = "2025-06-30",
    known: str | None = None,
) -> AdmissionTruth:
    result = judge(adms, deps, evs, as_of, known)
    assert len(result) == 1
    return next(iter(result.values()))


B2 = "2024-01-10", "2024-07-09"


def test_departure_on_the_last_day_is_timely() -> None:
    t = one([admission("A1", "B2", *B2)], [departure("2024-07-09")])
    assert (t.status, t.authorized_until, t.overstay_days) == ("DEPARTED_TIMELY", d("2024-07-09"), None)


def test_departure_a_day_late_is_an_overstay() -> None:
    t = one([admission("A1", "B2", *B2)], [departure("2024-07-10")])
    assert (t.status, t.overstay_days) == ("DEPARTED_OVERSTAY", 1)


def test_no_departure_after_the_stay_is_a_suspected_in_country_overstay() -> None:
    t = one([admission("A1", "B2", *B2)], as_of="2024-08-08")
    assert (t.status, t.overstay_days) == ("SUSPECTED_IN_COUNTRY_OVERSTAY", 30)


def test_in_status_until_the_last_day() -> None:
    assert one([admission("A1", "B2", *B2)], as_of="2024-07-09").status == "IN_STATUS"


def test_open_duration_of_status_is_in_status_with_empty_authorized_until() -> None:
    t = one([admission("A1", "F1", "2024-01-10", None)])
    assert (t.status, t.authorized_until, t.overstay_days) == ("IN_STATUS", None, None)


@pytest.mark.parametrize(
    ("klass", "event", "days"),
    [
        ("F1", "COMPLETED", 60),
        ("J1", "COMPLETED", 30),
        ("F1", "WITHDRAWN", 15),
        ("J1", "WITHDRAWN", 0),
        ("F1", "TERMINATED", 0),
        ("J2", "TERMINATED", 0),
        ("F2", "COMPLETED", 60),
    ],
)
def test_duration_of_status_ends_with_the_program_plus_grace(klass: str, event: str, days: int) -> None:
    evs = [status("STUDENT_PROGRAM", event, "2025-01-15")]
    t = one([admission("A1", klass, "2024-01-10", None)], evs=evs, as_of="2025-06-30")
    assert t.authorized_until == d("2025-01-15") + timedelta(days=days)
    assert grace_days(klass, event, d("2025-01-15")) == days
    assert t.status == "SUSPECTED_IN_COUNTRY_OVERSTAY"


def test_the_latest_program_end_after_admission_counts() -> None:
    evs = [
        status("STUDENT_PROGRAM", "COMPLETED", "2023-12-01", receipt="N1"),
        status("STUDENT_PROGRAM", "COMPLETED", "2025-05-01", receipt="N2"),
        status("STUDENT_PROGRAM", "WITHDRAWN", "2025-03-01", receipt="N3"),
    ]
    t = one([admission("A1", "F1", "2024-01-10", None)], evs=evs)
    assert (t.authorized_until, t.status) == (d("2025-06-30"), "IN_STATUS")


def test_timely_extension_protects_while_pending() -> None:
    evs = [status("EXTENSION_OF_STAY", "FILED", "2024-07-01")]
    t = one([admission("A1", "B2", *B2)], evs=evs, as_of="2024-09-01")
    assert (t.status, t.overstay_days) == ("PENDING_BENEFIT", None)


def test_filing_on_a_visa_waiver_admission_protects_nothing() -> None:
    evs = [status("EXTENSION_OF_STAY", "FILED", "2024-03-01")]
    t = one([admission("A1", "WT", "2024-01-10", "2024-04-08")], evs=evs, as_of="2024-05-08")
    assert (t.status, t.overstay_days) == ("SUSPECTED_IN_COUNTRY_OVERSTAY", 30)


def test_late_extension_protects_nothing_but_late_adjustment_does() -> None:
    late = [status("EXTENSION_OF_STAY", "FILED", "2024-07-10")]
    assert (
        one([admission("A1", "B2", *B2)], evs=late, as_of="2024-09-01").status
        == "SUSPECTED_IN_COUNTRY_OVERSTAY"
    )
    adjust = [status("ADJUSTMENT_OF_STATUS", "FILED", "2024-12-01")]
    assert one([admission("A1", "B2", *B2)], evs=adjust, as_of="2025-01-01").status == "PENDING_BENEFIT"


def test_approved_extension_moves_authorized_until() -> None:
    evs = [
        status("EXTENSION_OF_STAY", "FILED", "2024-06-01"),
        status("EXTENSION_OF_STAY", "APPROVED", "2024-08-01", valid=("2024-07-10", "2025-01-09")),
    ]
    t = one([admission("A1", "B2", *B2)], [departure("2025-01-05")], evs)
    assert (t.status, t.authorized_until) == ("DEPARTED_TIMELY", d("2025-01-09"))


def test_approved_change_of_status_ends_the_admission() -> None:
    evs = [
        status("CHANGE_OF_STATUS", "FILED", "2024-06-01"),
        status("CHANGE_OF_STATUS", "APPROVED", "2024-09-01"),
    ]
    assert one([admission("A1", "B2", *B2)], evs=evs).status == "STATUS_CHANGED"
    after = [departure("2024-08-15")]
    assert one([admission("A1", "B2", *B2)], after, evs).status == "DEPARTED_TIMELY"


def test_denial_moves_authorized_until_to_the_decision_date() -> None:
    evs = [
        status("EXTENSION_OF_STAY", "FILED", "2024-07-01"),
        status("EXTENSION_OF_STAY", "DENIED", "2024-10-01"),
    ]
    on_time = one([admission("A1", "B2", *B2)], [departure("2024-10-01")], evs)
    assert (on_time.status, on_time.authorized_until) == ("DEPARTED_TIMELY", d("2024-10-01"))
    late = one([admission("A1", "B2", *B2)], [departure("2024-10-11")], evs)
    assert (late.status, late.overstay_days) == ("DEPARTED_OVERSTAY", 10)


def test_denial_of_a_late_filing_moves_nothing() -> None:
    evs = [
        status("EXTENSION_OF_STAY", "FILED", "2024-07-20"),
        status("EXTENSION_OF_STAY", "DENIED", "2024-10-01"),
    ]
    t = one([admission("A1", "B2", *B2)], [departure("2024-10-11")], evs)
    assert (t.status, t.authorized_until, t.overstay_days) == ("DEPARTED_OVERSTAY", d("2024-07-09"), 94)


def test_leaving_while_a_protecting_filing_is_pending_is_timely() -> None:
    evs = [status("EXTENSION_OF_STAY", "FILED", "2024-07-01")]
    assert one([admission("A1", "B2", *B2)], [departure("2024-08-20")], evs).status == "DEPARTED_TIMELY"


def test_uncorroborated_self_report_is_departure_unverified() -> None:
    deps = [departure("2024-07-20", "SELF_REPORTED", "APP-SELF")]
    t = one([admission("A1", "B2", *B2)], deps, as_of="2024-08-08")
    assert (t.status, t.overstay_days) == ("DEPARTURE_UNVERIFIED", 30)


def test_self_report_corroborated_within_three_days_dates_the_departure_earliest() -> None:
    deps = [
        departure("2024-07-08", "SELF_REPORTED", "APP-SELF"),
        departure("2024-07-11", "PARTNER_ENTRY", "LANDX-CAN"),
    ]
    t = one([admission("A1", "B2", *B2)], deps)
    assert (t.status, t.departure) == ("DEPARTED_TIMELY", d("2024-07-08"))


def test_corroboration_needs_another_system_and_three_days_at_most() -> None:
    same_system = [
        departure("2024-07-20", "SELF_REPORTED", "APP-SELF"),
        departure("2024-07-21", "SELF_REPORTED", "APP-SELF"),
    ]
    assert one([admission("A1", "B2", *B2)], same_system).status == "DEPARTURE_UNVERIFIED"
    too_far = [departure("2024-07-05", "SELF_REPORTED", "APP-SELF"), departure("2024-07-20")]
    t = one([admission("A1", "B2", *B2)], too_far)
    assert (t.status, t.departure, t.overstay_days) == ("DEPARTED_OVERSTAY", d("2024-07-20"), 11)


def test_departures_belong_to_the_admission_before_them_or_carrying_its_number() -> None:
    adms = [
        admission("A1", "B2", "2024-01-10", "2024-07-09"),
        admission("A2", "B2", "2024-03-01", "2024-08-31"),
    ]
    deps = [departure("2024-02-01"), departure("2024-09-05", number="A2")]
    result = judge(adms, deps, as_of="2024-12-31")
    assert result["A1"].status == "DEPARTED_TIMELY"
    assert (result["A2"].status, result["A2"].overstay_days) == ("DEPARTED_OVERSTAY", 5)


def test_filings_match_by_number_else_the_admission_in_force() -> None:
    adms = [
        admission("A1", "B2", "2024-01-10", "2024-07-09"),
        admission("A2", "B2", "2024-03-01", "2024-08-31"),
    ]
    evs = [status("EXTENSION_OF_STAY", "FILED", "2024-06-01", number="A1")]
    result = judge(adms, evs=evs, as_of="2024-10-01")
    assert result["A1"].status == "PENDING_BENEFIT"
    assert result["A2"].status == "SUSPECTED_IN_COUNTRY_OVERSTAY"
    unnumbered = [status("EXTENSION_OF_STAY", "FILED", "2024-06-01")]
    result = judge(adms, evs=unnumbered, as_of="2024-10-01")
    assert (result["A1"].status, result["A2"].status) == ("SUSPECTED_IN_COUNTRY_OVERSTAY", "PENDING_BENEFIT")


def test_records_known_later_or_retracted_do_not_count() -> None:
    late = [departure("2024-07-01", recorded="2024-09-15")]
    assert (
        one([admission("A1", "B2", *B2)], late, as_of="2024-09-01").status == "SUSPECTED_IN_COUNTRY_OVERSTAY"
    )
    assert (
        one([admission("A1", "B2", *B2)], late, as_of="2024-09-01", known="2024-09-20").status
        == "DEPARTED_TIMELY"
    )
    retracted = departure("2024-07-01")
    retracted.retracted = at("2024-07-05")
    assert (
        one([admission("A1", "B2", *B2)], [retracted], as_of="2024-09-01").status
        == "SUSPECTED_IN_COUNTRY_OVERSTAY"
    )


def test_events_after_as_of_are_ignored() -> None:
    t = one([admission("A1", "B2", *B2)], [departure("2024-07-20")], as_of="2024-07-15", known="2024-12-31")
    assert (t.status, t.overstay_days) == ("SUSPECTED_IN_COUNTRY_OVERSTAY", 6)
    assert judge([admission("A1", "B2", *B2)], as_of="2024-01-09") == {}
