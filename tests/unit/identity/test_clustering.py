"""Clustering respects the constraints reviewers and hard rules put on pairs, not only on edges."""

from __future__ import annotations

import pyarrow as pa

from ilos.adapters.identity import IdentityResolver

from .conftest import clusters_of, record, table

PAIRS = pa.schema(
    [("record_uid_l", pa.string()), ("record_uid_r", pa.string()), ("match_weight", pa.float64()),
     ("match_probability", pa.float64()), ("rule", pa.string()), ("decision", pa.string())]
)  # fmt: skip


def _pairs(*rows: tuple[str, str, float, str, str]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"record_uid_l": a, "record_uid_r": b, "match_weight": w, "match_probability": 0.5, "rule": r,
          "decision": d} for a, b, w, r, d in rows],
        schema=PAIRS,
    )  # fmt: skip


def _chain(resolver: IdentityResolver, a_to_c: tuple[float, str, str]) -> dict[str, int]:
    records = table(record("a"), record("b"), record("c"))
    pairs = _pairs(("a", "b", 20.0, "", "link"), ("b", "c", 15.0, "", "link"), ("a", "c", *a_to_c))
    return clusters_of(resolver.cluster(records, pairs, members=None))


def test_a_reviewers_separate_forbids_a_chain_of_links(resolver: IdentityResolver) -> None:
    clusters = _chain(resolver, (12.0, "reviewer", "separate"))
    assert clusters["a"] != clusters["c"]
    assert clusters["a"] == clusters["b"]  # the stronger link is kept


def test_without_the_decision_the_chain_is_one_person(resolver: IdentityResolver) -> None:
    clusters = _chain(resolver, (12.0, "", "link"))
    assert clusters["a"] == clusters["b"] == clusters["c"]


def test_a_reviewers_link_holds_against_weak_evidence(resolver: IdentityResolver) -> None:
    records = table(record("a"), record("b"), record("c"))
    pairs = _pairs(
        ("a", "b", 9.0, "", "link"),
        ("b", "c", 0.0, "reviewer", "link"),
        ("a", "c", -5.0, "", "separate"),
    )
    clusters = clusters_of(resolver.cluster(records, pairs, members=None))
    assert clusters["b"] == clusters["c"]
