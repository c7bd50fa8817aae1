"""The files honour the contract: columns, rules, defects, manifest, truth coverage."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, time

import pytest

from ilos.generator.schema import FEEDS, columns, reasons

from .conftest import END, PERSONS, Run, read_csv
from .contract_check import CODES, EVENTS, parse_stamp, recorded_days, violations

END_OF_WINDOW = datetime.combine(END, time(23, 59, 59), UTC)


def _now(run: Run) -> datetime:
    return datetime.fromisoformat(str(run.manifest["now"]))


def test_ten_thousand_persons_generated(big_run: Run) -> None:
    assert big_run.summary.persons == PERSONS
    assert len(big_run.identity) == PERSONS


@pytest.mark.parametrize("feed", FEEDS)
def test_header_is_the_contract_columns(big_run: Run, feed: str) -> None:
    header = (big_run.out / f"{feed}.csv").read_bytes().decode("utf-8").split("\r\n", 1)[0]
    assert tuple(header.split(",")) == columns(feed)


def test_every_row_breaks_at_most_one_rule_and_defects_match_the_manifest(big_run: Run) -> None:
    now = _now(big_run)
    for feed in FEEDS:
        found: Counter[str] = Counter()
        for row in big_run.feed(feed):
            broken = violations(feed, row, now)
            assert len(broken) <= 1, (feed, row, broken)
            found.update(broken)
        expected = big_run.manifest["feeds"][feed]["quarantined"]  # type: ignore[index]
        assert dict(found) == expected, feed


def test_every_reason_occurs_in_arrivals_and_applicable_ones_elsewhere(big_run: Run) -> None:
    feeds = big_run.manifest["feeds"]
    assert isinstance(feeds, dict)
    assert set(feeds["arrivals"]["quarantined"]) == set(reasons("arrivals"))
    for feed in ("departures", "status_events", "court_events", "encounters", "relationships"):
        assert set(feeds[feed]["quarantined"]) == set(reasons(feed)), feed


def test_defect_rate_is_about_one_percent(big_run: Run) -> None:
    for feed in ("arrivals", "departures"):
        entry = big_run.manifest["feeds"][feed]  # type: ignore[index]
        share = sum(entry["quarantined"].values()) / entry["rows"]
        assert 0.008 <= share <= 0.015, feed


def test_no_valid_row_is_recorded_after_the_end_of_the_window(big_run: Run) -> None:
    now = _now(big_run)
    for feed, row in big_run.all_rows():
        if violations(feed, row, now):
            continue
        stamp = parse_stamp(row["recorded_at"])
        assert stamp is not None, row
        assert stamp <= END_OF_WINDOW, row
        assert max(recorded_days(stamp)) <= END, row


def test_offsets_are_mostly_utc_with_some_local(big_run: Run) -> None:
    stamps = [row["recorded_at"] for row in big_run.feed("arrivals")]
    utc = sum(s.endswith(("Z", "+00:00")) for s in stamps) / len(stamps)
    assert 0.7 < utc < 0.97
    assert any(s.endswith("-05:00") for s in stamps)


def test_manifest_counts_match_the_files(big_run: Run) -> None:
    now = _now(big_run)
    for feed in FEEDS:
        entry = big_run.manifest["feeds"][feed]  # type: ignore[index]
        seen: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
        counts: Counter[str] = Counter()
        for row in big_run.feed(feed):
            if violations(feed, row, now):
                counts["quarantined"] += 1
                continue
            key = (row["source_system"], row["source_record_id"])
            versions = seen[key]
            if not versions:
                counts["valid_new"] += 1
            elif any(v == row for v in versions):
                counts["duplicates"] += 1
            else:
                counts["corrections"] += 1
                counts["retractions"] += row["retracted"] == "true"
            versions.append(row)
        assert entry["rows"] == len(big_run.feed(feed))
        assert entry["rows"] == (
            entry["valid_new"]
            + entry["duplicates"]
            + entry["corrections"]
            + sum(entry["quarantined"].values())
        )
        for name in ("valid_new", "duplicates", "corrections", "retractions"):
            assert entry[name] == counts[name], (feed, name)


def test_redeliveries_corrections_and_retractions_occur(big_run: Run) -> None:
    entry = big_run.manifest["feeds"]["arrivals"]  # type: ignore[index]
    rows = entry["rows"]
    assert 0.003 < entry["duplicates"] / rows < 0.008
    assert 0.003 < (entry["corrections"] - entry["retractions"]) / rows < 0.008
    assert entry["retractions"] >= 5


def test_defective_rows_have_fresh_keys(big_run: Run) -> None:
    now = _now(big_run)
    for feed in FEEDS:
        valid = set()
        broken = []
        for row in big_run.feed(feed):
            key = (row["source_system"], row["source_record_id"])
            (broken.append(key) if violations(feed, row, now) else valid.add(key))
        assert not valid.intersection(broken), feed
        assert len(set(broken)) == len(broken), feed


def test_source_record_ids_are_unique_within_a_system_across_feeds(big_run: Run) -> None:
    owner: dict[tuple[str, str], str] = {}
    for feed, row in big_run.all_rows():
        key = (row["source_system"], row["source_record_id"])
        assert owner.setdefault(key, feed) == feed


def test_every_row_has_a_true_person(big_run: Run) -> None:
    for _, row in big_run.all_rows():
        assert big_run.person_of[(row["source_system"], row["source_record_id"])] in big_run.identity


def test_one_truth_row_per_admission_in_force(big_run: Run) -> None:
    now = _now(big_run)
    in_force: dict[str, dict[str, str]] = {}
    for row in big_run.feed("arrivals"):
        if not violations("arrivals", row, now):
            in_force[row["source_record_id"]] = row
    numbers = {r["admission_number"] for r in in_force.values() if r["retracted"] != "true"}
    truth = [r["admission_number"] for r in big_run.truth("admissions")]
    assert len(truth) == len(set(truth))
    assert set(truth) == numbers


def test_source_systems_per_feed(big_run: Run) -> None:
    systems = {feed: {row["source_system"] for row in big_run.feed(feed)} for feed in FEEDS}
    assert systems["arrivals"] == {"I94"}
    assert systems["departures"] == {"APIS", "CBP-BE", "LANDX-CAN", "DOS-CONS", "ICE-ERO", "APP-SELF"}
    assert systems["status_events"] == {"USCIS", "SEVIS"}
    assert systems["court_events"] == {"EOIR"}
    assert systems["encounters"] == {"ICE-EID", "CBP-E3"}
    assert {s[:5] for s in systems["criminal_dispositions"]} == {"CJIS-"}


def test_truth_csv_files_are_readable(big_run: Run) -> None:
    for name in ("persons", "admissions", "holds", "identities", "noise"):
        assert read_csv(big_run.out / "truth" / f"{name}.csv")


def test_every_code_of_the_contract_occurs(big_run: Run) -> None:
    now = _now(big_run)

    def seen(feed: str, column: str) -> set[str]:
        return {r[column] for r in big_run.feed(feed) if r[column] and not violations(feed, r, now)}

    assert seen("departures", "evidence") == CODES["evidence"]
    assert seen("arrivals", "mode") == CODES["mode"]
    assert seen("status_events", "benefit") == CODES["benefit"]
    assert seen("status_events", "event") == EVENTS["status_events"]
    assert seen("court_events", "event") == EVENTS["court_events"]
    assert seen("designations", "event") == EVENTS["designations"]
    for column in ("stage", "category"):
        assert seen("criminal_dispositions", column) == CODES[column]
    convictions = {r["category"] for r in big_run.feed("criminal_dispositions") if r["stage"] == "CONVICTION"}
    assert convictions == CODES["category"]
    for column in ("agency", "encounter_type", "outcome"):
        assert seen("encounters", column) == CODES[column]
    assert seen("relationships", "relationship") == CODES["relationship"]
    assert seen("relationships", "relative_us_citizen") == {"true", "false"}
    assert seen("criminal_dispositions", "gang_related") == {"true", "false"}
    assert {"P", "V", "B", "N", "O"} <= {r["document_type"] for _, r in big_run.all_rows()}
    assert {"A1", "G4", "F1", "J1", "M1", "WB", "WT", "B1", "B2", "H1B", "TN"} <= seen(
        "arrivals", "class_of_admission"
    )


def test_every_hold_code_occurs(big_run: Run) -> None:
    codes = {row["hold"].split(":")[0] for row in big_run.truth("holds")}
    assert codes == {
        "CITIZENSHIP_CLAIM",
        "DEPARTED",
        "PROTECTION_PENDING",
        "STAY",
        "APPEAL",
        "TPS",
        "VOLUNTARY_DEPARTURE",
        "COUNTRY_BAR",
        "DACA",
        "U_VISA_PENDING",
        "T_VISA_PENDING",
    }


def test_every_status_occurs(big_run: Run) -> None:
    assert {r["true_status"] for r in big_run.truth("admissions")} == {
        "STATUS_CHANGED",
        "DEPARTED_TIMELY",
        "DEPARTED_OVERSTAY",
        "IN_STATUS",
        "PENDING_BENEFIT",
        "DEPARTURE_UNVERIFIED",
        "SUSPECTED_IN_COUNTRY_OVERSTAY",
    }
