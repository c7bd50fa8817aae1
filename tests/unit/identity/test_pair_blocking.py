"""Whether a blocking rule pairs two signatures, in plain Python (`identity.pair_blocking`), is what the
SQL blocking (`scoring.block`) says: on every pair of drawn records' signatures, and on a generated
population, every pair it blocks and every pair of signatures sharing a surname skeleton, a birth date or
a document's country that it does not."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from benchmarks.identity.data import load_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilos.adapters.identity import scoring
from ilos.adapters.identity.comparisons import blocking_rules
from ilos.adapters.identity.features import INPUT_COLUMNS
from ilos.adapters.identity.pair_blocking import blocked
from ilos.adapters.identity.workspace import register_records, workspace
from ilos.generator import generate

from .conftest import record, table
from .test_pair_weights import _FIELDS, _NAMESAKES

#: The columns `pair_blocking` reads.
READ = ["record_uid", "adms", "thin_incident", "doc_keys", "doc_num", "a9", "dob", "cit", "sex_code", "fam_skel",
        "giv_skel", "fam_first_skel", "first_lo", "first_hi", "dob_year", "dob_m", "dob_d"]  # fmt: skip


def sql_blocked(records: pa.Table) -> tuple[list[dict[str, Any]], set[tuple[str, str]]]:
    """The records' signature rows and the pairs of them (by representative, in order) the SQL blocks."""
    con = duckdb.connect()
    try:
        with workspace(con) as cur:
            register_records(cur, "records", records, new=False)
            feat = scoring.prepare(cur, "records")
            nfeat = scoring._with_ids(cur, feat, {}, sorted({*READ, "is_new"}))
            pairs = scoring.block(cur, nfeat, blocking_rules())
            rows = (
                cur.sql(f"SELECT nid, {', '.join(READ)} FROM {nfeat} ORDER BY nid")
                .to_arrow_table()
                .to_pylist()
            )
            uid = {r["nid"]: r["record_uid"] for r in rows}
            found = {(uid[a], uid[b]) for a, b in cur.sql(f"SELECT a, b FROM {pairs}").fetchall()}
    finally:
        con.close()
    return rows, found


def _assert_every_pair_blocked_as_the_sql(drawn: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """The pairs Python blocks among the drawn records' signatures, checked to be those the SQL blocks."""
    records = table(
        *(record(f"departures/X/{i}", feed="departures", **values) for i, values in enumerate(drawn))
    )
    rows, found = sql_blocked(records)
    mine = {
        (left["record_uid"], right["record_uid"])
        for left, right in combinations(rows, 2)
        if blocked(left, right)
    }
    assert mine == found
    return mine


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries(_FIELDS), min_size=2, max_size=8))
def test_drawn_pairs_are_blocked_as_the_sql_blocks_them(drawn: list[dict[str, Any]]) -> None:
    _assert_every_pair_blocked_as_the_sql(drawn)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.fixed_dictionaries({**_NAMESAKES, "date_of_birth": _FIELDS["date_of_birth"]}),
        min_size=2,
        max_size=8,
    )
)
def test_drawn_namesakes_are_blocked_as_the_sql_blocks_them(drawn: list[dict[str, Any]]) -> None:
    _assert_every_pair_blocked_as_the_sql(drawn)


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    folder = tmp_path_factory.mktemp("blocking")
    generate(persons=400, seed=19, out=folder)
    return load_records(folder, duckdb.connect()).select(list(INPUT_COLUMNS))


def test_a_populations_pairs_are_blocked_as_the_sql_blocks_them(population: pa.Table) -> None:
    rows, found = sql_blocked(population)
    by_uid = {r["record_uid"]: r for r in rows}
    assert len(found) > 20_000
    assert [pair for pair in found if not blocked(by_uid[pair[0]], by_uid[pair[1]])] == []
    near: set[tuple[str, str]] = set()
    for column in ("fam_skel", "dob", "cit"):
        groups: dict[Any, list[str]] = defaultdict(list)
        for row in rows:
            if row[column] is not None:
                groups[row[column]].append(row["record_uid"])
        near |= {
            pair for uids in groups.values() if len(uids) <= 400 for pair in combinations(sorted(uids), 2)
        }
    apart = near - found
    assert len(apart) > 50_000
    assert [pair for pair in apart if blocked(by_uid[pair[0]], by_uid[pair[1]])] == []


@pytest.mark.parametrize("placeholder_first", [True, False])
def test_a_1_january_placeholder_pairs_namesakes_born_the_same_year(placeholder_first: bool) -> None:
    """Only `_DOB_NEAR`'s placeholder clause pairs these two (another given name, month and day), whichever
    of them sorts first."""
    dates = ["1984-01-01", "1984-03-17"] if placeholder_first else ["1984-03-17", "1984-01-01"]
    drawn = [{"family_name": "Kowalczyk", "given_names": given, "date_of_birth": born, "citizenship": "POL",
              "document_number": None, "sex": None} for given, born in zip(("Anna", "Bartosz"), dates, strict=True)]  # fmt: skip
    assert len(_assert_every_pair_blocked_as_the_sql(drawn)) == 1
