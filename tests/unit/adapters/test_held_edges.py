"""The held edges and placed edges a batch's reach walks: the same as joining every held pair (and every
record alone in its component) to the whole link state, whether the components of one record are found by
grouping the links or given from the counts a process keeps."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ilos.adapters.duck.incremental import PLACED_EDGES, _held_edges
from ilos.adapters.link_counts import LinkCounts

RECORDS = ["departures/d1", "departures/d2", "departures/d3", "arrivals/a1", "arrivals/a2", "encounters/e1"]
#: Components are named by a record of theirs (its own, or another's when the state is not a run's: the
#: lookup of the single ones must not rely on it) or by another name.
LINK = st.tuples(
    st.sampled_from(["p1", "p2", "p3"]),
    st.sampled_from(["c1", "c2", "departures/d1", "departures/d2", "arrivals/a1", "arrivals/a2", None]),
)
PAIR = st.tuples(
    st.sampled_from([*RECORDS, "departures/gone"]),
    st.sampled_from([*RECORDS, "arrivals/gone"]),
    st.sampled_from(["", "ambiguous", "trip", "surname_only"]),
)
#: The statements the edges were built with before: each held pair joined to the link state twice.
JOINED = """WITH single AS (SELECT component FROM state GROUP BY component HAVING count(*) = 1),
            e AS (SELECT a.component AS x, b.component AS y FROM held h
                  JOIN state a ON a.record_uid = h.record_uid_l JOIN state b ON b.record_uid = h.record_uid_r
                  WHERE h.rule = 'ambiguous' OR (h.rule IN ('', 'trip') AND (
                        (starts_with(h.record_uid_l, 'departures/') AND a.component IN (SELECT component FROM single))
                        OR (starts_with(h.record_uid_r, 'departures/') AND b.component IN (SELECT component FROM single)))))
            SELECT x, y FROM e UNION SELECT y, x FROM e"""
PLACED_JOINED = """WITH single AS (SELECT component FROM state GROUP BY component HAVING count(*) = 1)
                   SELECT DISTINCT s.component AS x, o.component AS y FROM state s
                   JOIN state o ON o.person_id = s.person_id
                   WHERE s.component IN (SELECT component FROM single) AND o.component <> s.component"""


def _strings(names: list[str], rows: list[tuple[str | None, ...]]) -> pa.Table:
    """A table of text columns `names` holding `rows`."""
    return pa.table({name: pa.array([r[i] for r in rows], pa.string()) for i, name in enumerate(names)})


def _rows(cur: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return sorted(cur.sql(sql).fetchall(), key=str)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.none(), LINK), min_size=len(RECORDS), max_size=len(RECORDS)),
    st.lists(PAIR, max_size=8),
    st.booleans(),
)
def test_held_and_placed_edges_are_those_of_every_pair_joined_to_the_link_state(
    links: list[tuple[str, str | None] | None], pairs: list[tuple[str, str, str]], counted: bool
) -> None:
    linked = [(uid, *link) for uid, link in zip(RECORDS, links, strict=True) if link is not None]
    cur = duckdb.connect().cursor()
    state = _strings(["record_uid", "person_id", "component"], linked)
    cur.register("state", state)
    cur.register("held", _strings(["record_uid_l", "record_uid_r", "rule"], pairs))
    _held_edges(cur, state, LinkCounts(state.column("component")).singles if counted else None)
    assert _rows(cur, "SELECT * FROM held_edges") == _rows(cur, JOINED)
    assert _rows(cur, PLACED_EDGES) == _rows(cur, PLACED_JOINED)


def test_a_departure_alone_in_its_component_ties_it_to_the_persons_it_is_in_review_with() -> None:
    cur = duckdb.connect().cursor()
    cur.execute(
        """CREATE TABLE state AS SELECT * FROM (VALUES
               ('departures/d1', 'p1', 'c1'), ('arrivals/a1', 'p2', 'c2'), ('arrivals/a2', 'p2', 'c2'),
               ('departures/d2', 'p3', 'c3'), ('arrivals/a3', 'p3', 'c3'), ('arrivals/a4', 'p4', 'c4'))
               t(record_uid, person_id, component);
           CREATE TABLE held AS SELECT * FROM (VALUES
               ('arrivals/a1', 'departures/d1', ''), ('departures/d2', 'arrivals/a4', ''))
               t(record_uid_l, record_uid_r, rule)"""
    )
    _held_edges(cur, cur.sql("SELECT * FROM state").to_arrow_table())
    # d2 shares its component with an arrival: its review pair ties nothing
    assert _rows(cur, "SELECT * FROM held_edges") == [("c1", "c2"), ("c2", "c1")]
