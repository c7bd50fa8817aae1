"""A batch's new signatures scored by `identity.new_signatures` against an index, through its blocking
index, in statements prepared once, give the pairs `IdentityResolver.score_between` gives them: the same
pairs, weights, rules and decisions, on held-back departures of a generated population and on drawn
records."""

from __future__ import annotations

import copy
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilos.adapters.identity import IdentityResolver, frequencies
from ilos.adapters.identity.blocking_keys import BlockingKeys
from ilos.adapters.identity.index import IdentityIndex
from ilos.adapters.identity.model import default_model
from ilos.adapters.identity.new_signatures import NewSignatureScorer, new_nodes
from ilos.adapters.identity.scoring import SIGNATURE

from .conftest import generated_records, held_back, record, table
from .drawn import FIELDS, NAMESAKE

Pair = tuple[str, str]
Scores = tuple[float, str, str]


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    return generated_records(tmp_path_factory.mktemp("new-signatures"), persons=400, seed=29)


def _new_only(index: IdentityIndex, rows: pa.Table) -> pa.Table:
    """The records of `rows` whose signature the index does not hold."""
    known = {tuple(r[c] for c in SIGNATURE) for r in index.feat.select(list(SIGNATURE)).to_pylist()}
    nodes = {n["record_uid"]: n for n in new_nodes(rows.to_pylist())}
    fresh = [u for u, n in nodes.items() if tuple(n[c] for c in SIGNATURE) not in known]
    members = [r["record_uid"] for r in rows.to_pylist() if _node_of(r, nodes) in fresh]
    return rows.filter(pc.is_in(rows.column("record_uid"), pa.array(members, pa.string())))


def _node_of(row: dict[str, Any], nodes: dict[str, dict[str, Any]]) -> str | None:
    mine = new_nodes([row])
    if not mine:
        return None
    values = tuple(mine[0][c] for c in SIGNATURE)
    return next((u for u, n in nodes.items() if tuple(n[c] for c in SIGNATURE) == values), None)


def _sql_pairs(pairs: pa.Table) -> dict[Pair, Scores]:
    return {
        (p["record_uid_l"], p["record_uid_r"]): (p["match_weight"], p["rule"], p["decision"])
        for p in pairs.to_pylist()
    }


def _compared(
    resolver: IdentityResolver, existing: pa.Table, batches: list[pa.Table]
) -> tuple[int, set[str]]:
    """Score each batch both ways against the index of `existing` (one scorer for every batch); assert
    the pairs equal, but those of the nodes the scorer leaves to the run; return how many pairs were
    compared and the rules seen."""
    index = resolver.index(existing)
    with duckdb.connect() as cur:
        cur.register("idx", index.feat)
        keys = BlockingKeys.build(cur, "idx")
    scorer = NewSignatureScorer(resolver.model)
    compared, rules = 0, set()
    try:
        for new in batches:
            scored = scorer.score(new_nodes(new.to_pylist()), index.feat, keys)
            sql = _sql_pairs(resolver.score_between(IdentityIndex(index.feat, index.members, keys), new))
            kept = _assert_same(_sql_pairs(scored.pairs), sql, scored.undecided)
            compared, rules = compared + kept, rules | {v[1] for v in sql.values()}
    finally:
        scorer.close()
    return compared, rules


def _assert_same(mine: dict[Pair, Scores], sql: dict[Pair, Scores], undecided: set[str]) -> int:
    """Assert the pairs equal but those of undecided nodes (a pair the SQL holds as ambiguous is a link by
    weight alone); return how many were compared."""
    touched = {u for pair in sql for u in pair if u in undecided}

    def kept(pairs: dict[Pair, Scores]) -> dict[Pair, Scores]:
        return {p: v for p, v in pairs.items() if not touched & set(p) and v[1] != "ambiguous"}

    assert kept(mine) == kept(sql)
    assert all(
        mine[p][1:] == ("", "link") for p, v in sql.items() if v[1] == "ambiguous" and not touched & set(p)
    )
    return len(kept(sql))


def test_held_back_departures_are_scored_as_score_between_scores_them(population: pa.Table) -> None:
    existing, back = held_back(population, 7)
    model = copy.deepcopy(default_model())  # with term frequencies frozen from the population
    with duckdb.connect() as cur:
        cur.register("idx", IdentityResolver(cur).index(existing).feat)
        model[frequencies.MODEL_KEY] = frequencies.snapshot(cur, "idx")
    resolver = IdentityResolver(duckdb.connect(), model)
    new = _new_only(resolver.index(existing), back)
    assert new.num_rows > 100
    half = new.num_rows // 2  # two batches through one scorer: its tables refilled, its statements kept
    compared, rules = _compared(resolver, existing, [new.slice(0, half), new.slice(half)])
    assert compared > 500
    assert {"", "twins", "surname_conflict"} <= rules, rules


def test_batch_mates_of_one_signature_are_one_node_and_pair_with_each_other() -> None:
    base = {
        "family_name": "Ortega Salas",
        "given_names": "Marisol",
        "date_of_birth": "1991-04-12",
        "citizenship": "PER",
    }
    known = [record("arrivals/A/1", feed="arrivals", document_number="PE1234567", **base)]
    new = [
        record("departures/D/2", feed="departures", document_number="PE7654321", **base),
        record("departures/D/1", feed="departures", document_number="PE7654321", **base),
        record("departures/D/3", feed="departures", document_number="PE7654322", **base),
    ]
    nodes = new_nodes(table(*new).to_pylist())
    assert sorted(n["record_uid"] for n in nodes) == ["departures/D/1", "departures/D/3"]
    resolver = IdentityResolver(duckdb.connect(), default_model())
    compared, _ = _compared(resolver, table(*known), [table(*new)])
    assert compared == 3  # each new node with the arrival, and with each other


_DRAWN = st.lists(st.fixed_dictionaries(FIELDS), min_size=1, max_size=8)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.tuples(_DRAWN, _DRAWN),
        st.tuples(st.lists(NAMESAKE, min_size=1, max_size=8), st.lists(NAMESAKE, min_size=1, max_size=4)),
    )
)
def test_drawn_records_are_scored_as_score_between_scores_them(
    drawn: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    """Drawn records (varied identities; namesakes born the same day), found through every blocking key."""
    known = table(
        *(record(f"arrivals/A/{i}", feed="arrivals", **values) for i, values in enumerate(drawn[0]))
    )
    new = table(
        *(record(f"departures/D/{i}", feed="departures", **values) for i, values in enumerate(drawn[1]))
    )
    resolver = IdentityResolver(duckdb.connect(), default_model())
    _compared(resolver, known, [_new_only(resolver.index(known), new)])
