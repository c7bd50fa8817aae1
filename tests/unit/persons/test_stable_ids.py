"""Stable person ids: unchanged persons keep theirs, merges keep the oldest, splits keep it with the oldest record."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ilos.adapters.duck.stable_ids import assign, person_id


def table(**columns: list) -> pa.Table:
    return pa.table(columns)


def run(clusters: dict[str, int], previous: dict[str, str], next_sequence: int = 10):
    ages = table(
        record_uid=sorted(clusters), recorded_at=[f"2024-01-{i + 1:02d}" for i in range(len(clusters))]
    )
    with duckdb.connect() as con:
        result = assign(
            con,
            table(record_uid=list(clusters), cluster=list(clusters.values())),
            table(record_uid=list(previous), person_id=list(previous.values())),
            ages,
            next_sequence,
        )
    links = dict(
        zip(result.links["record_uid"].to_pylist(), result.links["person_id"].to_pylist(), strict=True)
    )
    return links, result


P1, P2, P3 = person_id(1), person_id(2), person_id(3)


def test_first_run_issues_ids_in_order_of_the_oldest_record() -> None:
    links, result = run({"a": 1, "b": 1, "c": 2}, {})
    assert links == {"a": person_id(10), "b": person_id(10), "c": person_id(11)}
    assert result.next_sequence == 12


def test_unchanged_persons_keep_their_ids_and_new_records_join_them() -> None:
    links, result = run({"a": 5, "b": 5, "c": 6, "d": 6}, {"a": P1, "b": P1, "c": P2})
    assert links == {"a": P1, "b": P1, "c": P2, "d": P2}
    assert result.merges.num_rows == result.splits.num_rows == 0


def test_merge_keeps_the_oldest_id() -> None:
    links, result = run({"a": 1, "b": 1, "c": 1}, {"a": P2, "b": P1, "c": P3})
    assert set(links.values()) == {P1}
    assert result.merges.to_pylist() == [{"survivor": P1, "absorbed": P2}, {"survivor": P1, "absorbed": P3}]


def test_split_leaves_the_id_with_the_part_holding_the_oldest_record() -> None:
    # records are aged a < b < c: "a" is P1's oldest record
    links, result = run({"a": 2, "b": 1, "c": 1}, {"a": P1, "b": P1, "c": P1})
    assert links["a"] == P1
    assert links["b"] == links["c"] == person_id(10)
    assert result.splits.to_pylist() == [{"person_id": P1, "new_person_id": person_id(10)}]


@settings(max_examples=60, deadline=None)
@given(
    clusters=st.lists(st.integers(0, 4), min_size=1, max_size=12),
    old=st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=12, max_size=12),
)
def test_properties(clusters: list[int], old: list[int | None]) -> None:
    uids = [f"r{i:02d}" for i in range(len(clusters))]
    previous = {u: person_id(o) for u, o in zip(uids, old, strict=False) if o is not None}
    links, _ = run(dict(zip(uids, clusters, strict=True)), previous)
    by_cluster: dict[int, set[str]] = {}
    for uid, c in zip(uids, clusters, strict=True):
        by_cluster.setdefault(c, set()).add(links[uid])
    assert all(len(ids) == 1 for ids in by_cluster.values()), "one id per cluster"
    assert len({next(iter(v)) for v in by_cluster.values()}) == len(by_cluster), (
        "different clusters, different ids"
    )
    for pid in set(previous.values()):
        members = [u for u in uids if previous.get(u) == pid]
        clusters_of = {clusters[uids.index(u)] for u in members}
        oldest = min(members)  # ages follow uid order in run()
        if len(clusters_of) == 1 and all(
            previous.get(u) in (pid, None) for u in uids if clusters[uids.index(u)] in clusters_of
        ):
            assert links[oldest] == pid, "an unmerged, unsplit person keeps its id"
        if links[oldest] != pid:
            assert links[oldest] < pid, "an id only gives way to an older one"
