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


GROUP = ("a", "b", "c", "d", "e", "f")


def _beside_a_group(resolver: IdentityResolver, *links: tuple[str, float], **x: str) -> dict[str, int]:
    """A dense group a..f (every pair linked at 20) and a record x with only `links` (to, weight),
    so that x fails the density test: what clustering makes of x."""
    records = table(*(record(n) for n in GROUP), record("x", **x), record("y"))
    group = [(p, q, 20.0, "", "link") for i, p in enumerate(GROUP) for q in GROUP[i + 1 :]]
    pairs = _pairs(*group, *((min("x", to), max("x", to), w, "", "link") for to, w in links))
    return clusters_of(resolver.cluster(records, pairs, members=None))


def test_a_record_all_of_whose_links_go_to_one_person_joins_it(resolver: IdentityResolver) -> None:
    clusters = _beside_a_group(resolver, ("a", 8.0), ("b", 8.0))
    assert clusters["x"] == clusters["a"] == clusters["f"]


def test_one_strong_link_is_enough_and_one_weak_link_is_not(resolver: IdentityResolver) -> None:
    assert _beside_a_group(resolver, ("a", 9.5))["x"] == _beside_a_group(resolver, ("a", 9.5))["a"]
    weak = _beside_a_group(resolver, ("a", 8.0))
    assert weak["x"] != weak["a"]


def test_a_record_linked_to_two_people_joins_neither(resolver: IdentityResolver) -> None:
    other = ("w", "y", "z")
    records = table(*(record(n) for n in (*GROUP, *other, "x")))
    group = [(p, q, 20.0, "", "link") for g in (GROUP, other) for i, p in enumerate(g) for q in g[i + 1 :]]
    pairs = _pairs(
        *group, ("a", "x", 9.5, "", "link"), ("b", "x", 9.5, "", "link"), ("x", "y", 9.5, "", "link")
    )
    clusters = clusters_of(resolver.cluster(records, pairs, members=None))
    assert clusters["x"] not in (clusters["a"], clusters["y"])
    assert clusters["w"] == clusters["y"] == clusters["z"]


def test_a_hard_rule_still_keeps_the_record_out(resolver: IdentityResolver) -> None:
    group_a_number = {"a_number": "A012345678"}
    records = table(*(record(n, **group_a_number) for n in GROUP), record("x", a_number="A087654321"))
    group = [(p, q, 20.0, "", "link") for i, p in enumerate(GROUP) for q in GROUP[i + 1 :]]
    pairs = _pairs(*group, ("a", "x", 9.5, "", "link"), ("b", "x", 9.5, "", "link"))
    clusters = clusters_of(resolver.cluster(records, pairs, members=None))
    assert clusters["x"] != clusters["a"]


def _namesakes(resolver: IdentityResolver, other_birth_date: str) -> dict[str, int]:
    """Group a (born 1979-01-10) and group b (born `other_birth_date`), each linked inside, with
    review-band pairs across (same names, citizenship and birth year), and a record x stating only
    the birth year, linked to all six."""
    a, b = ("a1", "a2", "a3"), ("b1", "b2", "b3")
    records = table(
        *(record(n, date_of_birth="1979-01-10") for n in a),
        *(record(n, date_of_birth=other_birth_date) for n in b),
        record("x", date_of_birth="1979"),
    )
    inside = [(p, q, 20.0, "", "link") for g in (a, b) for i, p in enumerate(g) for q in g[i + 1 :]]
    across = [(p, q, 4.0, "", "review") for p in a for q in b]
    bridge = [(n, "x", 15.0, "", "link") for n in (*a, *b)]
    return clusters_of(resolver.cluster(records, _pairs(*inside, *across, *bridge), members=None))


def test_namesakes_born_on_other_days_are_not_merged_through_a_record_stating_the_year(
    resolver: IdentityResolver,
) -> None:
    clusters = _namesakes(resolver, "1979-06-09")
    assert clusters["a1"] == clusters["a3"]
    assert clusters["b1"] == clusters["b3"]
    assert clusters["a1"] != clusters["b1"]


def test_records_whose_birth_dates_a_known_error_explains_still_merge(resolver: IdentityResolver) -> None:
    clusters = _namesakes(resolver, "1979-10-01")  # day and month swapped
    assert clusters["a1"] == clusters["b1"] == clusters["x"]


def test_the_facts_of_each_component_are_what_its_clustering_read(resolver: IdentityResolver) -> None:
    """Per linked component: its signatures and inside pairs (supporting, kept apart), its A-numbers,
    whether an unsettled pair touches it, and whether it was kept whole."""
    records = table(
        *(record(n) for n in ("a", "b", "c")),  # dense: every pair a link
        *(record(n) for n in ("p", "q", "r", "s")),  # a chain: sparse, rebuilt
        record("t", a_number="A111111111"), record("u", a_number="A222222222"), record("v"),
        record("w", a_number="A333333333"), record("x"),  # two, whole and settled
    )  # fmt: skip
    pairs = _pairs(
        ("a", "b", 20.0, "", "link"), ("a", "c", 20.0, "", "link"), ("b", "c", -1.0, "surname_only", "review"),
        ("p", "q", 20.0, "", "link"), ("q", "r", 20.0, "", "link"), ("r", "s", 20.0, "", "link"),
        ("t", "v", 20.0, "", "link"), ("u", "v", 20.0, "", "link"), ("t", "u", -30.0, "different_a_number", "separate"),
        ("c", "v", 8.0, "ambiguous", "review"), ("w", "x", 12.0, "", "link"),
    )  # fmt: skip
    resolver.cluster(records, pairs, members=None)
    assert resolver.component_facts is not None
    facts = {row.pop("component"): row for row in resolver.component_facts.to_pylist()}
    assert facts["a"] == {"signatures": 3, "pairs": 3, "support": 2, "apart": False, "a_numbers": 0,
                          "a_number": None, "settled": False, "whole": False}  # fmt: skip
    assert facts["p"] == {"signatures": 4, "pairs": 3, "support": 3, "apart": False, "a_numbers": 0,
                          "a_number": None, "settled": True, "whole": False}  # fmt: skip
    assert facts["t"] == {"signatures": 3, "pairs": 3, "support": 2, "apart": True, "a_numbers": 2,
                          "a_number": None, "settled": False, "whole": False}  # fmt: skip
    assert facts["w"] == {"signatures": 2, "pairs": 1, "support": 1, "apart": False, "a_numbers": 1,
                          "a_number": "333333333", "settled": True, "whole": True}  # fmt: skip
