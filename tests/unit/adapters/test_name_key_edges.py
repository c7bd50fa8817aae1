"""The trips' name-key edges a long-lived process updates from the ones it kept are those of every keyed
row joined to the link state: through records changed, added or gone, links changed, and keys that become
name-only or stop being so."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilos.adapters import kept_tables
from ilos.adapters.duck.incremental import NAME_KEY_EDGES, TripKeys, _name_key_edges

RECORDS = [f"r{i}" for i in range(6)]
#: A record's key rows: (key, whether a name-only row); a record may have none, and a key may be a
#: name-only key of one record and a presence key of another.
ROWS = st.lists(st.tuples(st.sampled_from(["k1", "k2", "k3"]), st.booleans()), max_size=3, unique=True)
#: A record's component in the link state, or no link (a record the state does not hold).
LINK = st.one_of(st.none(), st.sampled_from(["c1", "c2", "c3"]))
WORLD = st.tuples(st.lists(ROWS, min_size=len(RECORDS), max_size=len(RECORDS)),
                  st.lists(LINK, min_size=len(RECORDS), max_size=len(RECORDS)))  # fmt: skip


def _keys(rows: list[list[tuple[str, bool]]]) -> TripKeys:
    """Trip keys of the records: `trips` and `spelled` hold each record's rows (split between them),
    sorted by record uid."""
    found = [(uid, key, "name_only" if named else "presence")
             for uid, own in zip(RECORDS, rows, strict=True) for key, named in own]  # fmt: skip
    table = pa.table({name: pa.array([r[i] for r in found], pa.string())
                      for i, name in enumerate(["record_uid", "key", "kind"])})  # fmt: skip
    trips, spelled = table.slice(0, table.num_rows // 2), table.slice(table.num_rows // 2)
    named = table.filter(pa.compute.equal(table.column("kind"), "name_only"))
    return TripKeys(table.slice(0, 0), trips.sort_by("record_uid"), spelled.sort_by("record_uid"), named)


def _state(links: list[str | None]) -> pa.Table:
    linked = [(uid, c) for uid, c in zip(RECORDS, links, strict=True) if c is not None]
    return pa.table({"record_uid": pa.array([u for u, _ in linked], pa.string()),
                     "component": pa.array([c for _, c in linked], pa.string())})  # fmt: skip


def _edges(cur: duckdb.DuckDBPyConnection, keys: TripKeys, state: pa.Table) -> pa.Table:
    cur.register("trip_keys", keys.nodes())
    cur.register("name_only_keys", keys.name_only)
    cur.register("state", state)
    return cur.sql(NAME_KEY_EDGES).to_arrow_table()


def _rows(table: pa.Table) -> list[tuple[object, ...]]:
    return sorted(tuple(row.values()) for row in table.to_pylist())


@pytest.mark.parametrize("share", [0, kept_tables.SEARCH_SHARE])
@settings(max_examples=150, deadline=None)
@given(before=WORLD, after=WORLD)
def test_edges_updated_from_the_kept_ones_are_those_found_again(
    share: int,
    before: tuple[list[list[tuple[str, bool]]], list[str | None]],
    after: tuple[list[list[tuple[str, bool]]], list[str | None]],
) -> None:
    """A record whose rows differ is `gone` (changed, new or retracted: a batch's records); one whose link
    differs is relinked (a run's); the rest are the same in both. The rows are found by binary search
    (`share` 0) and by testing every row."""
    kept_share, kept_tables.SEARCH_SHARE = kept_tables.SEARCH_SHARE, share
    try:
        _check(before, after)
    finally:
        kept_tables.SEARCH_SHARE = kept_share


def _check(
    before: tuple[list[list[tuple[str, bool]]], list[str | None]],
    after: tuple[list[list[tuple[str, bool]]], list[str | None]],
) -> None:
    cur = duckdb.connect().cursor()
    old_keys, new_keys = _keys(before[0]), _keys(after[0])
    old_state, new_state = _state(before[1]), _state(after[1])
    kept = TripKeys(old_keys.presence, old_keys.trips, old_keys.spelled, old_keys.name_only,
                    _edges(cur, old_keys, old_state))  # fmt: skip
    gone = [uid for uid, a, b in zip(RECORDS, before[0], after[0], strict=True) if a != b]
    relinked = [uid for uid, a, b in zip(RECORDS, before[1], after[1], strict=True) if a != b]
    expected = _edges(cur, new_keys, new_state)  # registers the new keys and state, as `_trip_edges` does
    assert kept.edges is not None
    got = _name_key_edges(
        cur, new_state, new_keys, kept, pa.array(relinked, pa.string()),
        pa.chunked_array([pa.array(gone, pa.string())]),
    )  # fmt: skip
    assert _rows(got) == _rows(expected)
