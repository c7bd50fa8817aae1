"""The components a batch reaches through held edges: the same nodes as the recursive query."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from ilos.adapters.duck.incremental import _reach

NODES = st.sampled_from(["c1", "c2", "c3", "c4", "key:k1", "key:k2", None])
RECURSIVE = """WITH RECURSIVE reach(component) AS (
                   SELECT component FROM ({seeds})
                   UNION SELECT e.y FROM reach JOIN held_edges e ON e.x = reach.component)
               SELECT component FROM reach"""


def _workspace(
    edges: list[tuple[str | None, str | None]], seeds: list[str | None]
) -> duckdb.DuckDBPyConnection:
    cur = duckdb.connect().cursor()
    cur.execute(
        "CREATE TEMP TABLE held_edges (x VARCHAR, y VARCHAR); CREATE TEMP TABLE seeds (component VARCHAR)"
    )
    both_ways = {e for x, y in edges for e in ((x, y), (y, x))}  # held edges are kept both ways
    if both_ways:
        cur.executemany("INSERT INTO held_edges VALUES (?, ?)", sorted(both_ways, key=str))
    if seeds:
        cur.executemany("INSERT INTO seeds VALUES (?)", [(s,) for s in seeds])
    return cur


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(NODES, NODES), max_size=10), st.lists(st.one_of(NODES, st.just("c9")), max_size=4))
def test_reach_is_what_the_recursive_query_reaches(
    edges: list[tuple[str | None, str | None]], seeds: list[str | None]
) -> None:
    cur = _workspace(edges, seeds)
    expected = cur.sql(RECURSIVE.format(seeds="SELECT component FROM seeds")).fetchall()
    _reach(cur, "SELECT component FROM seeds")
    got = cur.sql("SELECT component FROM reach").fetchall()
    assert sorted(got, key=str) == sorted(expected, key=str)


def test_a_chain_of_components_through_a_name_key_is_reached_whole() -> None:
    cur = _workspace([("c1", "key:k1"), ("key:k1", "c2"), ("c3", "c4")], ["c2"])
    _reach(cur, "SELECT component FROM seeds")
    assert sorted(r[0] for r in cur.sql("SELECT component FROM reach").fetchall()) == ["c1", "c2", "key:k1"]
