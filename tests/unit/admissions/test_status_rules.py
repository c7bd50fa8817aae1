"""Each admission status rule of the contract on a small crafted case."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from ilos.domain.admission_rules import GracePeriod, admission_rules
from tests.unit.admissions.engine import adm, dep, ev, judge

A = "00000000001"
B = "00000000002"


def status(records: list, as_of: str = "2025-01-01", number: str = A, **kw: object) -> dict:
    return judge(records, as_of, **kw)[number]  # type: ignore[arg-type]


def test_departure_on_the_last_authorized_day_is_timely() -> None:
    row = status([adm(A, "2024-03-01", "2024-08-31"), dep("2024-08-31")])
    assert (row["status"], row["departure_date"], row["departure_evidence"]) == (
        "DEPARTED_TIMELY", "2024-08-31", "MANIFEST",
    )  # fmt: skip
    assert row["overstay_days"] is None


def test_late_departure_counts_overstay_days_to_the_departure() -> None:
    row = status([adm(A, "2024-03-01", "2024-08-31"), dep("2024-09-10")])
    assert (row["status"], row["overstay_days"]) == ("DEPARTED_OVERSTAY", 10)


def test_no_departure_past_authorized_until_is_a_suspected_overstay_counted_to_as_of() -> None:
    row = status([adm(A, "2024-03-01", "2024-08-31")], as_of="2024-09-30")
    assert (row["status"], row["overstay_days"]) == ("SUSPECTED_IN_COUNTRY_OVERSTAY", 30)
    assert status([adm(A, "2024-03-01", "2024-08-31")], as_of="2024-08-31")["status"] == "IN_STATUS"


def test_events_after_as_of_are_ignored() -> None:
    records = [adm(A, "2024-03-01", "2024-08-31"), dep("2024-09-10")]
    assert status(records, as_of="2024-09-05")["status"] == "SUSPECTED_IN_COUNTRY_OVERSTAY"
    assert status(records, as_of="2024-09-10")["status"] == "DEPARTED_OVERSTAY"
    assert A not in judge(records, "2024-02-28")  # not yet admitted


def test_a_departure_belongs_to_the_admission_it_follows_not_an_earlier_one() -> None:
    records = [adm(A, "2024-01-01", "2024-02-01"), adm(B, "2024-06-01", "2024-07-01"), dep("2024-06-20")]
    rows = judge(records, "2025-01-01")
    assert rows[A]["status"] == "SUSPECTED_IN_COUNTRY_OVERSTAY"
    assert rows[B]["status"] == "DEPARTED_TIMELY"


def test_a_departure_carrying_the_admission_number_ends_that_admission() -> None:
    records = [
        adm(A, "2024-01-01", "2024-02-01"),
        adm(B, "2024-06-01", "2024-07-01"),
        dep("2024-06-20", number=A),
    ]
    assert judge(records, "2025-01-01")[A]["status"] == "DEPARTED_OVERSTAY"


def test_a_departure_carrying_the_number_but_dated_before_the_admission_ends_nothing() -> None:
    records = [
        adm(A, "2024-01-01", "2024-02-01"),
        adm(B, "2024-06-01", "2024-07-01"),
        dep("2024-03-01", number=B),
    ]
    rows = judge(records, "2025-01-01")
    assert rows[B]["status"] == "SUSPECTED_IN_COUNTRY_OVERSTAY"
    assert (rows[A]["status"], rows[A]["departure_date"]) == ("DEPARTED_OVERSTAY", "2024-03-01")


def test_another_persons_departure_does_not_count_without_the_number() -> None:
    records = [adm(A, "2024-01-01", "2024-02-01"), dep("2024-01-20", person="P2")]
    assert status(records)["status"] == "SUSPECTED_IN_COUNTRY_OVERSTAY"


def test_a_lone_self_report_leaves_the_departure_unverified() -> None:
    row = status([adm(A, "2024-01-01", "2024-02-01"), dep("2024-03-01", "SELF_REPORTED", system="APP-SELF")])
    assert (row["status"], row["departure_evidence"], row["overstay_days"]) == (
        "DEPARTURE_UNVERIFIED", "SELF_REPORTED", 335,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        (dep("2024-03-04", "PARTNER_ENTRY", system="LANDX-CAN"), ("DEPARTED_OVERSTAY", "2024-03-01")),
        (dep("2024-03-05", "PARTNER_ENTRY", system="LANDX-CAN"), ("DEPARTED_OVERSTAY", "2024-03-05")),
        (dep("2024-02-27", "SELF_REPORTED", system="DOS-CONS"), ("DEPARTED_OVERSTAY", "2024-02-27")),
        (dep("2024-03-02", "SELF_REPORTED", system="APP-SELF"), ("DEPARTURE_UNVERIFIED", "2024-03-01")),
    ],
)
def test_a_self_report_is_verified_only_by_another_source_within_three_days(
    other: dict, expected: tuple[str, str]
) -> None:
    records = [
        adm(A, "2024-01-01", "2024-02-01"),
        dep("2024-03-01", "SELF_REPORTED", system="APP-SELF"),
        other,
    ]
    row = status(records)
    # 3 days apart corroborates (the earlier date counts); 4 days apart leaves the self-report alone (the
    # other record is a departure of its own); two self-reports of different systems corroborate each
    # other; the same source system never corroborates itself
    assert (row["status"], row["departure_date"]) == expected


def test_duration_of_status_is_open_until_the_program_ends_plus_grace() -> None:
    records = [adm(A, "2023-08-15", "D/S", klass="F1")]
    assert status(records)["status"] == "IN_STATUS"
    assert status(records)["authorized_until"] is None
    ended = [*records, ev("S1", "STUDENT_PROGRAM", "COMPLETED", "2024-05-15")]
    row = status(ended, as_of="2024-08-01")
    assert (row["authorized_until"], row["status"], row["overstay_days"]) == (
        "2024-07-14", "SUSPECTED_IN_COUNTRY_OVERSTAY", 18,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("klass", "end", "until"),
    [("F1", "WITHDRAWN", "2024-05-30"), ("J1", "COMPLETED", "2024-06-14"), ("J1", "WITHDRAWN", "2024-05-15"),
     ("F2", "TERMINATED", "2024-05-15")],
)  # fmt: skip
def test_grace_period_by_class_and_how_the_program_ended(klass: str, end: str, until: str) -> None:
    records = [adm(A, "2023-08-15", "D/S", klass=klass), ev("S1", "STUDENT_PROGRAM", end, "2024-05-15")]
    assert status(records)["authorized_until"] == until


def test_a_grace_period_change_applies_from_its_effective_date_only() -> None:
    rules = admission_rules()
    longer = GracePeriod("F", "COMPLETED", 90, date(2024, 6, 1), None, "a test regulation")
    changed = dataclasses.replace(rules, grace_periods=(*rules.grace_periods, longer))
    before = [adm(A, "2023-08-15", "D/S", klass="F1"), ev("S1", "STUDENT_PROGRAM", "COMPLETED", "2024-05-31")]
    after = [adm(A, "2023-08-15", "D/S", klass="F1"), ev("S1", "STUDENT_PROGRAM", "COMPLETED", "2024-06-01")]
    assert status(before, rules=changed)["authorized_until"] == "2024-07-30"  # 60 days: the earlier rule
    assert status(after, rules=changed)["authorized_until"] == "2024-08-30"  # 90 days


def test_an_approved_extension_moves_authorized_until() -> None:
    records = [
        adm(A, "2024-01-01", "2024-06-30"),
        ev("R1", "EXTENSION_OF_STAY", "FILED", "2024-06-01"),
        ev("R1", "EXTENSION_OF_STAY", "APPROVED", "2024-07-15", valid_until="2024-12-31"),
    ]
    assert status(records, as_of="2024-11-01")["status"] == "IN_STATUS"
    assert status(records, as_of="2024-11-01")["authorized_until"] == "2024-12-31"
    assert status(records, as_of="2024-07-01")["status"] == "PENDING_BENEFIT"


def test_a_late_filing_protects_nothing() -> None:
    records = [adm(A, "2024-01-01", "2024-06-30"), ev("R1", "EXTENSION_OF_STAY", "FILED", "2024-07-01")]
    assert status(records, as_of="2024-08-01")["status"] == "SUSPECTED_IN_COUNTRY_OVERSTAY"


def test_visa_waiver_admissions_cannot_extend_but_adjustment_always_protects() -> None:
    vwp = adm(A, "2024-01-01", "2024-03-30", klass="WB")
    extension = [vwp, ev("R1", "EXTENSION_OF_STAY", "FILED", "2024-03-01")]
    adjustment = [vwp, ev("R2", "ADJUSTMENT_OF_STATUS", "FILED", "2024-09-01")]
    assert status(extension, as_of="2024-05-01")["status"] == "SUSPECTED_IN_COUNTRY_OVERSTAY"
    assert status(adjustment, as_of="2024-10-01")["status"] == "PENDING_BENEFIT"


def test_a_denial_ends_protection_from_the_decision_date() -> None:
    records = [
        adm(A, "2024-01-01", "2024-06-30"),
        ev("R1", "CHANGE_OF_STATUS", "FILED", "2024-06-01"),
        ev("R1", "CHANGE_OF_STATUS", "DENIED", "2024-09-01"),
    ]
    row = status(records, as_of="2024-10-01")
    assert (row["authorized_until"], row["status"], row["overstay_days"]) == (
        "2024-09-01", "SUSPECTED_IN_COUNTRY_OVERSTAY", 30,
    )  # fmt: skip


def test_leaving_while_a_timely_filing_is_pending_is_timely() -> None:
    records = [
        adm(A, "2024-01-01", "2024-06-30"),
        ev("R1", "EXTENSION_OF_STAY", "FILED", "2024-06-01"),
        dep("2024-08-01"),
    ]
    assert status(records)["status"] == "DEPARTED_TIMELY"


@pytest.mark.parametrize("benefit", ["CHANGE_OF_STATUS", "ADJUSTMENT_OF_STATUS"])
def test_leaving_on_the_day_a_timely_filing_is_approved_is_timely(benefit: str) -> None:
    records = [
        adm(A, "2024-01-01", "2024-06-30"),
        ev("R1", benefit, "FILED", "2024-06-01", number=A),
        ev("R1", benefit, "APPROVED", "2024-08-01", number=A),
        dep("2024-08-01"),
    ]
    row = status(records)
    assert (row["status"], row["overstay_days"]) == ("DEPARTED_TIMELY", None)


def test_an_approved_change_of_status_before_departure_ends_the_admission() -> None:
    records = [
        adm(A, "2024-01-01", "2024-05-31", klass="H1B"),
        ev("R1", "CHANGE_OF_STATUS", "FILED", "2024-05-01", number=A),
        ev("R1", "CHANGE_OF_STATUS", "APPROVED", "2024-06-15", number=A),
        dep("2024-12-01"),
    ]
    assert status(records)["status"] == "STATUS_CHANGED"
    assert status(records, as_of="2024-06-14")["status"] == "PENDING_BENEFIT"


def test_a_filing_without_a_number_belongs_to_the_admission_in_force_on_its_date() -> None:
    records = [
        adm(A, "2024-01-01", "2024-02-01"),
        adm(B, "2024-05-01", "2024-06-30"),
        ev("R1", "ADJUSTMENT_OF_STATUS", "FILED", "2024-06-01"),
    ]
    rows = judge(records, "2024-08-01")
    assert rows[A]["status"] == "SUSPECTED_IN_COUNTRY_OVERSTAY"
    assert rows[B]["status"] == "PENDING_BENEFIT"


def test_a_denial_before_authorized_until_leaves_it_where_it_was() -> None:
    records = [
        adm(A, "2024-01-01", "2024-06-30"),
        ev("R1", "EXTENSION_OF_STAY", "FILED", "2024-03-01"),
        ev("R1", "EXTENSION_OF_STAY", "DENIED", "2024-04-01"),
    ]
    assert status(records)["authorized_until"] == "2024-06-30"


def test_an_admission_number_on_several_records_is_one_admission_from_the_smallest_record_id() -> None:
    kept = {**adm(A, "2024-01-01", "2024-12-31"), "source_record_id": "A1"}
    other = {**adm(A, "2024-01-01", "2024-02-01"), "source_record_id": "Z9"}
    alone = adm(B, "2024-01-01", "2024-02-01", person="P2")
    for records in ([kept, other, alone], [other, alone, kept]):
        rows = judge(records, "2024-06-01")
        assert sorted(rows) == [A, B]
        assert (rows[A]["authorized_until"], rows[A]["status"]) == ("2024-12-31", "IN_STATUS")
        assert rows[B]["status"] == "SUSPECTED_IN_COUNTRY_OVERSTAY"
