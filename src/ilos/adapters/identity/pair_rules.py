"""The hard rules and the decision of a signature pair in plain Python, equal to the SQL's
(`rules.rule_sql`, `rules.decision_sql`), for the scorer of records decided as they are stored (ADR 11;
the weights: `pair_weights`). `tests/unit/identity/test_pair_weights.py` holds both to the SQL on
every blocked pair of a generated world and on every pair of drawn records.

The rules negate conditions that can be NULL, so they are written in SQL's three-valued logic: True,
False and None (unknown). A WHEN holds only when its condition is True.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ilos.adapters.identity.comparisons import JW, SKELETON_JW
from ilos.adapters.identity.features import INCIDENT_PREFIX, RECEIPT_PREFIX
from ilos.adapters.identity.pair_weights import edits_within, hamming, jaro_winkler, numbers_one_apart
from ilos.adapters.identity.rules import (
    LOWER,
    REVIEW_RULES,
    SHARED_NUMBER_RULES,
    SLIP_SURNAME_MIN,
    UPPER,
    VARIANT_SKELETON_MIN,
)

Row = Mapping[str, Any]
Truth = bool | None


def _and(*values: Truth) -> Truth:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(*values: Truth) -> Truth:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _not(value: Truth) -> Truth:
    return None if value is None else not value


def _eq(x: Any, y: Any) -> Truth:
    return None if x is None or y is None else x == y


def _ne(x: Any, y: Any) -> Truth:
    return None if x is None or y is None else x != y


def _at_least(x: float | None, least: float) -> Truth:
    return None if x is None else x >= least


def _length(x: str | None) -> int | None:
    return None if x is None else len(x)


def _least(*values: int | None) -> int | None:
    """SQL's `least`: the smallest value that is not NULL."""
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _starts(x: str | None, y: str | None) -> Truth:
    return None if x is None or y is None else x.startswith(y)


def _similarity(x: str | None, y: str | None) -> float | None:
    return None if x is None or y is None else jaro_winkler(x, y)


def _edits_within(x: str | None, y: str | None, k: int) -> Truth:
    """`comparisons.edits_within_sql`, NULL when either is."""
    return None if x is None or y is None else edits_within(x, y, k)


def _alike(left: Row, a: str, right: Row, b: str) -> Truth:
    """`rules._alike` of the name keys `a` of `left` and `b` of `right` ('fam_key', 'giv_key')."""
    skel_a, skel_b = a.replace("_key", "_skel"), b.replace("_key", "_skel")
    return _or(_eq(left[skel_a], right[skel_b]), _at_least(_similarity(left[a], right[b]), JW))


def birth_dates_apart(left: Row, right: Row) -> bool:
    """`rules.birth_dates_apart_sql`: two full birth dates no known kind of error explains."""
    text_l, text_r = left["dob_text"], right["dob_text"]
    if text_l is None or text_r is None or len(text_l) != 10 or len(text_r) != 10:
        return False
    y_l, m_l, d_l, y_r, m_r, d_r = (row[c] for row in (left, right) for c in ("dob_y", "dob_m", "dob_d"))
    reconcilable = (
        text_l == text_r
        or (y_l == y_r and d_l == m_r and m_l == d_r)
        or (y_l == y_r and ((m_l == 1 and d_l == 1) or (m_r == 1 and d_r == 1)))
        or hamming(left["dob"], right["dob"]) == 1
        or abs((left["dob_date"] - right["dob_date"]).days) == 1
        or (abs(y_l - y_r) == 1 and m_l == m_r and d_l == d_r)
    )
    return not reconcilable


def _doc_one_off(left: Row, right: Row) -> Truth:
    """`comparisons.doc_one_off_sql` (unknown when either number is missing)."""
    a, b = left["doc_num"], right["doc_num"]
    if a is None or b is None:
        return None
    return _and(_eq(left["doc_country"], right["doc_country"]), numbers_one_apart(a, b))


def _docs_differ(left: Row, right: Row) -> Truth:
    same = _or(_eq(left["doc_num"], right["doc_num"]), _doc_one_off(left, right))
    return _or(left["doc_num"] is None, right["doc_num"] is None, _not(same))


def _skeleton_alike(left: Row, right: Row) -> Truth:
    """`comparisons.skeleton_alike_sql('giv_l', 'giv_r')`."""
    return _and(
        _eq(left["giv_skel"], right["giv_skel"]),
        _at_least(_similarity(left["giv_key"], right["giv_key"]), SKELETON_JW),
    )


def given_variant(left: Row, right: Row) -> Truth:
    """`rules.given_variant_sql`: given names one recording of one name explains."""
    giv_l, giv_r = left["giv_key"], right["giv_key"]
    first = _and(
        _eq(left["giv_first_skel"], right["giv_first_skel"]),
        _or(_at_least(_length(left["giv_first_skel"]), 2), _starts(giv_l, giv_r), _starts(giv_r, giv_l)),
    )
    alike = _or(
        _skeleton_alike(left, right),
        _at_least(_similarity(giv_l, giv_r), JW),
        first,
        _edits_within(giv_l, giv_r, 2),
    )
    abjad_l, abjad_r = left["giv_abjad"], right["giv_abjad"]
    near = _and(
        _edits_within(left["giv_skel"], right["giv_skel"], 1),
        _at_least(_least(_length(left["giv_skel"]), _length(right["giv_skel"])), VARIANT_SKELETON_MIN),
        _or(_at_least(_similarity(giv_l, giv_r), SKELETON_JW), abjad_l, abjad_r),
    )
    abjad = _and(
        _or(abjad_l, abjad_r),
        _eq(left["giv_abjad_skel"], right["giv_abjad_skel"]),
        _at_least(_length(left["giv_abjad_skel"]), VARIANT_SKELETON_MIN - 1),
    )
    return _or(alike, near, abjad is True)


def _shared(left: Row, right: Row) -> set[str]:
    """The numbers both records carry (`list_intersect(adms_l, adms_r)`)."""
    return set(left["adms"] or ()) & set(right["adms"] or ())


def _besides_receipts(shared: set[str]) -> bool:
    return any(not x.startswith(RECEIPT_PREFIX) for x in shared)


def _sexes_differ(left: Row, right: Row) -> bool:
    return _ne(left["sex_code"], right["sex_code"]) is True


def twins(left: Row, right: Row) -> Truth:
    """`rules.twins_sql`."""
    giv_l, giv_r = left["giv_key"], right["giv_key"]
    born_alike = _and(_eq(left["dob"], right["dob"]), giv_l is not None, giv_r is not None)
    if born_alike is False:  # the conjunction is false whatever the costly terms below say
        return False
    different = _or(_not(given_variant(left, right)), _and(_sexes_differ(left, right), _ne(giv_l, giv_r)))
    crossed = _or(_alike(left, "fam_key", right, "giv_key"), _alike(left, "giv_key", right, "fam_key"))
    shared = _shared(left, right)
    return _and(
        born_alike,
        _docs_differ(left, right),
        _alike(left, "fam_key", right, "fam_key"),
        different,
        _not(crossed),
        not shared or not _besides_receipts(shared),
    )


def _receipt_of_two(left: Row, right: Row) -> Truth:
    givens_differ = _and(
        left["giv_key"] is not None, right["giv_key"] is not None, _not(given_variant(left, right))
    )
    two = _or(birth_dates_apart(left, right), _sexes_differ(left, right), givens_differ)
    return _and(two, not _besides_receipts(_shared(left, right)))


def _shared_number_rule(shared: set[str]) -> str:
    if any(not x.startswith(INCIDENT_PREFIX) and not x.startswith(RECEIPT_PREFIX) for x in shared):
        return "same_admission_number"
    if any(x.startswith(INCIDENT_PREFIX) for x in shared):
        return "same_incident"
    return "same_receipt"


def _same_surname(left: Row, right: Row) -> Truth:
    """`comparisons.same_surname_sql`."""
    return _or(
        _eq(left["fam_skel"], right["fam_skel"]),
        _at_least(_similarity(left["fam_key"], right["fam_key"]), JW),
        _or(
            _starts(left["fam_skel"], right["fam_first_skel"]),
            _starts(right["fam_skel"], left["fam_first_skel"]),
        ),
    )


def surname_conflict(left: Row, right: Row) -> Truth:
    """`rules.surname_conflict_sql`."""
    fam_l, fam_r, skel_l, skel_r = left["fam_key"], right["fam_key"], left["fam_skel"], right["fam_skel"]
    slip = _and(
        _edits_within(fam_l, fam_r, 1), _at_least(_least(_length(fam_l), _length(fam_r)), SLIP_SURNAME_MIN)
    )
    transliterated = _and(
        _edits_within(skel_l, skel_r, 1),
        _at_least(_least(_length(skel_l), _length(skel_r)), VARIANT_SKELETON_MIN),
    )
    same = _or(_alike(left, "fam_key", right, "fam_key"), _same_surname(left, right), slip, transliterated)
    swapped = _or(_alike(left, "fam_key", right, "giv_key"), _alike(left, "giv_key", right, "fam_key"))
    vouched = _or(_eq(left["doc_num"], right["doc_num"]), _eq(left["a9"], right["a9"]))
    return _and(fam_l is not None, fam_r is not None, _not(same), _not(swapped), not vouched)


def surname_only(left: Row, right: Row) -> Truth:
    """`rules.surname_only_sql`."""
    dob = _and(_eq(left["dob_text"], right["dob_text"]), _eq(_length(left["dob_text"]), 10))
    vouched = _or(dob, _eq(left["doc_num"], right["doc_num"]), _eq(left["a9"], right["a9"]))
    return _and(left["giv_key"] is None, right["giv_key"] is None, not vouched)


def rule(left: Row, right: Row, match_weight: float) -> str:
    """`rules.rule_sql`: the hard rule that decides the pair ('' when none does)."""
    if _ne(left["a9"], right["a9"]):
        return "different_a_number"
    if twins(left, right):
        return "twins"
    shared = _shared(left, right)
    if shared and _not(_receipt_of_two(left, right)):
        return _shared_number_rule(shared)
    same_document = _and(
        _eq(left["doc_num"], right["doc_num"]), _eq(left["doc_country"], right["doc_country"])
    )
    strong = match_weight >= UPPER
    if same_document and birth_dates_apart(left, right) and strong:
        return "passport_dob_conflict"
    if strong and surname_conflict(left, right):
        return "surname_conflict"
    if strong and surname_only(left, right):
        return "surname_only"
    return ""


def decision(rule: str, match_weight: float) -> str:
    """`rules.decision_sql`: separate, link or review, by the deciding rule, else by the weight."""
    if rule in ("different_a_number", "twins"):
        return "separate"
    if rule in SHARED_NUMBER_RULES:
        return "link"
    if rule in REVIEW_RULES:
        return "review"
    if match_weight >= UPPER:
        return "link"
    return "separate" if match_weight < LOWER else "review"
