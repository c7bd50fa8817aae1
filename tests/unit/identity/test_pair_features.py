"""The feature row a record gives the scoring of new signatures (`identity.pair_features`) is the SQL
features' (`features.build_features`), the reference, on every column scoring reads, for drawn records
and for every record of a generated population."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from benchmarks.identity.data import load_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilos.adapters.identity.features import INPUT_COLUMNS, build_features
from ilos.adapters.identity.pair_features import SCORED, scoring_row
from ilos.adapters.identity.workspace import register_records
from ilos.generator import generate

from .conftest import record, table
from .test_signature import _FIELDS

#: The feature columns scoring reads (`pair_features.SCORED`), `adms` apart.
READ = tuple(c for c in SCORED if c not in ("record_uid", "adms"))


def assert_same_rows(records: pa.Table) -> int:
    """Every record's Python row equals the SQL's on READ and its numbers (or it has none); how many had one."""
    con = duckdb.connect()
    try:
        register_records(con, "records", records, new=True)
        build_features(con, "records", "feat")
        # a date of year 0 (which the scorer leaves to the SQL) does not convert to Python's
        fetched = con.sql(
            "SELECT * REPLACE (CASE WHEN year(dob_date) > 0 THEN dob_date END AS dob_date) FROM feat"
        )
        sql = {r["record_uid"]: r for r in fetched.to_arrow_table().to_pylist()}
    finally:
        con.close()
    compared = 0
    for row in records.to_pylist():
        mine = scoring_row(row)
        if mine is None:
            continue
        theirs: dict[str, Any] = sql[row["record_uid"]]
        assert {c: mine[c] for c in READ} == {c: theirs[c] for c in READ}, row
        assert mine["adms"] == sorted({n for n in (theirs["adm"], theirs["receipt"]) if n is not None}), row
        compared += 1
    return compared


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries(_FIELDS), min_size=1, max_size=12))
def test_drawn_records_have_the_sql_features(drawn: list[dict[str, Any]]) -> None:
    assert_same_rows(
        table(*(record(f"departures/X/{i}", feed="departures", **values) for i, values in enumerate(drawn)))
    )


def test_every_record_of_a_generated_population_has_the_sql_features(tmp_path: Path) -> None:
    generate(persons=300, seed=17, out=tmp_path)
    records = load_records(tmp_path, duckdb.connect()).select(list(INPUT_COLUMNS))
    assert assert_same_rows(records) >= 0.99 * records.num_rows
