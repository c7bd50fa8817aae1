"""Hard rules beside the probabilities, and the decision bands.

Precedence: different A-numbers (never the same person), twins (kept apart, unless the weights link
a record of one twin's document to a record of the other's: `scoring._doubt_twins`), the same admission
number or criminal matter (always linked), the same passport with irreconcilable birth dates (review, not link),
surnames no known error explains with no shared document or A-number (review, not link), a surname alone on
both records with no birth date, document or A-number in common (review, not link);
otherwise the match weight decides: link at or above UPPER, separate below LOWER, review between.
A record the weights would link to both of two records kept as twins (`ambiguous`, decided after
scoring) goes to review instead, unless its evidence clearly decides (scoring.CLEAR_MARGIN): then
only its links to the twin it does not go with (both twin links when a third link places it) do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ilos.adapters.identity.comparisons import (
    JW,
    SKELETON_JW,
    doc_one_off_sql,
    edits_within_sql,
    given_alike_sql,
    same_surname_sql,
)
from ilos.adapters.identity.features import INCIDENT_PREFIX, RECEIPT_PREFIX

#: Match weight (log2 Bayes factor with the prior) at or above which a pair is linked.
UPPER = 7.0
#: Match weight below which a pair is kept separate.
LOWER = 0.0
#: Rules that link a pair because its records share a number only one person's records carry.
SHARED_NUMBER_RULES = ("same_admission_number", "same_incident", "same_receipt")

RULES = (
    "different_a_number",
    "twins",
    "same_admission_number",
    "same_incident",
    "same_receipt",
    "passport_dob_conflict",
    "surname_conflict",
    "surname_only",
    "ambiguous",
)
#: Rules that send a pair the weights would link to review instead.
REVIEW_RULES = ("passport_dob_conflict", "surname_conflict", "surname_only")


def sql_list(values: Iterable[str]) -> str:
    """Values as an SQL list of string literals, for `IN`: ('a', 'b')."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def paired_columns(columns: Iterable[str], left: str = "l", right: str = "r") -> str:
    """Select-list items naming each column of the rows aliased `left` and `right` as the rules
    read them: `left.c AS c_l, right.c AS c_r`."""
    return ", ".join(
        f"{alias}.{c} AS {c}_{side}" for c in columns for alias, side in ((left, "l"), (right, "r"))
    )


def columns_read(sql: str) -> list[str]:
    """The feature columns a pair condition written on `_l`/`_r` columns reads, sorted."""
    return sorted(set(re.findall(r"\b([a-z0-9_]+)_[lr]\b", sql)))


def birth_dates_apart_sql() -> str:
    """Both records state a full birth date and no known kind of error explains their difference:
    namesakes, not one person, unless other evidence says so."""
    full = "length(dob_text_l) = 10 AND length(dob_text_r) = 10"
    return f"coalesce({full} AND NOT {_dob_reconcilable()}, false)"


def _dob_reconcilable() -> str:
    """Birth dates that one known kind of error explains: swap, placeholder, partial, one digit or unit."""
    return """(
        dob_text_l = dob_text_r
        OR length(dob_text_l) < 10 OR length(dob_text_r) < 10
        OR (dob_y_l = dob_y_r AND dob_d_l = dob_m_r AND dob_m_l = dob_d_r)
        OR (dob_y_l = dob_y_r AND ((dob_m_l = 1 AND dob_d_l = 1) OR (dob_m_r = 1 AND dob_d_r = 1)))
        OR hamming(dob_l, dob_r) = 1
        OR abs(date_diff('day', dob_date_l, dob_date_r)) = 1
        OR (abs(dob_y_l - dob_y_r) = 1 AND dob_m_l = dob_m_r AND dob_d_l = dob_d_r)
    )"""


def _docs_differ() -> str:
    same = f"(doc_num_l = doc_num_r OR ({doc_one_off_sql()}))"
    return f"(doc_num_l IS NULL OR doc_num_r IS NULL OR NOT {same})"


def _alike(a: str, b: str) -> str:
    """Two name keys (e.g. 'fam_key_l', 'giv_key_r') alike: same skeleton or similar spelling."""
    skel_a, skel_b = a.replace("_key_", "_skel_"), b.replace("_key_", "_skel_")
    return f"({skel_a} = {skel_b} OR jaro_winkler_similarity({a}, {b}) >= {JW})"


#: Shortest skeleton for which one edit between two given-name skeletons still reads as one name:
#: HSN/HNS (HASSAN in Latin and from Arabic script) are one name, MN/HN (MINJUN/HAEUN) are not.
VARIANT_SKELETON_MIN = 3
#: Shortest surname for which one slip still reads as one surname (FREI/FTEI, not WU/XU or KIM/KIN).
SLIP_SURNAME_MIN = 4


def given_variant_sql() -> str:
    """Given names that one recording of one name explains: alike as the name comparison judges
    (but a first given name of a one-letter skeleton — SEO, SU: S — must begin the other names), or
    skeletons one edit apart (three letters or more) when the spellings still look alike or one was
    folded from a script that leaves vowels out (FATIMA/FTMH, VIKTORIN/VIKTOIN, HASSAN/HNS — but not
    SEOYEON/SUBIN, whose skeletons SYN and SBN differ by one letter too), or, one of them folded from
    such a script, equal coarse skeletons (`features.abjad_skeleton`: REZA/رضا, KHADIGA/خديجة)."""
    looks = f"jaro_winkler_similarity(giv_key_l, giv_key_r) >= {SKELETON_JW}"
    near = (
        f"({edits_within_sql('giv_skel_l', 'giv_skel_r', 1)}"
        f" AND least(length(giv_skel_l), length(giv_skel_r)) >= {VARIANT_SKELETON_MIN}"
        f" AND ({looks} OR giv_abjad_l OR giv_abjad_r))"
    )
    abjad = (
        "coalesce((giv_abjad_l OR giv_abjad_r) AND giv_abjad_skel_l = giv_abjad_skel_r"
        f" AND length(giv_abjad_skel_l) >= {VARIANT_SKELETON_MIN - 1}, false)"
    )
    first = (
        "(giv_first_skel_l = giv_first_skel_r AND (length(giv_first_skel_l) >= 2"
        " OR starts_with(giv_key_l, giv_key_r) OR starts_with(giv_key_r, giv_key_l)))"
    )
    return f"({given_alike_sql(first)} OR {near} OR {abjad})"


def given_slip_sql() -> str:
    """Given names one recording apart at most: the same skeleton (vowels written otherwise, LAYLA and
    LEILA), or one slip of the keyboard (LAYLA and LAYLS). Stricter than `given_variant_sql`."""
    return f"(giv_skel_l = giv_skel_r OR {edits_within_sql('giv_key_l', 'giv_key_r', 1)})"


def twins_sql() -> str:
    """Same full birth date and surname, other documents (or none), no shared admission number or
    criminal matter (twins can share a filing's receipt),
    given names that are not one name (and not the names swapped) — or, when both records state a
    different sex, given names not written the same (LUZ and LUIS share a skeleton, but not a person)."""
    crossed = f"({_alike('fam_key_l', 'giv_key_r')} OR {_alike('giv_key_l', 'fam_key_r')})"
    sexes_differ = "coalesce(sex_code_l <> sex_code_r, false)"
    different = f"(NOT {given_variant_sql()} OR ({sexes_differ} AND giv_key_l <> giv_key_r))"
    # cheap and selective tests first: a CASE condition is evaluated only on the rows still in play
    return f"""(
        dob_l = dob_r AND giv_key_l IS NOT NULL AND giv_key_r IS NOT NULL
        AND {_docs_differ()}
        AND {_alike("fam_key_l", "fam_key_r")}
        AND {different}
        AND NOT {crossed}
        AND (NOT list_has_any(adms_l, adms_r) OR NOT {_shared_besides_receipts()})
    )"""


def _shares(test: str) -> str:
    """The pair shares a number for which the SQL `test` on `x` holds."""
    return f"len(list_filter(list_intersect(adms_l, adms_r), lambda x: {test})) > 0"


def _shared(prefix: str = "") -> str:
    """The numbers both records of a pair carry: those beginning with `prefix`, or admission numbers."""
    if prefix:
        return _shares(f"starts_with(x, '{prefix}')")
    return _shares(f"NOT starts_with(x, '{INCIDENT_PREFIX}') AND NOT starts_with(x, '{RECEIPT_PREFIX}')")


def _shared_besides_receipts() -> str:
    """The pair shares an admission number or a criminal matter (not only a filing's receipt)."""
    return _shares(f"NOT starts_with(x, '{RECEIPT_PREFIX}')")


def _shared_number_rule() -> str:
    """The rule of a pair sharing a number: an admission number, else a criminal matter's incident,
    else a filing's receipt."""
    return f"""CASE WHEN {_shared()} THEN 'same_admission_number'
        WHEN {_shared(INCIDENT_PREFIX)} THEN 'same_incident' ELSE 'same_receipt' END"""


def _receipt_of_two() -> str:
    """The pair shares only a filing's receipt while its records say two people: full birth dates no
    known error reconciles, another sex, or given names that are not one name. A filing can name
    co-applicants (a parent and child, a married couple, twins on one request), so the receipt alone
    does not make them one person and the weights (or the twins rule) decide."""
    sexes_differ = "coalesce(sex_code_l <> sex_code_r, false)"
    givens_differ = f"(giv_key_l IS NOT NULL AND giv_key_r IS NOT NULL AND NOT {given_variant_sql()})"
    two = f"({birth_dates_apart_sql()} OR {sexes_differ} OR {givens_differ})"
    # the cheap tests first: most pairs sharing a number are one person's records, which `two` clears
    return f"({two} AND NOT {_shared_besides_receipts()})"


def rule_sql() -> str:
    """CASE expression naming the hard rule that decides a pair ('' when none does)."""
    return f"""CASE
        WHEN a9_l <> a9_r THEN 'different_a_number'
        WHEN {twins_sql()} THEN 'twins'
        WHEN list_has_any(adms_l, adms_r) AND NOT {_receipt_of_two()} THEN {_shared_number_rule()}
        WHEN doc_num_l = doc_num_r AND doc_country_l = doc_country_r AND {birth_dates_apart_sql()}
             AND match_weight >= {UPPER} THEN 'passport_dob_conflict'
        WHEN match_weight >= {UPPER} AND {surname_conflict_sql()} THEN 'surname_conflict'
        WHEN match_weight >= {UPPER} AND {surname_only_sql()} THEN 'surname_only'
        ELSE '' END"""


def surname_conflict_sql() -> str:
    """Surnames that no known error explains (not alike, not one slip apart, not one transliteration
    apart, not a compound part, not swapped with the given names) and no shared number to vouch for
    the pair: a name change or a different person, which a person decides."""
    slip = (
        f"({edits_within_sql('fam_key_l', 'fam_key_r', 1)}"
        f" AND least(length(fam_key_l), length(fam_key_r)) >= {SLIP_SURNAME_MIN})"
    )
    transliterated = (
        f"({edits_within_sql('fam_skel_l', 'fam_skel_r', 1)}"
        f" AND least(length(fam_skel_l), length(fam_skel_r)) >= {VARIANT_SKELETON_MIN})"
    )
    same = f"({_alike('fam_key_l', 'fam_key_r')} OR {same_surname_sql()} OR {slip} OR {transliterated})"
    swapped = f"({_alike('fam_key_l', 'giv_key_r')} OR {_alike('giv_key_l', 'fam_key_r')})"
    vouched = "(doc_num_l = doc_num_r OR a9_l = a9_r)"
    return f"(fam_key_l IS NOT NULL AND fam_key_r IS NOT NULL AND NOT {same} AND NOT {swapped} AND NOT coalesce({vouched}, false))"


def surname_only_sql() -> str:
    """Neither record carries a given name, and no full birth date, document or A-number vouches for
    the pair: a surname, however rare, and a citizenship do not make two records one person (a court
    order naming LOVATO is not the LOVATO who arrived on a passport), so a person decides."""
    dob = "(dob_text_l = dob_text_r AND length(dob_text_l) = 10)"
    vouched = f"({dob} OR doc_num_l = doc_num_r OR a9_l = a9_r)"
    return f"(giv_key_l IS NULL AND giv_key_r IS NULL AND NOT coalesce({vouched}, false))"


def decision_sql(rule: str = "rule") -> str:
    """CASE expression of the decision given the deciding rule column and match_weight."""
    return f"""CASE
        WHEN {rule} IN ('different_a_number', 'twins') THEN 'separate'
        WHEN {rule} IN {SHARED_NUMBER_RULES} THEN 'link'
        WHEN {rule} IN {sql_list(REVIEW_RULES)} THEN 'review'
        WHEN match_weight >= {UPPER} THEN 'link'
        WHEN match_weight < {LOWER} THEN 'separate'
        ELSE 'review' END"""
