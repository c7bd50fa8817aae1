"""Pairs two links apart that blocking missed are compared (`completion`)."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ilos.adapters.identity.completion import group_pairs


def _pairs(decided: list[tuple[int, int, str]], nodes: int) -> set[tuple[int, int]]:
    con = duckdb.connect()
    con.register("nfeat_arrow", pa.table({"nid": list(range(1, nodes + 1))}))
    con.execute("CREATE TABLE nfeat AS SELECT * FROM nfeat_arrow")
    a, b, d = zip(*decided, strict=True) if decided else ((), (), ())
    con.register("decided_arrow", pa.table({"a": list(a), "b": list(b), "decision": list(d)}))
    con.execute(
        "CREATE TABLE decided AS SELECT a::BIGINT AS a, b::BIGINT AS b, decision::VARCHAR AS decision FROM decided_arrow"
    )
    table = group_pairs(con, "decided", "nfeat")
    return {(x, y) for x, y in con.sql(f"SELECT a, b FROM {table}").fetchall()}


def test_a_signature_linked_to_part_of_its_group_is_compared_with_the_rest() -> None:
    # 1-2 and 2-3 link; 1 and 3 were never blocked together: 1-3 is compared.
    assert _pairs([(1, 2, "link"), (2, 3, "link")], 3) == {(1, 3)}


def test_a_group_whose_pairs_were_all_compared_adds_nothing() -> None:
    # 1-3 was compared (and kept for review): the group is complete.
    assert _pairs([(1, 2, "link"), (2, 3, "link"), (1, 3, "review")], 3) == set()


def test_groups_are_made_by_links_only() -> None:
    # 3 is in review with 2, not linked: no group reaches it; 4-5 form a complete group of their own.
    assert _pairs([(1, 2, "link"), (2, 3, "review"), (4, 5, "link")], 5) == set()


def test_a_chain_is_completed_two_links_apart() -> None:
    assert _pairs([(1, 2, "link"), (2, 3, "link"), (3, 4, "link")], 4) == {(1, 3), (2, 4)}


def test_a_signature_hanging_off_a_complete_group_meets_the_rest_of_it() -> None:
    # 1, 2, 3 all compared; 4 hangs off 3 and was compared with 3 only: 4 meets 1 and 2 through 3
    decided = [(1, 2, "link"), (1, 3, "link"), (2, 3, "link"), (3, 4, "link")]
    assert _pairs(decided, 4) == {(1, 4), (2, 4)}
