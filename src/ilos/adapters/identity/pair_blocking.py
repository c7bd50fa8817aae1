"""Whether a blocking rule pairs two signatures, in plain Python, as `comparisons.blocking_rules` pair
them in SQL: for the scorer of records decided as they are stored (ADR 11), which takes a new record's
candidates from the blocking index and must keep exactly the pairs the SQL would score.
`tests/unit/identity/test_pair_blocking.py` holds it to `scoring.block` on a generated population and on
every pair of drawn records. Not used on any path yet.

The rules' conditions are equalities (false when either side is NULL), NULL tests and one disjunction
(`_DOB_NEAR`) with no negation, so they read NULL as false throughout; a list column (`adms`,
`doc_keys`), exploded in SQL, pairs two rows when they share an element.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Row = Mapping[str, Any]


def _eq(left: Row, right: Row, *columns: str) -> bool:
    """l.c = r.c for each column (the same column on both sides)."""
    return all(left[c] is not None and right[c] is not None and left[c] == right[c] for c in columns)


def _cross(left: Row, lcol: str, right: Row, rcol: str) -> bool:
    return left[lcol] is not None and right[rcol] is not None and left[lcol] == right[rcol]


def _dob_near(left: Row, right: Row) -> bool:
    """`comparisons._DOB_NEAR`: month or day in common, either way round, one missing, or a 1 January."""
    m_l, d_l, m_r, d_r = left["dob_m"], left["dob_d"], right["dob_m"], right["dob_d"]
    return (
        m_l is None
        or m_r is None
        or m_l == m_r
        or (d_l is not None and d_r is not None and d_l == d_r)
        or (d_r is not None and m_l == d_r)
        or (d_l is not None and d_l == m_r)
        or (m_l == 1 and d_l == 1)
        or (m_r == 1 and d_r == 1)
    )


def _identity(left: Row, right: Row) -> bool:
    """The rules on identity (`comparisons.blocking_rules`' `identity`), each as written there."""
    names = _eq(left, right, "fam_skel", "giv_skel")
    order_free = _eq(left, right, "first_lo", "first_hi")
    missing = left["dob_year"] is None or right["dob_year"] is None
    return (
        _eq(left, right, "a9")
        or _eq(left, right, "doc_num")
        or _eq(left, right, "dob", "cit", "sex_code")
        or any(_eq(left, right, part, "dob") for part in ("fam_skel", "giv_skel", "fam_first_skel"))
        or (_cross(left, "fam_skel", right, "giv_skel") and _eq(left, right, "dob"))
        or (_cross(left, "giv_skel", right, "fam_skel") and _eq(left, right, "dob"))
        or (names and _eq(left, right, "dob_year"))
        or (order_free and _eq(left, right, "dob_year"))
        or (order_free and _eq(left, right, "dob_m", "dob_d"))
        or (_eq(left, right, "fam_skel", "cit", "dob_year") and _dob_near(left, right))
        or _eq(left, right, "fam_skel", "cit", "dob_m", "dob_d")
        or (names and missing)
        or (order_free and _eq(left, right, "cit") and missing)
    )


def blocked(left: Row, right: Row) -> bool:
    """Whether any blocking rule pairs the two signature rows: a number they share; their identities
    (neither a record only its matter or filing identifies); or a document of one country misread."""
    if set(left["adms"] or ()) & set(right["adms"] or ()):
        return True
    if left["thin_incident"] is not None or right["thin_incident"] is not None:
        return False
    misread = (
        bool(set(left["doc_keys"] or ()) & set(right["doc_keys"] or ()))
        and left["doc_num"] != right["doc_num"]
    )
    return misread or _identity(left, right)
