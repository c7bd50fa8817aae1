"""Which of the components a batch reaches are placed among as they are (`incremental._unscored`), and
which are re-resolved: each rule, one case."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from ilos.adapters.duck.incremental import _unscored

#: Three components a name key reaches besides the batch's own seed: K1 (two arrivals of one person),
#: K2 (an arrival and a departure of another), N (a name-only departure placed with K1's person), and
#: S (a changed record's component, seeded).
LINKS = [
    ("arrivals/a1", "p1", "arrivals/a1"),
    ("arrivals/a2", "p1", "arrivals/a1"),
    ("arrivals/b1", "p2", "arrivals/b1"),
    ("departures/b2", "p2", "arrivals/b1"),
    ("departures/n1", "p1", "departures/n1"),
    ("arrivals/s1", "p3", "arrivals/s1"),
]
#: Records that can be scored (every one but the name-only departure).
SCORABLE = ["arrivals/a1", "arrivals/a2", "arrivals/b1", "arrivals/s1", "departures/b2"]


def _strings(names: list[str], rows: Sequence[tuple[str, ...]]) -> pa.Table:
    return pa.table({name: pa.array([r[i] for r in rows], pa.string()) for i, name in enumerate(names)})


def _placed(
    links: Sequence[tuple[str, str, str]] = LINKS,
    held: Sequence[tuple[str, str, str]] = (),
    edges: Sequence[tuple[str, str]] = (),
    repeats: Sequence[str] = (),
    scorable: Sequence[str] = SCORABLE,
) -> set[str]:
    """The components `_unscored` keeps as they are, every reached one tallied once (kept or redone)."""
    cur = duckdb.connect().cursor()
    state = _strings(["record_uid", "person_id", "component"], links)
    components = sorted({c for _, _, c in links})
    key_edges = [(c, "key:OKAFOR|CHIDI|NGA") for c in components if c != "arrivals/s1"]
    both = [*key_edges, *edges]
    tables = {
        "state": state,
        "reach": _strings(["component"], [(c,) for c in [*components, "key:OKAFOR|CHIDI|NGA"]]),
        "seeded": _strings(["component"], [("arrivals/s1",), ("key:OKAFOR|CHIDI|NGA",)]),
        "held": _strings(["record_uid_l", "record_uid_r", "rule"], list(held)),
        "held_edges": _strings(["x", "y"], [*both, *((y, x) for x, y in both)]),
        "placed": _strings(["component"], [(c,) for c in repeats]),
        "removed": _strings(["record_uid"], []),
    }
    for name, table in tables.items():
        cur.register(f"{name}_rows", table)
        cur.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_rows")
    cur.execute("CREATE TEMP TABLE reached_links AS SELECT * FROM state SEMI JOIN reach USING (component)")
    members = pa.table({"record_uid": sorted(scorable), "rep": sorted(scorable)})
    kept = _unscored(cur, members)
    redone = {r[0] for r in cur.sql("SELECT component FROM redo").fetchall()}
    kept_components = set(kept.column("component").to_pylist())
    assert kept_components.isdisjoint(redone)
    assert kept_components | redone == {*components, "key:OKAFOR|CHIDI|NGA"}
    assert kept.column("record_uid").to_pylist() == sorted(kept.column("record_uid").to_pylist())
    return kept_components


def test_components_reached_through_a_key_alone_are_kept_and_the_seeds_redone() -> None:
    assert _placed() == {"arrivals/a1", "arrivals/b1", "departures/n1"}


def test_a_component_of_two_persons_is_redone() -> None:
    links = [*LINKS[:1], ("arrivals/a2", "p9", "arrivals/a1"), *LINKS[2:]]
    assert _placed(links) == {"arrivals/b1", "departures/n1"}


def test_a_record_alone_that_can_be_scored_is_redone() -> None:
    assert _placed(scorable=[*SCORABLE, "departures/n1"]) == {"arrivals/a1", "arrivals/b1"}


def test_a_component_a_held_pair_joins_to_itself_is_redone() -> None:
    """Its departure may have been left alone by clustering and placed back into its own person."""
    assert _placed(held=[("arrivals/b1", "departures/b2", "trip")]) == {"arrivals/a1", "departures/n1"}


def test_a_held_pair_to_another_component_keeps_both() -> None:
    """A departure's review pair with a namesake, or the trip pair of a name-only departure placed."""
    held = [("arrivals/a1", "departures/b2", ""), ("arrivals/a2", "departures/n1", "trip")]
    assert _placed(held=held) == {"arrivals/a1", "arrivals/b1", "departures/n1"}


def test_an_edge_between_scored_components_carries_the_redoing() -> None:
    """An edge to a component re-resolved re-resolves K1, and through K1 K2."""
    edges = [("arrivals/a1", "arrivals/s1"), ("arrivals/a1", "arrivals/b1")]
    assert _placed(edges=edges) == {"departures/n1"}


def test_the_edges_of_a_record_that_cannot_be_scored_carry_nothing() -> None:
    """A name-only departure placed with K1's person, reached from the seed: it is placed again, not
    scored, and K1 keeps its cluster."""
    edges = [("departures/n1", "arrivals/s1"), ("departures/n1", "arrivals/a1")]
    assert _placed(edges=edges) == {"arrivals/a1", "arrivals/b1", "departures/n1"}


def test_the_component_of_a_repeat_is_redone() -> None:
    assert _placed(repeats=["arrivals/b1"]) == {"arrivals/a1", "departures/n1"}
