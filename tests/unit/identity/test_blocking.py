"""Blocking rules: the set is closed under swapping sides, so a batch can be blocked from its new rows;
`block` keeps each pair the rules join once, whether or not two ids fit one 64-bit key."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest

from ilos.adapters.identity import scoring
from ilos.adapters.identity.comparisons import blocking_rules
from ilos.adapters.identity.scoring import block, exploded

SKELETONS = ["KRS", "MHMD", "SMT", None]


def _doc_keys(doc: str | None, country: str | None) -> list[str]:
    """`features.doc_keys_sql` in Python: each character masked in turn, behind the country."""
    if doc is None or country is None:
        return []
    return [f"{country}:{doc[:i]}?{doc[i + 1 :]}" for i in range(len(doc))]


def _rows(count: int, seed: int) -> pa.Table:
    """Feature rows over tiny domains, so that every rule matches many pairs (NULLs included)."""
    rng = random.Random(seed)  # noqa: S311 -- synthetic test rows, not security
    rows = []
    for nid in range(count):
        y, m, d = rng.choice([1980, 1981, None]), rng.choice([1, 2, 3]), rng.choice([1, 2, 3])
        first = (rng.choice(SKELETONS), rng.choice(SKELETONS))
        doc, country = rng.choice(["X1234567", "X1234568", None]), rng.choice(["MEX", None])
        rows.append(
            {
                "nid": nid,
                "record_uid": f"r{nid:04d}",
                "is_new": True,
                "fam_skel": rng.choice(SKELETONS),
                "giv_skel": rng.choice(SKELETONS),
                "fam_first_skel": first[0],
                "giv_first_skel": first[1],
                "first_lo": min((f for f in first if f), default=None),
                "first_hi": max((f for f in first if f), default=None),
                "dob": f"{y}-0{m}-0{d}" if y else None,
                "dob_year": str(y) if y else None,
                "dob_m": m if y else None,
                "dob_d": d if y else None,
                "cit": rng.choice(["MEX", "IND", None]),
                "sex_code": rng.choice(["F", "M", None]),
                "a9": rng.choice(["000000001", "000000002", None]),
                "doc_num": doc,
                "doc_country": country,
                "doc_keys": _doc_keys(doc, country),
                "adms": rng.choice([[], ["A1"], ["A1", "A2"]]),
                "thin_incident": rng.choice([None, None, "INCIDENT CJIS-FL 1"]),
            }
        )
    return pa.Table.from_pylist(rows)


def test_every_pair_a_rule_joins_one_way_a_rule_joins_the_other_way() -> None:
    con = duckdb.connect()
    con.register("f", _rows(240, seed=5))
    ordered, unordered = [], []
    for rule in blocking_rules():
        side, on = exploded("f", rule), rule["blocking_rule"]
        ordered.append(f"SELECT l.nid AS a, r.nid AS b FROM {side} l JOIN {side} r ON {on} AND l.nid < r.nid")
        unordered.append(
            f"SELECT least(l.nid, r.nid) AS a, greatest(l.nid, r.nid) AS b FROM {side} l JOIN {side} r "
            f"ON {on} AND l.nid <> r.nid"
        )
    one_way = set(con.sql(" UNION ".join(ordered)).fetchall())
    either_way = set(con.sql(" UNION ".join(unordered)).fetchall())
    assert len(one_way) > 1000
    assert either_way == one_way


#: Added to the test rows' ids (0..239), so that the largest is the largest a 64-bit pair key holds.
HIGH = scoring.PACKABLE_IDS - 240


def _blocked(rows: pa.Table) -> list[tuple[int, int]]:
    con = duckdb.connect()
    con.register("f_arrow", rows)
    con.execute(f"CREATE TABLE f AS SELECT * REPLACE (nid + {HIGH} AS nid) FROM f_arrow")
    table = block(con, "f", blocking_rules())
    return sorted(con.sql(f"SELECT a - {HIGH}, b - {HIGH} FROM {table}").fetchall())


def test_block_keeps_each_pair_any_rule_joins_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(240, seed=7)
    con = duckdb.connect()
    con.register("f", rows)
    every = []
    for rule in blocking_rules():
        side, on = exploded("f", rule), rule["blocking_rule"]
        every += con.sql(
            f"SELECT l.nid, r.nid FROM {side} l JOIN {side} r ON {on} AND l.nid < r.nid"
        ).fetchall()
    packed = _blocked(rows)
    assert len(every) > len(set(every)) > 1000  # rules overlap, so de-duplication has work to do
    assert packed == sorted(set(every))
    monkeypatch.setattr(scoring, "PACKABLE_IDS", HIGH)  # too many ids to pack two in 64 bits
    assert _blocked(rows) == packed
