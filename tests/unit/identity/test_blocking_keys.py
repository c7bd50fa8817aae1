"""The in-memory blocking index: blocking a batch through it finds exactly the pairs of the full join."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilos.adapters.identity import IdentityResolver
from ilos.adapters.identity.blocking_keys import conjuncts, rule_keys
from ilos.adapters.identity.comparisons import blocking_rules

from .conftest import record, table

FAMILY = ["Kowalczyk", "Kowalczik", "Lindqvist", "Haddad", "Nguyen Van", "Van Nguyen", None]
GIVEN = ["Bartosz", "Bartek", "Astrid", "Astrid Maria", "Rami", "Thi Lan", None]
BIRTH = ["1984-03-17", "1984-17-03", "1984-03", "1990-06-02", "1990-02-06", "1979-01-01", None]
DOCUMENT = ["EK4471932", "EK4471982", "99812734", "RL0099812", None]
COUNTRY = ["POL", "SWE", "LBN", "VNM", None]
ADMISSION = ["32191837A11", "32191837A12", "11111111111", None]
FEEDS = ["arrivals", "departures", "encounters", "court_events"]


def test_every_blocking_rule_has_an_equality_key() -> None:
    for rule in blocking_rules(only_new=True):
        keys = rule_keys(rule)
        assert keys.left, rule["blocking_rule"]
        assert len(keys.left) == len(keys.right), rule["blocking_rule"]


def test_equalities_inside_parentheses_are_not_keys() -> None:
    sql = "l.fam_skel = r.giv_skel AND (l.dob_m = r.dob_m OR l.dob_m IS NULL) AND l.cit = r.cit"
    assert conjuncts(sql) == [
        "l.fam_skel = r.giv_skel",
        "(l.dob_m = r.dob_m OR l.dob_m IS NULL)",
        "l.cit = r.cit",
    ]
    keys = rule_keys({"blocking_rule": sql})
    assert (keys.left, keys.right) == (("fam_skel", "cit"), ("giv_skel", "cit"))
    with pytest.raises(ValueError, match="without an equality"):
        rule_keys({"blocking_rule": "(l.a = r.a OR l.b = r.b)"})


@st.composite
def _records(draw: st.DrawFn, prefix: str, size: int) -> list[dict[str, object]]:
    rows = []
    for i in range(size):
        feed = draw(st.sampled_from(FEEDS))
        rows.append(
            record(
                f"{feed}/{prefix}/{i:03d}",
                feed=feed,
                family_name=draw(st.sampled_from(FAMILY)),
                given_names=draw(st.sampled_from(GIVEN)),
                date_of_birth=draw(st.sampled_from(BIRTH)),
                document_number=draw(st.sampled_from(DOCUMENT)),
                document_country=draw(st.sampled_from(COUNTRY)),
                citizenship=draw(st.sampled_from(COUNTRY)),
                admission_number=draw(st.sampled_from(ADMISSION)),
            )
        )
    return rows


def _pairs(pairs: pa.Table) -> dict[tuple[str, str], tuple[float, str, str]]:
    return {
        (p["record_uid_l"], p["record_uid_r"]): (round(p["match_weight"], 9), p["rule"], p["decision"])
        for p in pairs.to_pylist()
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_records("A", 14), _records("B", 6), _records("C", 6))
def test_batches_blocked_through_the_kept_index_equal_the_full_join(
    resolver: IdentityResolver, first: list[dict[str, object]], second: list[dict[str, object]],
    third: list[dict[str, object]],
) -> None:  # fmt: skip
    """Two batches in a row against an index, the second against the index the first left (its keys
    extended by the first batch's signatures), give the pairs of blocking against the records."""
    index = resolver.index(table(*first))
    got = _pairs(resolver.score_between(index, table(*second)))
    assert got == _pairs(resolver.score_between(table(*first), table(*second)))
    after = resolver.index_after
    assert after is not None
    assert after.keys is not None
    got = _pairs(resolver.score_between(after, table(*third)))
    assert got == _pairs(resolver.score_between(table(*first, *second), table(*third)))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_records("A", 10), _records("B", 4), _records("R", 5), _records("W", 4))
def test_an_index_extended_with_retired_records_blocks_as_the_full_join_and_leaves_its_own_keys(
    resolver: IdentityResolver, first: list[dict[str, object]], second: list[dict[str, object]],
    retired: list[dict[str, object]], withdrawn: list[dict[str, object]],
) -> None:  # fmt: skip
    """What a run does with records withdrawn before any run linked them: the index it keeps (with its
    blocking index) is extended with the retired records, and the withdrawn ones are blocked through the
    extended blocking index, finding the pairs of the full join; the kept blocking index gains nothing."""
    resolver.score_between(resolver.index(table(*first)), table(*second))
    kept = resolver.index_after
    assert kept is not None
    assert kept.keys is not None
    entries = len(kept.keys._uids)  # what the kept blocking index holds
    extended = resolver.extended(kept, table(*retired))
    assert extended.keys is not None
    assert extended.keys is not kept.keys
    got = _pairs(resolver.score_between(extended, table(*withdrawn)))
    assert got == _pairs(resolver.score_between(table(*first, *second, *retired), table(*withdrawn)))
    assert len(kept.keys._uids) == entries
