"""Kept tables changed in place of a copy: the same rows, in the same order, as filtering and sorting."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from ilos.adapters.kept_tables import among_sorted, gathered, parted, upserted, without, without_sorted

KEYS = st.text(alphabet="abcé/0", min_size=0, max_size=4)


def _table(keys: list[str], chunk: int) -> pa.Table:
    """A table of `keys` (column k) and their positions (column i), in chunks of `chunk` rows."""
    whole = pa.table({"k": pa.array(keys, pa.string()), "i": pa.array(range(len(keys)), pa.int64())})
    parts = [whole.slice(s, chunk) for s in range(0, len(keys), chunk)] or [whole]
    return pa.concat_tables(parts)


@settings(max_examples=200, deadline=None)
@given(st.lists(KEYS, max_size=40), st.lists(KEYS, max_size=8), st.integers(1, 7))
def test_without_is_the_filter(keys: list[str], gone: list[str], chunk: int) -> None:
    table = _table(keys, chunk)
    values = pa.array(gone, pa.string())
    expected = table.filter(pc.invert(pc.is_in(table.column("k"), values)))
    assert without(table, "k", values).to_pylist() == expected.to_pylist()
    kept, gone = parted(table, "k", values)
    assert kept.to_pylist() == expected.to_pylist()
    assert gone.to_pylist() == table.filter(pc.is_in(table.column("k"), values)).to_pylist()


@settings(max_examples=200, deadline=None)
@given(st.lists(KEYS, max_size=40), st.lists(KEYS, max_size=8), st.integers(1, 7), st.sampled_from([0, 64]))
def test_a_sorted_table_without_and_among_values_is_the_filter(
    keys: list[str], values: list[str], chunk: int, share: int
) -> None:
    """By binary search (share 0: always) or by testing every row, the same rows as the filter and its
    complement, in order."""
    table = _table(sorted(keys), chunk)
    wanted = pa.array(values, pa.string())
    among = pc.is_in(table.column("k"), wanted)
    assert without_sorted(table, "k", wanted, share).to_pylist() == table.filter(pc.invert(among)).to_pylist()
    assert among_sorted(table, "k", wanted, share).to_pylist() == table.filter(among).to_pylist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(KEYS, max_size=40),
    st.lists(KEYS, max_size=10),
    st.one_of(st.none(), st.lists(KEYS, max_size=6)),
    st.integers(1, 7),
)
def test_upserted_is_concat_and_stable_sort(
    keys: list[str], new: list[str], drop: list[str] | None, chunk: int
) -> None:
    table = _table(sorted(keys), chunk)
    rows = pa.table({"k": pa.array(new, pa.string()), "i": pa.array(range(-len(new), 0), pa.int64())})
    dropped = pa.array(new if drop is None else drop, pa.string())
    kept = table.filter(pc.invert(pc.is_in(table.column("k"), dropped)))
    expected = pa.concat_tables([kept, rows]).sort_by("k")
    values = None if drop is None else pa.array(drop, pa.string())
    assert upserted(table, "k", rows, values).to_pylist() == expected.to_pylist()


def test_rows_kept_are_not_copied() -> None:
    table = pa.table({"k": [f"r{i:03d}" for i in range(200)], "v": list(range(200))})
    out = upserted(table, "k", pa.table({"k": ["r050x"], "v": [-1]}), pa.array(["r010"]))
    # the first chunk is a slice of the table's own buffer, not a copy of it
    first = out.column("v").chunk(0)
    assert first.buffers()[1].address == table.column("v").chunk(0).buffers()[1].address
    assert out.column("k").to_pylist()[:11] == [f"r{i:03d}" for i in range(10)] + ["r011"]
    assert "r050x" in out.column("k").to_pylist()


def test_chunks_are_combined_once_many() -> None:
    table = pa.concat_tables([pa.table({"k": ["a"]})] * 6)
    assert gathered(table, most=8).column(0).num_chunks == 6
    assert gathered(table, most=5).column(0).num_chunks == 1
