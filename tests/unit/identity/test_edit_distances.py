"""The cheap forms of the edit-distance conditions answer exactly what the costly functions answer."""

from __future__ import annotations

import itertools

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ilos.adapters.identity.comparisons import doc_one_off_sql, edits_within_sql, one_edit_sql

#: Short texts over few letters (accented ones included: both distances count bytes), so that
#: transpositions, slips and equal texts are all common; None for the NULL cases.
TEXTS = st.one_of(st.none(), st.text(alphabet="ABCÄ", max_size=6))
#: Document numbers as features make them (ASCII, five characters or more), and text no feature holds
#: (empty, accented): the cheap form must agree on any text.
DOCS = st.one_of(
    st.none(), st.text(alphabet="AB12", min_size=4, max_size=7), st.text(alphabet="AÄ1", max_size=4)
)


def _disagreements(left: list[str | None], right: list[str | None], cheap: str, costly: str) -> list[tuple]:
    """Pairs (all combinations of `left` x `right`) on which the two conditions differ, NULL included."""
    pairs = list(itertools.product(left, right))
    table = pa.table(
        {"x_l": [p[0] for p in pairs], "x_r": [p[1] for p in pairs]},
        schema=pa.schema([("x_l", pa.string()), ("x_r", pa.string())]),
    )
    con = duckdb.connect()
    con.register("pairs", table)
    sql = f"SELECT x_l, x_r, {cheap} AS cheap, {costly} AS costly FROM pairs WHERE cheap IS DISTINCT FROM costly"
    return con.sql(sql).fetchall()


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=12), st.lists(TEXTS, min_size=1, max_size=12))
def test_edits_within_agrees_with_damerau_levenshtein(
    left: list[str | None], right: list[str | None]
) -> None:
    for k in (1, 2):
        costly = f"damerau_levenshtein(x_l, x_r) <= {k}"
        assert _disagreements(left, right, edits_within_sql("x_l", "x_r", k), costly) == []
    assert _disagreements(left, right, one_edit_sql("x_l", "x_r"), "damerau_levenshtein(x_l, x_r) = 1") == []


def test_edits_within_decides_transpositions_and_slips() -> None:
    words = ["ANNA", "NANA", "ANAN", "ANA", "ANNAA", "BANNA", "NNAA", None]
    found = _disagreements(
        words, words, edits_within_sql("x_l", "x_r", 1), "damerau_levenshtein(x_l, x_r) <= 1"
    )
    assert found == []
    # two transpositions: four Levenshtein edits, two Damerau-Levenshtein edits (the bound 2k is tight)
    double = ["ABXCD", "BAXDC", "ABXDC"]
    costly = "damerau_levenshtein(x_l, x_r) <= 2"
    assert _disagreements(double, double, edits_within_sql("x_l", "x_r", 2), costly) == []
    con = duckdb.connect()
    transposed = con.sql(f"SELECT {edits_within_sql(repr('ANNA'), repr('NANA'), 1)}").fetchall()[0][0]
    assert transposed is True  # two Levenshtein edits, one Damerau-Levenshtein edit


@settings(max_examples=60, deadline=None)
@given(st.lists(DOCS, min_size=1, max_size=12), st.lists(DOCS, min_size=1, max_size=12))
def test_document_one_off_agrees_with_levenshtein(left: list[str | None], right: list[str | None]) -> None:
    cheap = doc_one_off_sql().replace("doc_num", "x").replace("doc_country_l = doc_country_r AND ", "")
    assert "hamming" in cheap
    assert _disagreements(left, right, cheap, "levenshtein(x_l, x_r) = 1") == []
