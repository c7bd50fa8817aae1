"""The comparison design for immigration identities: Splink comparisons as plain level dicts.

Each level has a label a case officer understands; the order of levels is the order of precedence.
Columns are the features of `features.py` (suffixed `_l`/`_r` by Splink).
"""

from __future__ import annotations

from typing import Any

Level = dict[str, Any]

JW = 0.88  # Jaro-Winkler similarity for "similar spelling"


def _null(sql: str, label: str) -> Level:
    return {"sql_condition": sql, "label_for_charts": label, "is_null_level": True}


def _level(sql: str, label: str) -> Level:
    return {"sql_condition": sql, "label_for_charts": label}


def _tf(level: Level) -> Level:
    """The level, adjusted for how common the (more common of the two) full names is."""
    return {**level, "tf_adjustment_column": "name_key"}


def _else(label: str) -> Level:
    return {"sql_condition": "ELSE", "label_for_charts": label}


def _sim(a: str, b: str) -> str:
    return f"jaro_winkler_similarity({a}, {b}) >= {JW}"


def edits_within_sql(a: str, b: str, k: int) -> str:
    """`damerau_levenshtein(a, b) <= k`, the same truth value (NULL included) at a fraction of the cost.

    DuckDB's Damerau-Levenshtein costs about four Levenshtein distances (measured: 0.58 against
    0.14 microseconds a pair of names), and pair scoring asks it of tens of millions of pairs. A
    transposition is one edit to it and at most two to Levenshtein, so Levenshtein lies between the
    distance and twice it: at most `k` decides yes, above `2k` decides no, and only the pairs between
    pay for Damerau-Levenshtein. Both count bytes, so the bounds hold for any text.
    """
    lev = f"levenshtein({a}, {b})"
    return f"({lev} <= {k} OR ({lev} <= {2 * k} AND damerau_levenshtein({a}, {b}) <= {k}))"


def one_edit_sql(a: str, b: str) -> str:
    """`damerau_levenshtein(a, b) = 1` (see `edits_within_sql`)."""
    return f"({edits_within_sql(a, b, 1)} AND {a} <> {b})"


#: Least Jaro-Winkler similarity of two spellings for an equal skeleton to count: the skeleton drops
#: vowels, which carry the name in some languages (SEOYEON and SOOJIN share the skeleton SYN).
SKELETON_JW = 0.75


def skeleton_alike_sql(a: str, b: str) -> str:
    """Names `a` and `b` (name and side, e.g. 'giv_l', 'fam_r') share a skeleton and look alike as spelled."""
    (name_a, side_a), (name_b, side_b) = a.rsplit("_", 1), b.rsplit("_", 1)
    skel = f"{name_a}_skel_{side_a} = {name_b}_skel_{side_b}"
    spelled = f"jaro_winkler_similarity({name_a}_key_{side_a}, {name_b}_key_{side_b}) >= {SKELETON_JW}"
    return f"({skel} AND {spelled})"


def _same_names_reordered() -> str:
    skel = f"{skeleton_alike_sql('fam_l', 'fam_r')} AND {skeleton_alike_sql('giv_l', 'giv_r')}"
    swap = f"{skeleton_alike_sql('fam_l', 'giv_r')} AND {skeleton_alike_sql('giv_l', 'fam_r')}"
    return f"giv_key_l IS NOT NULL AND giv_key_r IS NOT NULL AND (({skel}) OR ({swap}))"


def _compound() -> str:
    """Same given names; one surname is the first or the last part of the other (a compound surname cut short)."""
    part = (
        "(fam_skel_l = fam_first_skel_r OR fam_skel_r = fam_first_skel_l"
        " OR (length(fam_skel_r) >= 3 AND ends_with(fam_skel_l, fam_skel_r))"
        " OR (length(fam_skel_l) >= 3 AND ends_with(fam_skel_r, fam_skel_l)))"
    )
    return f"{skeleton_alike_sql('giv_l', 'giv_r')} AND {part}"


def _similar_names() -> str:
    straight = f"{_sim('fam_key_l', 'fam_key_r')} AND {_sim('giv_key_l', 'giv_key_r')}"
    swapped = f"{_sim('fam_key_l', 'giv_key_r')} AND {_sim('giv_key_l', 'fam_key_r')}"
    return f"({straight}) OR ({swapped})"


def _surname_one_off() -> str:
    """Same given names; the surnames differ by one letter typed, dropped, added or transposed. A short
    surname misread by one letter (ARCE/AECE) falls below the spelling similarity of longer names."""
    return f"{skeleton_alike_sql('giv_l', 'giv_r')} AND {one_edit_sql('fam_key_l', 'fam_key_r')}"


def same_surname_sql() -> str:
    """Surnames alike: same skeleton, similar spelling, or one compound part of the other."""
    part = "(starts_with(fam_skel_l, fam_first_skel_r) OR starts_with(fam_skel_r, fam_first_skel_l))"
    return f"(fam_skel_l = fam_skel_r OR {_sim('fam_key_l', 'fam_key_r')} OR {part})"


def given_alike_sql(same_first: str = "giv_first_skel_l = giv_first_skel_r") -> str:
    """Given names alike: same skeleton or first given name (`same_first` decides), similar
    spelling, or two edits apart."""
    return (
        f"({skeleton_alike_sql('giv_l', 'giv_r')} OR {_sim('giv_key_l', 'giv_key_r')} "
        f"OR {same_first} OR {edits_within_sql('giv_key_l', 'giv_key_r', 2)})"
    )


def _given_missing() -> str:
    one_missing = "(giv_key_l IS NULL) <> (giv_key_r IS NULL)"
    return f"{one_missing} AND {same_surname_sql()}"


def name_comparison() -> dict[str, Any]:
    """Family and given names together, in either order."""
    levels = [
        _null("fam_key_l IS NULL OR fam_key_r IS NULL", "Name missing"),
        _tf(_level('"name_key_l" = "name_key_r"', "Same names")),
        _tf(_level(_same_names_reordered(), "Same names, spelled or ordered differently")),
        _tf(_level(_compound(), "Same given names, one part of a compound surname")),
        _tf(_level(_similar_names(), "Names spelled similarly")),
        _level(_surname_one_off(), "Same given names, surnames one letter apart"),
        _level(_given_missing(), "Same surname, given names missing on one record"),
        _level(f"{same_surname_sql()} AND {given_alike_sql()}", "Same surname, given names partly alike"),
        _level(same_surname_sql(), "Same surname, different given names"),
        _level(skeleton_alike_sql("giv_l", "giv_r"), "Same given names, different surname"),
        _else("Different names"),
    ]
    return {"output_column_name": "name", "comparison_levels": levels}


def _dob_partial(length: int) -> str:
    """The shorter date has `length` characters (7: year-month, 4: year) and agrees with the other."""
    shorter = f"least(length(dob_text_l), length(dob_text_r)) = {length}"
    prefix = "(starts_with(dob_text_l, dob_text_r) OR starts_with(dob_text_r, dob_text_l))"
    return f"{shorter} AND {prefix}"


def _hamming_one() -> str:
    return "dob_l IS NOT NULL AND dob_r IS NOT NULL AND hamming(dob_l, dob_r) = 1"


def dob_comparison() -> dict[str, Any]:
    """Birth dates with the errors sources make."""
    levels = [
        _null("dob_text_l IS NULL OR dob_text_r IS NULL", "Birth date missing"),
        {**_level('"dob_l" = "dob_r"', "Same birth date"), "tf_adjustment_column": "dob"},
        _level(
            "dob_y_l = dob_y_r AND dob_d_l = dob_m_r AND dob_m_l = dob_d_r",
            "Same birth date, day and month swapped",
        ),
        _level(
            "dob_y_l = dob_y_r AND ((dob_m_l = 1 AND dob_d_l = 1) OR (dob_m_r = 1 AND dob_d_r = 1))",
            "Same birth year, one date is a 1 January placeholder",
        ),
        _level(_dob_partial(7), "Only birth year and month known on one record, and they agree"),
        _level(_dob_partial(4), "Only the birth year known on one record, and it agrees"),
        _level("abs(date_diff('day', dob_date_l, dob_date_r)) = 1", "Birth dates one day apart"),
        _level(
            "abs(dob_y_l - dob_y_r) = 1 AND dob_m_l = dob_m_r AND dob_d_l = dob_d_r",
            "Birth dates one year apart",
        ),
        _level(_hamming_one(), "Birth dates differ in one digit"),
        _level("dob_year_l = dob_year_r", "Same birth year only"),
        _else("Different birth dates"),
    ]
    return {"output_column_name": "dob", "comparison_levels": levels}


def doc_one_off_sql() -> str:
    """Document numbers one character apart (Levenshtein), issued by the same country.

    Between numbers of one length only a substitution is one edit, so the Hamming distance, several
    times cheaper, answers for them. Both count bytes, as Levenshtein does, so lengths are compared in
    bytes (`strlen`); DuckDB's `hamming` refuses empty text, which Levenshtein then answers.
    """
    one_off = (
        "CASE WHEN strlen(doc_num_l) = strlen(doc_num_r) AND strlen(doc_num_l) > 0"
        " THEN hamming(doc_num_l, doc_num_r) = 1 ELSE levenshtein(doc_num_l, doc_num_r) = 1 END"
    )
    return f"doc_country_l = doc_country_r AND {one_off}"


def document_comparison() -> dict[str, Any]:
    """Travel document numbers."""
    levels = [
        _null("doc_num_l IS NULL OR doc_num_r IS NULL", "Document number missing"),
        _level("doc_num_l = doc_num_r", "Same document number"),
        _level(doc_one_off_sql(), "Document numbers one character apart (misread)"),
        _level("doc_type_l <> doc_type_r", "Different kinds of document"),
        _else("Different document numbers (e.g. a renewed passport)"),
    ]
    return {"output_column_name": "document", "comparison_levels": levels}


def _exact(name: str, column: str, what: str) -> dict[str, Any]:
    lower = what if what.startswith("A-") else what.lower()
    levels = [
        _null(f"{column}_l IS NULL OR {column}_r IS NULL", f"{what} missing"),
        _level(f"{column}_l = {column}_r", f"Same {lower}"),
        _else(f"Different {lower}"),
    ]
    return {"output_column_name": name, "comparison_levels": levels}


def comparisons() -> list[dict[str, Any]]:
    """All comparisons of the model."""
    return [
        name_comparison(),
        dob_comparison(),
        document_comparison(),
        _exact("a_number", "a9", "A-number"),
        _exact("citizenship", "cit", "Citizenship"),
        _exact("birth_country", "bcountry", "Birth country"),
        _exact("sex", "sex_code", "Sex"),
    ]


_DOB_NEAR = (
    "(l.dob_m = r.dob_m OR l.dob_d = r.dob_d OR l.dob_m = r.dob_d OR l.dob_m IS NULL OR r.dob_m IS NULL"
    " OR l.dob_d = r.dob_m OR (l.dob_m = 1 AND l.dob_d = 1) OR (r.dob_m = 1 AND r.dob_d = 1))"
)
#: The first words of both names as a set (either order): `first_lo`/`first_hi` are their least and greatest skeletons.
_ORDER_FREE = "l.first_lo = r.first_lo AND l.first_hi = r.first_hi"


def _rule(sql: str, explode: str | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"blocking_rule": sql, "sql_dialect": "duckdb"}
    if explode:
        rule["arrays_to_explode"] = [explode]
    return rule


#: Records without a birth date, on either side: two rules, so that the filter applies before the join.
_DOB_MISSING = ("l.dob_year IS NULL", "r.dob_year IS NULL")
_NAMES = "l.fam_skel = r.fam_skel AND l.giv_skel = r.giv_skel"
#: A record only its criminal matter or filing identifies is paired through its shared numbers only.
_NOT_THIN = " AND l.thin_incident IS NULL AND r.thin_incident IS NULL"


def blocking_rules(only_new: bool = False) -> list[dict[str, Any]]:
    """Blocking rules (Splink dicts); `only_new` keeps pairs touching a record flagged `is_new`.

    Every rule joins on keys whose blocks stay small as the population grows (a number, a full
    birth date with a second key, a name skeleton with part of the birth date, both name
    skeletons when one record has no birth date, or a document number of one country misread by one
    character, through its masked keys `doc_keys`), so the pairs to score grow about linearly: one
    name part or one birth date alone would make them grow with the square of the population. `benchmarks/identity/blocking.py` measures what each rule adds.
    The set is closed under swapping sides (each rule is symmetric or has its mirror here), so a
    batch can be joined from its new rows only (`scoring.block_new`). A record that only its
    criminal matter or filing identifies (`thin_incident`) is paired by the shared-number rule alone.
    """
    parts = ("fam_skel", "giv_skel", "fam_first_skel")
    identity = [
        "l.a9 = r.a9",
        "l.doc_num = r.doc_num",
        "l.dob = r.dob AND l.cit = r.cit AND l.sex_code = r.sex_code",
        *(f"l.{part} = r.{part} AND l.dob = r.dob" for part in parts),
        "l.fam_skel = r.giv_skel AND l.dob = r.dob",
        "l.giv_skel = r.fam_skel AND l.dob = r.dob",
        f"{_NAMES} AND l.dob_year = r.dob_year",
        f"{_ORDER_FREE} AND l.dob_year = r.dob_year",
        f"{_ORDER_FREE} AND l.dob_m = r.dob_m AND l.dob_d = r.dob_d",
        f"l.fam_skel = r.fam_skel AND l.cit = r.cit AND l.dob_year = r.dob_year AND {_DOB_NEAR}",
        "l.fam_skel = r.fam_skel AND l.cit = r.cit AND l.dob_m = r.dob_m AND l.dob_d = r.dob_d",
        *(f"{_NAMES} AND {missing}" for missing in _DOB_MISSING),
        *(f"{_ORDER_FREE} AND l.cit = r.cit AND {missing}" for missing in _DOB_MISSING),
    ]
    new = " AND (l.is_new OR r.is_new)" if only_new else ""
    shared_number = _rule("l.adms = r.adms" + new, explode="adms")
    misread = _rule(f"l.doc_keys = r.doc_keys AND l.doc_num <> r.doc_num{_NOT_THIN}{new}", explode="doc_keys")
    return [shared_number, *(_rule(sql + _NOT_THIN + new) for sql in identity), misread]
