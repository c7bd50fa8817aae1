"""The transliteration skeletons: the SQL the features use and the Python twins agree."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pytest

from ilos.adapters.identity.features import abjad_skeleton, abjad_skeleton_sql, skeleton, skeleton_sql

KEYS = ["HASSAN", "HSN", "KHADIJA", "KHADIGA", "KHDYJ", "REZA", "RD", "SANA", "THN", "ZAHRAA", "ZHR",
        "YOUSIF", "YWSF", "MOHAMMED", "MHMD", "TSCHAIKOWSKI", "CHAIKOVSKY", "XAVIER", "YH"]  # fmt: skip


@pytest.mark.parametrize(
    ("in_python", "in_sql"), [(skeleton, skeleton_sql), (abjad_skeleton, abjad_skeleton_sql)]
)
def test_sql_and_python_skeletons_agree(
    in_python: Callable[[str], str], in_sql: Callable[[str], str]
) -> None:
    con = duckdb.connect()
    for key in KEYS:
        (value,) = con.sql(f"SELECT {in_sql('k')} FROM (SELECT ? AS k)", params=[key]).fetchall()[0]
        assert (value or "") == in_python(key), key


def test_the_coarse_skeleton_sets_a_folded_name_beside_its_latin_spellings() -> None:
    assert abjad_skeleton("REZA") == abjad_skeleton("RD") == "RZ"  # رضا: ض folded to D
    assert abjad_skeleton("SANA") == abjad_skeleton("THN") == "SN"  # ثنا: ث folded to TH
    assert abjad_skeleton("KHADIGA") == abjad_skeleton("KHDYJ") == abjad_skeleton("KHADIJA")  # ج as G or J
    assert abjad_skeleton("ZAHRAA") != abjad_skeleton("KHDYJ")
