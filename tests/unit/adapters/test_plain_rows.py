"""Plain JSON rows checked in Python (`plain_rows`, the stream's micro-batches) give the table the SQL check
(`checking.checked_query`, the reference) gives, row for row and byte for byte: values, normalised time,
first failure and its message, content hash. Rows Python cannot check as DuckDB does are declined and
checked by the SQL."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilos.adapters.duck import sources
from ilos.adapters.duck.checking import connect
from ilos.adapters.duck.plain_rows import DeclinedError, checked_json_rows
from ilos.domain.feeds import FEEDS, Column, Feed, Kind
from ilos.domain.feeds import feed as feed_named
from ilos.generator import generate

NOW = "2025-06-01T12:00:00.000000Z"


def _rows(lines: list[str]) -> pa.Table:
    return pa.table({"_row": pa.array(range(1, len(lines) + 1), pa.int64()), "line": pa.array(lines)})


def sql_checked(feed: Feed, lines: list[str]) -> pa.Table:
    """What the SQL check makes of `lines` (the Python path switched off), sorted by row."""
    con = connect()
    try:
        source = sources.open_json_rows(con, feed, _rows(lines), "test")
        source.json_rows = None
        checked = pa.concat_tables(list(source.chunks(NOW)))
        source.finish()
        return checked.sort_by("_row")
    finally:
        con.close()


def assert_same(feed: Feed, lines: list[str]) -> pa.Table:
    mine = checked_json_rows(feed, list(range(1, len(lines) + 1)), lines, NOW)
    expected = sql_checked(feed, lines)
    assert mine.schema == expected.schema
    for name in expected.column_names:
        assert mine.column(name).to_pylist() == expected.column(name).to_pylist(), name
    return mine


_DAYS = ["1984-03-17", "2024-05-01", "2024-05-02", "2024-07-31", "2024-08-01", "2025-06-01", "2025-06-02"]
_BAD_DAYS = ["2023-02-29", "2024-02-30", "2023-04-31", "2024-13-01", "2024-00-10", "2024-1-2", "11/06/2026",
             "2024-05-01 "]  # fmt: skip
_TIMES = ["00:00", "12:00", "12:00:00", "23:59:59", "12:30:15.5", "12:30:15.123456789", "11:59:59.9999999"]
_BAD_TIMES = ["24:00", "12:60", "7:05", "12:00:60"]
_OFFSETS = ["Z", "+05", "+0530", "+05:30", "-23:59", "-08:00", "+00:00"]
_BAD_OFFSETS = ["+24:00", "", "z", "+5"]
_TEXT = st.text("aZé ñ\u00a0\u2003\t\u200b\ufeff'-محمد李\"\\/", max_size=50)


def _mostly(valid: list[str], invalid: list[str]) -> st.SearchStrategy[str]:
    """A valid value nine times in ten (so that later checks are reached), else an invalid one."""
    return st.integers(0, 9).flatmap(lambda i: st.sampled_from(invalid if i == 0 else valid))


@st.composite
def _timestamp(draw: st.DrawFn) -> str:
    day = draw(_mostly(_DAYS, _BAD_DAYS[:4]))
    time = draw(_mostly(_TIMES, _BAD_TIMES))
    return f"{day}{draw(_mostly(['T', ' '], ['t']))}{time}{draw(_mostly(_OFFSETS, _BAD_OFFSETS))}"


def _value(col: Column) -> st.SearchStrategy[str | None]:
    """Values of a column's kind, well formed mostly, badly formed, blank or null sometimes."""
    codes = sorted(col.codes) or ["X"]  # (a column of another kind has none)
    kind: dict[Kind, st.SearchStrategy[str]] = {
        Kind.TEXT: _TEXT,
        Kind.CODE: _mostly(codes[:6], ["zz", codes[0].lower(), "Ñ" * 45]),
        Kind.DATE: _mostly(_DAYS, _BAD_DAYS),
        Kind.BIRTH_DATE: _mostly([*_DAYS[:3], "1984", "1984-03", "2025-06", "2025"], ["1984-3", "19845", *_BAD_DAYS]),
        Kind.STAY_END: _mostly([*_DAYS, "D/S"], ["d/s", *_BAD_DAYS[:2]]),
        Kind.TIMESTAMP: _timestamp(),
        Kind.BOOLEAN: _mostly(["true", "FALSE", "True", "false"], ["yes", "1"]),
        Kind.INTEGER: _mostly(["12", "-3", "+4"], ["1.5", "x1"]),
        Kind.PATTERN: _mostly(["A1234567", "A123456789", "JFK", "12345678901", "1234567890A"],
                              ["A12345", "a1234567", "jfk", "JFKX", "A1234567\n", "123"]),
    }  # fmt: skip
    blank = st.sampled_from([None, "", " ", "\u00a0\t", "\u200b"])
    return st.integers(0, 11).flatmap(lambda i: blank if i == 0 else kind[col.kind])


@st.composite
def _lines(draw: st.DrawFn, feed: Feed) -> list[str]:
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        row = {c.name: draw(_value(c)) for c in feed.columns if draw(st.integers(0, 9)) or c.required}
        rows.append(json.dumps(row, ensure_ascii=draw(st.booleans())))
    return rows


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_drawn_rows_are_checked_as_the_sql_checks_them(data: st.DataObject) -> None:
    feed = feed_named(data.draw(st.sampled_from(sorted(FEEDS))))
    lines = data.draw(_lines(feed))
    try:
        assert_same(feed, lines)
    except DeclinedError:  # only for what the module says it declines: here, a year 0000 cannot be drawn
        pytest.fail("a drawn batch was declined")


def test_every_failure_of_a_generated_world_is_found_as_the_sql_finds_it(tmp_path: Path) -> None:
    generate(persons=400, seed=5, out=tmp_path)
    failures = 0
    for name in FEEDS:
        feed = feed_named(name)
        with (tmp_path / f"{name}.csv").open(newline="") as fh:
            lines = [
                json.dumps({k: v for k, v in row.items() if k in feed.column_names})
                for row in csv.DictReader(fh)
            ]
        checked = assert_same(feed, lines)
        failures += checked.num_rows - checked.column("_fail").null_count
    assert failures >= 20  # the generator's defects: every reason the feeds' rules give, or most


ARRIVAL = {
    "source_system": "I94", "source_record_id": "1", "recorded_at": "2025-06-01T12:00:00Z", "family_name": "DOE",
    "date_of_birth": "1984-03-17", "admission_number": "12345678901", "class_of_admission": "B2",
    "port_of_entry": "JFK", "mode": "AIR", "admitted_on": "2025-03-01", "admit_until": "2025-08-31",
}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, None),
        ({"recorded_at": "2025-06-01T12:00:00.000000Z"}, None),  # recorded exactly now
        ({"recorded_at": "2025-06-01T12:00:00.000001Z"}, "RECORDED_IN_FUTURE"),
        ({"recorded_at": "2025-06-01T17:29:59.9999999+05:30"}, None),  # truncated, not rounded
        ({"recorded_at": "2025-06-01T17:30:00+0530"}, None),
        ({"recorded_at": "2025-06-01T17:30:01+05"}, "RECORDED_IN_FUTURE"),
        ({"admitted_on": "2025-06-01"}, None),  # the day it was recorded
        ({"admitted_on": "2025-06-02", "recorded_at": "2025-06-01T01:00:00+00:00"}, "EVENT_AFTER_RECORDED"),
        ({"admitted_on": "1984-03-17"}, None),  # the day of birth
        ({"admitted_on": "1984-03-16", "date_of_birth": "1984-03"}, None),
        ({"admitted_on": "1983-12-31", "date_of_birth": "1984"}, "EVENT_BEFORE_BIRTH"),
        ({"class_of_admission": "WB", "admit_until": "2025-05-29"}, None),  # 89 days
        ({"class_of_admission": "WB", "admit_until": "2025-05-30"}, "VISA_WAIVER_TOO_LONG"),
        ({"admit_until": "2025-02-28"}, "ADMIT_UNTIL_BEFORE_ADMITTED"),
        ({"admit_until": "D/S", "class_of_admission": "F1"}, None),
        ({"admit_until": "D/S"}, "DS_NOT_ALLOWED"),
        ({"family_name": "\u00a0\u2003"}, "MISSING_REQUIRED"),
        ({"port_of_entry": "JFK\n"}, "INVALID_FORMAT"),
        ({"date_of_birth": "2024-02-30"}, "INVALID_DATE"),
    ],
)
def test_the_edges_of_each_rule_are_where_the_sql_puts_them(
    change: dict[str, str], reason: str | None
) -> None:
    checked = assert_same(feed_named("arrivals"), [json.dumps({**ARRIVAL, **change})])
    failure = checked.column("_fail").to_pylist()[0]
    assert (failure or {}).get("reason") == reason


@pytest.mark.parametrize(
    "line",
    [
        '{"source_system": "APIS", "source_system": "X"}',  # a key twice (DuckDB reads the first)
        '{"source_system": "APIS", "Port": "JFK"}',  # a key not in the contract
        '{"source_system": 7}',  # a value that is not a string
        '{"source_system": ["APIS"]}',
        '["APIS"]',  # not an object
        "not json",
        '{"source_system": "A\\u0000B"}',  # a NUL
        '{"source_system": "\\ud800"}',  # an unpaired surrogate
        '{"source_system": "APIS", "recorded_at": "0000-01-01T00:00Z"}',  # a year Python's dates do not hold
    ],
)
def test_a_row_python_cannot_check_as_duckdb_does_is_declined_and_left_to_the_sql(line: str) -> None:
    feed = feed_named("departures")
    good = json.dumps({"source_system": "APIS", "source_record_id": "1"})
    with pytest.raises(DeclinedError):
        checked_json_rows(feed, [1, 2], [good, line], NOW)
    con = connect()
    try:
        source = sources.open_json_rows(con, feed, _rows([good, line]), "test")
        try:
            checked = pa.concat_tables(list(source.chunks(NOW)))
        except duckdb.Error:  # the SQL's own answer to a lone surrogate: an error, as before
            return
        malformed = source.finish().malformed
        assert checked.num_rows + malformed.num_rows == 2
    finally:
        con.close()


def test_a_source_of_plain_rows_checks_them_in_python_and_finds_none_malformed() -> None:
    feed = feed_named("departures")
    lines = [
        json.dumps({"source_system": "APIS", "source_record_id": str(i), "recorded_at": "x"})
        for i in range(3)
    ]
    con = connect()
    try:
        source = sources.open_json_rows(con, feed, _rows(lines), "test")
        checked = pa.concat_tables(list(source.chunks(NOW)))
        assert source.finish_query is None  # the Python path: the SQL would look for malformed lines
        assert source.finish().malformed.num_rows == 0
        assert checked.equals(sql_checked(feed, lines))
    finally:
        con.close()


@pytest.mark.parametrize(("rows", "in_python"), [(2, True), (3, False)])
def test_more_rows_than_python_checks_faster_are_checked_by_the_sql(
    monkeypatch: pytest.MonkeyPatch, rows: int, in_python: bool
) -> None:
    monkeypatch.setattr(sources, "PLAIN_ROWS_MAX", 2)
    feed = feed_named("departures")
    lines = [json.dumps({"source_system": "APIS", "source_record_id": str(i)}) for i in range(rows)]
    con = connect()
    try:
        source = sources.open_json_rows(con, feed, _rows(lines), "test")
        checked = pa.concat_tables(list(source.chunks(NOW)))
        assert (source.finish_query is None) is in_python
        assert checked.sort_by("_row").equals(sql_checked(feed, lines))
    finally:
        con.close()
