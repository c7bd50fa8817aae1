"""Match weights of signature pairs in plain Python, equal to the SQL's (`weights.match_weight_sql`).

Scoring a few new signatures in DuckDB costs half a second whatever their number (planning the
feature and comparison statements; ADR 11), too much to decide a record as it is stored. This is the
first part of a scorer for that path: the comparison levels of `comparisons.py` and the weights of
`weights.py` (Bayes factors, frozen term frequencies) over two signature rows as the SQL features give
them; the hard rules and the decision are `pair_rules`. The SQL stays the reference:
`tests/unit/identity/test_pair_weights.py` holds both to the same float, rule and decision on every
blocked pair of a generated world and on every pair of drawn records. Not used on any path yet: what
decides a record on storing (its component, the twins' doubt, the ambiguity holds) comes next.

SQL's NULL is None here. No level negates an expression that can be NULL, so a NULL condition can be
read as false throughout (`x <> y` is false when either is NULL, as in a WHEN).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import jellyfish

from ilos.adapters.identity.comparisons import JW, SKELETON_JW
from ilos.adapters.identity.frequencies import TermFrequencies
from ilos.adapters.identity.weights import probability

Row = Mapping[str, Any]
#: A level's condition over the left and right signature rows.
Condition = Callable[[Row, Row], bool]


@lru_cache(maxsize=1 << 16)  # a pair's rules ask the same names' similarity several times
def jaro_winkler(a: str, b: str) -> float:
    """DuckDB's `jaro_winkler_similarity(a, b)`, bit for bit: the Jaro similarity summed in its order, and
    the prefix boost as one fused multiply-add (its library's compiled form; a separate multiply and add
    differ from it in the last bit for some pairs)."""
    if not a or not b:
        return 0.0
    similarity = _jaro(a, b)
    if similarity > 0.7:
        prefix = 0
        while prefix < min(len(a), len(b), 4) and a[prefix] == b[prefix]:
            prefix += 1
        similarity = _fused(prefix * 0.1, 1.0 - similarity, similarity)
    return similarity


def _fused(x: float, y: float, z: float) -> float:
    """x * y + z rounded once (`math.fma` from Python 3.13): the product's rounding error, exact by
    Dekker's splitting, summed with it and z by `math.fsum`, which rounds the exact sum once."""
    product = x * y
    x_hi, x_lo = _split(x)
    y_hi, y_lo = _split(y)
    error = ((x_hi * y_hi - product) + x_hi * y_lo + x_lo * y_hi) + x_lo * y_lo
    return math.fsum((product, error, z))


def _split(value: float) -> tuple[float, float]:
    """Dekker's split of a double into two halves of 26 bits whose sum is exactly it."""
    scaled = value * 134217729.0  # 2**27 + 1
    high = scaled - (scaled - value)
    return high, value - high


def _jaro(a: str, b: str) -> float:
    """The Jaro similarity: characters matched within half the longer length, transpositions halved."""
    if len(a) == 1 and len(b) == 1:
        return float(a == b)
    bound = max(max(len(a), len(b)) // 2 - 1, 0)
    taken_b = [False] * len(b)
    matched_a = []
    for i, char in enumerate(a):
        for j in range(max(0, i - bound), min(len(b), i + bound + 1)):
            if not taken_b[j] and b[j] == char:
                taken_b[j] = True
                matched_a.append(char)
                break
    common = len(matched_a)
    if common == 0:
        return 0.0
    matched_b = [char for char, taken in zip(b, taken_b, strict=True) if taken]
    halved = sum(x != y for x, y in zip(matched_a, matched_b, strict=True)) // 2
    similarity = common / len(a)
    similarity += common / len(b)
    similarity += (common - halved) / common
    return similarity / 3.0


def hamming(a: str, b: str) -> int:
    """DuckDB's `hamming` of two texts of one length."""
    return sum(x != y for x, y in zip(a, b, strict=True))


def edits_within(a: str | None, b: str | None, k: int) -> bool:
    """`comparisons.edits_within_sql` (false when either is NULL)."""
    if a is None or b is None:
        return False
    lev = jellyfish.levenshtein_distance(a, b)
    return lev <= k or (lev <= 2 * k and jellyfish.damerau_levenshtein_distance(a, b) <= k)


def _eq(x: Any, y: Any) -> bool:
    return x is not None and y is not None and x == y


def _similar(x: str | None, y: str | None, least: float = JW) -> bool:
    return x is not None and y is not None and jaro_winkler(x, y) >= least


def _starts(x: str | None, y: str | None) -> bool:
    return x is not None and y is not None and x.startswith(y)


def _ends(x: str | None, y: str | None) -> bool:
    return x is not None and y is not None and x.endswith(y)


def _skeleton_alike(left: Row, lname: str, right: Row, rname: str) -> bool:
    """`comparisons.skeleton_alike_sql`: a shared skeleton and a spelling alike."""
    return _eq(left[f"{lname}_skel"], right[f"{rname}_skel"]) and _similar(
        left[f"{lname}_key"], right[f"{rname}_key"], SKELETON_JW
    )


def _same_surname(left: Row, right: Row) -> bool:
    return (
        _eq(left["fam_skel"], right["fam_skel"])
        or _similar(left["fam_key"], right["fam_key"])
        or _starts(left["fam_skel"], right["fam_first_skel"])
        or _starts(right["fam_skel"], left["fam_first_skel"])
    )


def _given_alike(left: Row, right: Row) -> bool:
    return (
        _skeleton_alike(left, "giv", right, "giv")
        or _similar(left["giv_key"], right["giv_key"])
        or _eq(left["giv_first_skel"], right["giv_first_skel"])
        or edits_within(left["giv_key"], right["giv_key"], 2)
    )


def _reordered(left: Row, right: Row) -> bool:
    if left["giv_key"] is None or right["giv_key"] is None:
        return False
    straight = _skeleton_alike(left, "fam", right, "fam") and _skeleton_alike(left, "giv", right, "giv")
    return straight or (
        _skeleton_alike(left, "fam", right, "giv") and _skeleton_alike(left, "giv", right, "fam")
    )


def _compound(left: Row, right: Row) -> bool:
    fam_l, fam_r = left["fam_skel"], right["fam_skel"]
    part = (
        _eq(fam_l, right["fam_first_skel"])
        or _eq(fam_r, left["fam_first_skel"])
        or (fam_r is not None and len(fam_r) >= 3 and _ends(fam_l, fam_r))
        or (fam_l is not None and len(fam_l) >= 3 and _ends(fam_r, fam_l))
    )
    return _skeleton_alike(left, "giv", right, "giv") and part


def _similar_names(left: Row, right: Row) -> bool:
    straight = _similar(left["fam_key"], right["fam_key"]) and _similar(left["giv_key"], right["giv_key"])
    return straight or (
        _similar(left["fam_key"], right["giv_key"]) and _similar(left["giv_key"], right["fam_key"])
    )


def _surname_one_off(left: Row, right: Row) -> bool:
    one_edit = edits_within(left["fam_key"], right["fam_key"], 1) and left["fam_key"] != right["fam_key"]
    return _skeleton_alike(left, "giv", right, "giv") and one_edit


def _given_missing(left: Row, right: Row) -> bool:
    return (left["giv_key"] is None) != (right["giv_key"] is None) and _same_surname(left, right)


def _dob_partial(left: Row, right: Row, length: int) -> bool:
    a, b = left["dob_text"], right["dob_text"]
    return (
        a is not None and b is not None and min(len(a), len(b)) == length and (_starts(a, b) or _starts(b, a))
    )


def _days_apart(left: Row, right: Row) -> bool:
    a, b = left["dob_date"], right["dob_date"]
    return isinstance(a, date) and isinstance(b, date) and abs((a - b).days) == 1


def _year_apart(left: Row, right: Row) -> bool:
    y_l, y_r = left["dob_y"], right["dob_y"]
    same_day = _eq(left["dob_m"], right["dob_m"]) and _eq(left["dob_d"], right["dob_d"])
    return y_l is not None and y_r is not None and abs(y_l - y_r) == 1 and same_day


def _one_digit(left: Row, right: Row) -> bool:
    a, b = left["dob"], right["dob"]
    return a is not None and b is not None and len(a) == len(b) and hamming(a, b) == 1


def _placeholder(left: Row, right: Row) -> bool:
    first = (_eq(left["dob_m"], 1) and _eq(left["dob_d"], 1)) or (
        _eq(right["dob_m"], 1) and _eq(right["dob_d"], 1)
    )
    return _eq(left["dob_y"], right["dob_y"]) and first


def _swapped(left: Row, right: Row) -> bool:
    return (
        _eq(left["dob_y"], right["dob_y"])
        and _eq(left["dob_d"], right["dob_m"])
        and _eq(left["dob_m"], right["dob_d"])
    )


def numbers_one_apart(a: str, b: str) -> bool:
    """`comparisons.doc_one_off_sql`'s test of two document numbers: one substitution between numbers of
    one length, else one edit."""
    if len(a) == len(b) and len(a) > 0:
        return hamming(a, b) == 1
    return bool(jellyfish.levenshtein_distance(a, b) == 1)


def _doc_one_off(left: Row, right: Row) -> bool:
    a, b = left["doc_num"], right["doc_num"]
    if not _eq(left["doc_country"], right["doc_country"]) or a is None or b is None:
        return False
    return numbers_one_apart(a, b)


def _missing(*columns: str) -> Condition:
    return lambda left, right: any(left[c] is None or right[c] is None for c in columns)


def _same(column: str) -> Condition:
    return lambda left, right: _eq(left[column], right[column])


def _differ(column: str) -> Condition:
    return lambda left, right: (
        left[column] is not None and right[column] is not None and left[column] != right[column]
    )


def _always(left: Row, right: Row) -> bool:
    return True


def _exact(what: str, column: str) -> dict[str, Condition]:
    lower = what if what.startswith("A-") else what.lower()
    return {
        f"{what} missing": _missing(column),
        f"Same {lower}": _same(column),
        f"Different {lower}": _always,
    }


#: Each comparison's levels by label (`comparisons.py`), as Python conditions.
CONDITIONS: dict[str, dict[str, Condition]] = {
    "name": {
        "Name missing": _missing("fam_key"),
        "Same names": _same("name_key"),
        "Same names, spelled or ordered differently": _reordered,
        "Same given names, one part of a compound surname": _compound,
        "Names spelled similarly": _similar_names,
        "Same given names, surnames one letter apart": _surname_one_off,
        "Same surname, given names missing on one record": _given_missing,
        "Same surname, given names partly alike": lambda left, right: (
            _same_surname(left, right) and _given_alike(left, right)
        ),
        "Same surname, different given names": _same_surname,
        "Same given names, different surname": lambda left, right: _skeleton_alike(left, "giv", right, "giv"),
        "Different names": _always,
    },
    "dob": {
        "Birth date missing": _missing("dob_text"),
        "Same birth date": _same("dob"),
        "Same birth date, day and month swapped": _swapped,
        "Same birth year, one date is a 1 January placeholder": _placeholder,
        "Only birth year and month known on one record, and they agree": lambda left, right: _dob_partial(
            left, right, 7
        ),
        "Only the birth year known on one record, and it agrees": lambda left, right: _dob_partial(
            left, right, 4
        ),
        "Birth dates one day apart": _days_apart,
        "Birth dates one year apart": _year_apart,
        "Birth dates differ in one digit": _one_digit,
        "Same birth year only": _same("dob_year"),
        "Different birth dates": _always,
    },
    "document": {
        "Document number missing": _missing("doc_num"),
        "Same document number": _same("doc_num"),
        "Document numbers one character apart (misread)": _doc_one_off,
        "Different kinds of document": _differ("doc_type"),
        "Different document numbers (e.g. a renewed passport)": _always,
    },
    "a_number": _exact("A-number", "a9"),
    "citizenship": _exact("Citizenship", "cit"),
    "birth_country": _exact("Birth country", "bcountry"),
    "sex": _exact("Sex", "sex_code"),
}


class PairWeights:
    """The match weight of two signature rows under a model, as `weights.match_weight_sql` gives it: the
    prior's log odds, then each comparison's first level met (its log2 Bayes factor, adjusted by the
    frozen frequency of the pair's value where the level says so), added in the SQL's order."""

    def __init__(self, model: dict[str, Any]) -> None:
        prior = float(model["probability_two_random_records_match"])
        self._prior = math.log2(prior / (1 - prior))
        self._comparisons = [_levels(comparison) for comparison in model["comparisons"]]
        self._frequencies = TermFrequencies(model)
        self._u = self._frequencies.u

    def weight(self, left: Row, right: Row) -> float:
        """The pair's match weight (feature columns named without the `_l`/`_r` suffix)."""
        total = self._prior
        for levels in self._comparisons:
            total += next(
                self._level_weight(level, left, right) for level in levels if level.condition(left, right)
            )
        return total

    def term_frequency(self, column: str, value: Any) -> float | None:
        """`frequencies.lookups`: the value's frozen count shrunk towards the exact level's u."""
        return self._frequencies(column, value)

    def _level_weight(self, level: _Level, left: Row, right: Row) -> float:
        if level.weight is None:  # a null level
            return 0.0
        column = level.tf_column
        if column is None:
            return level.weight
        tf_l, tf_r = self.term_frequency(column, left[column]), self.term_frequency(column, right[column])
        if tf_l is None and tf_r is None:
            return level.weight
        tf = max(t for t in (tf_l, tf_r, 0.0) if t is not None)
        return level.weight + level.scale * (math.log2(self._u[column]) - math.log2(tf))


@dataclass(frozen=True)
class _Level:
    """A comparison level: its condition, weight (None for a null level), and the term-frequency column
    adjusting it with its scale (`weights._level_weight`)."""

    condition: Condition
    weight: float | None
    tf_column: str | None = None
    scale: float = 0.0


def _levels(comparison: dict[str, Any]) -> list[_Level]:
    """A comparison's levels, in order, with the Python condition of each (by its label)."""
    conditions = CONDITIONS[comparison["output_column_name"]]
    levels = []
    for level in comparison["comparison_levels"]:
        condition = conditions[level["label_for_charts"]]
        if level.get("is_null_level"):
            levels.append(_Level(condition, None))
            continue
        weight = math.log2(probability(level, "m_probability") / probability(level, "u_probability"))
        column = level.get("tf_adjustment_column")
        scale = float(level.get("tf_adjustment_weight", 1.0))
        levels.append(_Level(condition, weight, column if column and scale else None, scale))
    return levels
