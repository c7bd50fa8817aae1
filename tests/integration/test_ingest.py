"""Ingestion through the CLI on both stores: rules, quarantine, re-delivery, corrections, retractions."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ilos.adapters.db import record_store
from tests.cli import ilos
from tests.feedfiles import arrival, write_csv


@pytest.fixture(autouse=True, params=["versions held in DuckDB", "versions looked up in the store"])
def classification_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test both ways a load can find the stored versions of its keys."""
    if request.param == "versions looked up in the store":
        monkeypatch.setattr(record_store, "LOOKUP_RATIO", 0)  # any non-empty store: look keys up


def quarantine_rows(db: str) -> list[dict[str, str]]:
    result = ilos("quarantine", "list", db=db)
    assert result.code == 0, result.err
    return list(csv.DictReader(io.StringIO(result.out)))


def records(db: str, *extra: str) -> list[dict[str, str]]:
    result = ilos("export", "records", "arrivals", *extra, db=db)
    assert result.code == 0, result.err
    return list(csv.DictReader(io.StringIO(result.out)))


DEFECTS = {
    "MISSING_REQUIRED": {"family_name": ""},
    "INVALID_CODE": {"class_of_admission": "ZZ9"},
    "INVALID_DATE": {"admitted_on": "2024-02-30"},
    "INVALID_TIMESTAMP": {"recorded_at": "2024-03-02 10:00:00"},
    "INVALID_FORMAT": {"admission_number": "1234"},
    "RECORDED_IN_FUTURE": {"recorded_at": "2099-01-01T00:00:00Z"},
    "EVENT_BEFORE_BIRTH": {"date_of_birth": "2024-06"},
    "EVENT_AFTER_RECORDED": {"admitted_on": "2024-03-05", "admit_until": "2024-04-05"},
    "ADMIT_UNTIL_BEFORE_ADMITTED": {"admit_until": "2024-02-01"},
    "VISA_WAIVER_TOO_LONG": {"class_of_admission": "WT", "admit_until": "2024-05-30"},
    "DS_NOT_ALLOWED": {"admit_until": "D/S"},
}


def test_each_rule_quarantines_its_row_and_the_rest_loads(store_url: str, tmp_path: Path) -> None:
    rows = [arrival("1"), arrival("2", class_of_admission="WT", admit_until="2024-05-29")]
    rows += [arrival(str(100 + i), **defect) for i, defect in enumerate(DEFECTS.values())]
    path = write_csv(tmp_path / "arrivals.csv", rows)

    result = ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)

    assert result.code == 0, result.err
    assert "new 2," in result.out
    assert f"quarantined {len(DEFECTS)}" in result.out
    found = {(q["source_record_id"], q["reason"]) for q in quarantine_rows(store_url)}
    assert found == {(str(100 + i), reason) for i, reason in enumerate(DEFECTS)}
    assert [r["source_record_id"] for r in records(store_url)] == ["1", "2"]


def test_a_required_value_of_blanks_of_any_kind_is_missing(store_url: str, tmp_path: Path) -> None:
    blanks = ["   ", "\t", " \t", "\u00a0", "\u3000", "\n"]
    rows = [arrival(str(i), family_name=b) for i, b in enumerate(blanks)] + [
        arrival("9", family_name="\u00a0NG")
    ]
    result = ilos(
        "ingest", "--no-resolve", "arrivals", str(write_csv(tmp_path / "a.csv", rows)), db=store_url
    )

    assert result.code == 0, result.err
    assert {(q["source_record_id"], q["reason"]) for q in quarantine_rows(store_url)} == {
        (str(i), "MISSING_REQUIRED") for i in range(len(blanks))
    }
    assert [r["source_record_id"] for r in records(store_url)] == ["9"]


def test_quarantine_keeps_file_row_and_a_sentence(store_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [arrival("1"), arrival("2", mode="BOAT")])
    ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)
    [row] = quarantine_rows(store_url)
    assert row == {
        "feed": "arrivals", "source_system": "I94", "source_record_id": "2", "file": str(path), "row": "2",
        "reason": "INVALID_CODE", "message": 'mode "BOAT" is not an allowed code',
    }  # fmt: skip


def test_redelivery_changes_nothing(store_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [arrival("1"), arrival("2"), arrival("3", mode="")])
    ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)
    before = (ilos("export", "records", "arrivals", db=store_url).out, quarantine_rows(store_url))

    again = ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)

    assert "new 0, corrected 0, retracted 0, unchanged 2, quarantined 1" in again.out
    assert (ilos("export", "records", "arrivals", db=store_url).out, quarantine_rows(store_url)) == before


def test_correction_supersedes_from_its_recorded_at_and_keeps_the_old_version(
    store_url: str, tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "a.csv", [arrival("1", admit_until="2024-08-31")])
    fixed = write_csv(
        tmp_path / "b.csv", [arrival("1", admit_until="2024-09-30", recorded_at="2024-04-01T09:00:00-04:00")]
    )
    ilos("ingest", "--no-resolve", "arrivals", str(first), db=store_url)
    result = ilos("ingest", "--no-resolve", "arrivals", str(fixed), db=store_url)

    assert "corrected 1" in result.out
    [now] = records(store_url)
    assert (now["version"], now["admit_until"], now["recorded_at_utc"]) == (
        "2",
        "2024-09-30",
        "2024-04-01T13:00:00.000000Z",
    )
    [then] = records(store_url, "--known-at", "2024-04-01T12:59:59Z")
    assert (then["version"], then["admit_until"]) == ("1", "2024-08-31")


def test_retraction_withdraws_the_record_from_its_recorded_at(store_url: str, tmp_path: Path) -> None:
    ilos(
        "ingest",
        "--no-resolve",
        "arrivals",
        str(write_csv(tmp_path / "a.csv", [arrival("1"), arrival("2")])),
        db=store_url,
    )
    retraction = arrival("2", recorded_at="2024-05-01T00:00:00Z", retracted="true")
    result = ilos(
        "ingest", "--no-resolve", "arrivals", str(write_csv(tmp_path / "r.csv", [retraction])), db=store_url
    )

    assert "retracted 1" in result.out
    assert [r["source_record_id"] for r in records(store_url)] == ["1"]
    assert [r["source_record_id"] for r in records(store_url, "--known-at", "2024-04-30")] == ["1", "2"]


def test_a_retraction_recorded_at_the_same_moment_as_the_record_withdraws_it(
    store_url: str, tmp_path: Path
) -> None:
    rows = [arrival(str(i)) for i in range(1, 7)]  # six: a tie broken by hash alone would keep some
    ilos("ingest", "--no-resolve", "arrivals", str(write_csv(tmp_path / "a.csv", rows)), db=store_url)
    withdrawn = [{**r, "retracted": "true"} for r in rows]
    result = ilos(
        "ingest", "--no-resolve", "arrivals", str(write_csv(tmp_path / "r.csv", withdrawn)), db=store_url
    )

    assert "retracted 6" in result.out
    assert records(store_url) == []


def test_result_does_not_depend_on_the_order_of_files(store_url: str, tmp_path: Path) -> None:
    original = write_csv(tmp_path / "a.csv", [arrival("1"), arrival("2")])
    later = write_csv(
        tmp_path / "b.csv", [arrival("1", admit_until="2024-07-01", recorded_at="2024-03-09T00:00:00Z")]
    )
    other = f"sqlite:///{tmp_path / 'other' / 'ilos.db'}"
    for path in (original, later):
        ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)
    for path in (later, original):
        ilos("ingest", "--no-resolve", "arrivals", str(path), db=other)

    def in_force(db: str) -> list[tuple[str, str]]:
        return [(r["source_record_id"], r["admit_until"]) for r in records(db)]

    assert in_force(store_url) == in_force(other) == [("1", "2024-07-01"), ("2", "2024-08-31")]


def test_file_without_a_required_column_loads_nothing(store_url: str, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", [arrival("1")])
    bad = write_csv(tmp_path / "bad.csv", [arrival("2")], columns=[c for c in arrival("2") if c != "mode"])

    result = ilos("ingest", "--no-resolve", "arrivals", str(good), str(bad), db=store_url)

    assert result.code == 1
    assert "missing required column(s) mode" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert records(store_url) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("a.xml", "<a/>", "unknown format"), ("a.csv", "", "no header row"), ("a.parquet", "nope", "parquet")],
)
def test_unreadable_files_exit_nonzero_with_one_line(
    store_url: str, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)
    assert result.code == 1
    assert message in result.err


def test_malformed_rows_are_quarantined_with_their_row_numbers(store_url: str, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "a.csv", [arrival("1"), arrival("2"), arrival("3")])
    lines = good.read_text().splitlines()
    lines.insert(2, "I94,broken,row")  # becomes data row 2; the rows after it move down
    good.write_text("\n".join(lines) + "\n")

    ilos("ingest", "--no-resolve", "arrivals", str(good), db=store_url)

    assert [(q["row"], q["reason"]) for q in quarantine_rows(store_url)] == [("2", "MALFORMED_ROW")]
    assert [r["source_record_id"] for r in records(store_url)] == ["1", "2", "3"]


def test_quarantine_list_is_in_byte_order_with_unparsed_rows_first(store_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [arrival("1", mode="BOAT"), arrival("2")])
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, "broken"]) + "\n")  # no source_system: an empty first cell

    ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)

    out = ilos("quarantine", "list", db=store_url).out.splitlines()[1:]
    assert [line.split(",")[1] for line in out] == ["", "I94"]
    assert out == sorted(out)


def test_same_rows_in_parquet_and_json_lines_are_redeliveries(store_url: str, tmp_path: Path) -> None:
    rows = [arrival("1"), arrival("2", given_names="")]
    ilos("ingest", "--no-resolve", "arrivals", str(write_csv(tmp_path / "a.csv", rows)), db=store_url)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "a.parquet")
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("\n".join(json.dumps({k: v for k, v in r.items() if v}) for r in rows) + "\n")

    for path in (tmp_path / "a.parquet", jsonl):
        result = ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)
        assert "new 0, corrected 0, retracted 0, unchanged 2" in result.out, result.out


def test_json_lines_reject_non_objects_and_keep_extra_keys(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({**arrival("1"), "gate": "B7"}) + "\n[1, 2]\n{not json\n")

    result = ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)

    assert "new 1" in result.out
    assert "quarantined MALFORMED_ROW: 2" in result.out
    assert json.loads(records(store_url)[0]["extra"]) == {"gate": "B7"}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_extra_columns_named_like_contract_columns_or_internal_ones_are_kept(
    store_url: str, tmp_path: Path, fmt: str
) -> None:
    """Unknown columns are kept, whatever their names: one differing from a contract column in case only
    (`Mode` beside `mode`), or named like ILOS's own row number (`_row`)."""
    rows = [{**arrival("1"), "Mode": "by boat", "_row": "77", "Family_Name": ""}]
    path = tmp_path / f"a.{fmt}"
    if fmt == "csv":
        write_csv(path, rows)
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)

    result = ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)

    assert (result.code, "new 1," in result.out) == (0, True), result.err
    [row] = records(store_url)
    assert (row["mode"], json.loads(row["extra"])) == ("AIR", {"Mode": "by boat", "_row": "77"})


def test_a_json_file_may_hold_one_array_of_objects(store_url: str, tmp_path: Path) -> None:
    """A `.json` file whose first character is `[` is one JSON array (the streaming API's body): each
    item is a row numbered by its place; a non-object item is quarantined; the rows are the same rows
    as in CSV."""
    rows = [arrival("1"), arrival("2")]
    ilos("ingest", "--no-resolve", "arrivals", str(write_csv(tmp_path / "a.csv", rows[:1])), db=store_url)
    path = tmp_path / "a.json"
    path.write_text("\n  " + json.dumps([{k: v for k, v in r.items() if v} for r in rows] + [[1]], indent=2))

    result = ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)

    assert "new 1, corrected 0, retracted 0, unchanged 1" in result.out, result.out
    assert [(q["row"], q["reason"]) for q in quarantine_rows(store_url)] == [("3", "MALFORMED_ROW")]


def test_a_json_array_file_that_does_not_parse_loads_nothing(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text("[" + json.dumps(arrival("1")) + ",")

    result = ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)

    assert result.code != 0
    assert "Malformed JSON" in result.err
    assert records(store_url) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("b.json", b"[{", "cannot be read as JSON"), ("b.jsonl", b"\xff\xfe{}\n", "cannot be read as JSON"),
     ("b.jsonl", b'{"source_system": "I94"}\n', "missing required column(s) source_record_id")],
)  # fmt: skip
def test_a_broken_json_file_after_a_good_file_loads_nothing_of_either(
    store_url: str, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    """JSON files are checked before anything loads, as CSV and Parquet are: a file is unreadable when it is
    not UTF-8, not JSON, or no object in it carries a required column."""
    good = write_csv(tmp_path / "good.csv", [arrival("1")])
    bad = tmp_path / name
    bad.write_bytes(content)

    result = ilos("ingest", "arrivals", str(good), str(bad), db=store_url)

    assert result.code == 1
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert records(store_url) == []


@pytest.mark.parametrize(("name", "content", "quarantined"), [("e.jsonl", b"", 0), ("m.jsonl", b"not json\n", 1),
                                                        ("a.json", b"[]", 0)])  # fmt: skip
def test_a_json_file_without_objects_loads_nothing_and_quarantines_its_lines(
    store_url: str, tmp_path: Path, name: str, content: bytes, quarantined: int
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    result = ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)

    assert result.code == 0, result.err
    assert len(quarantine_rows(store_url)) == quarantined
    assert records(store_url) == []


def test_a_parquet_file_naming_a_column_twice_loads_nothing(store_url: str, tmp_path: Path) -> None:
    row = arrival("1")
    names = [*row, "mode"]
    table = pa.Table.from_arrays([pa.array([row[c]]) for c in row] + [pa.array(["SEA"])], names=names)
    pq.write_table(table, tmp_path / "a.parquet")

    result = ilos("ingest", "--no-resolve", "arrivals", str(tmp_path / "a.parquet"), db=store_url)

    assert result.code == 1
    assert "a column named twice" in result.err
    assert records(store_url) == []


def test_replay_loads_quarantined_rows_that_now_pass(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ILOS_NOW", "2024-03-02T12:00:00Z")
    early = arrival("1", recorded_at="2024-03-03T08:00:00Z")  # tomorrow, as far as the clock knows
    ilos(
        "ingest",
        "arrivals",
        str(write_csv(tmp_path / "a.csv", [early, arrival("2", mode="X")])),
        db=store_url,
    )
    assert {q["reason"] for q in quarantine_rows(store_url)} == {"RECORDED_IN_FUTURE", "INVALID_CODE"}

    monkeypatch.setenv("ILOS_NOW", "2024-03-04T00:00:00Z")
    result = ilos("quarantine", "replay", db=store_url)

    assert "new 1" in result.out
    assert [r["source_record_id"] for r in records(store_url)] == ["1"]
    links = list(csv.DictReader(io.StringIO(ilos("export", "links", db=store_url).out)))
    assert [(r["source_record_id"], bool(r["person_id"])) for r in links] == [
        ("1", True)
    ]  # resolved, as after an ingest
    assert [q["reason"] for q in quarantine_rows(store_url)] == ["INVALID_CODE"]
    everything = ilos("quarantine", "list", "--all", db=store_url).out
    assert "RECORDED_IN_FUTURE" in everything  # the quarantine keeps its history


def test_quarantine_list_filters_by_feed_and_reason(store_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [arrival("1", mode="X"), arrival("2", family_name="")])
    ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)
    only = ilos("quarantine", "list", "--reason", "INVALID_CODE", db=store_url).out
    assert [r["source_record_id"] for r in csv.DictReader(io.StringIO(only))] == ["1"]
    assert ilos("quarantine", "list", "--feed", "departures", db=store_url).out.count("\n") == 1
    assert ilos("quarantine", "list", "--reason", "NOPE", db=store_url).code == 1


def test_timestamps_must_be_real_instants(store_url: str, tmp_path: Path) -> None:
    """An impossible day, hour or offset is INVALID_TIMESTAMP, not a shifted instant; more than six
    fractional digits are read to the microsecond."""
    impossible = ["2024-02-30T10:00:00Z", "2024-02-29T24:00:00Z", "2024-02-29T10:00:00+25:00",
                  "2024-02-29T10:00:00+05:99", "2024-02-29T10:60:00Z"]  # fmt: skip
    fine = ["2024-03-02T10:00:00.1234567Z", "2024-03-01T23:30:00.123456789-05:00"]
    rows = [arrival(str(i + 1), recorded_at=stamp) for i, stamp in enumerate(impossible + fine)]
    ilos("ingest", "--no-resolve", "arrivals", str(write_csv(tmp_path / "a.csv", rows)), db=store_url)

    assert {(q["source_record_id"], q["reason"]) for q in quarantine_rows(store_url)} == {
        (str(i + 1), "INVALID_TIMESTAMP") for i in range(len(impossible))
    }
    loaded = [(r["source_record_id"], r["recorded_at_utc"]) for r in records(store_url)]
    assert loaded == [("6", "2024-03-02T10:00:00.123456Z"), ("7", "2024-03-02T04:30:00.123456Z")]


def test_identical_invalid_rows_of_one_file_are_each_quarantined_once(store_url: str, tmp_path: Path) -> None:
    bad = arrival("7", mode="BOAT")
    path = write_csv(tmp_path / "a.csv", [bad, arrival("1"), bad])
    for _ in range(2):  # the second delivery adds nothing
        result = ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url)
        assert result.code == 0, result.err
    assert [(q["row"], q["reason"]) for q in quarantine_rows(store_url)] == [
        ("1", "INVALID_CODE"), ("3", "INVALID_CODE")
    ]  # fmt: skip
