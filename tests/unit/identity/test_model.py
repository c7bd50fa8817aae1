"""The shipped default model is trained for the comparison design in the code."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from ilos.adapters.identity.model import SAME_A_NUMBER, base_settings, default_model, identifier_u, with_u


def _design(model: dict[str, Any]) -> list[list[tuple[str, str]]]:
    return [
        [(lv["sql_condition"], lv["label_for_charts"]) for lv in comp["comparison_levels"]]
        for comp in model["comparisons"]
    ]


def test_default_model_matches_the_comparison_design() -> None:
    assert _design(default_model()) == _design(base_settings()), "retrain default_model.json (see measure.py)"


def test_default_model_carries_the_current_blocking_rules() -> None:
    key = "blocking_rules_to_generate_predictions"
    assert default_model()[key] == base_settings()[key], "refresh the blocking rules in default_model.json"


def test_default_model_is_trained() -> None:
    model = default_model()
    for comp in model["comparisons"]:
        for level in comp["comparison_levels"]:
            if not level.get("is_null_level"):
                assert 0 < level["m_probability"] <= 1, (
                    comp["output_column_name"],
                    level["label_for_charts"],
                )
                assert 0 < level["u_probability"] <= 1, (
                    comp["output_column_name"],
                    level["label_for_charts"],
                )
    assert 1e-6 < model["probability_two_random_records_match"] < 1e-2


@pytest.mark.parametrize("column", ["a9", "doc_num"])
def test_identifier_u_counts_only_pairs_of_different_people(column: str) -> None:
    con = duckdb.connect()
    # Person A's four records share a number (one person's pairs, which random sampling would count);
    # ten other people, born years apart, carry their own. No pair born 2+ years apart shares one.
    rows = [(f"a{i}", "000000001", 1980) for i in range(4)]
    rows += [(f"p{i}", f"00000010{i}", 1950 + 3 * i) for i in range(10)]
    con.execute(f"CREATE TABLE feat (record_uid VARCHAR, {column} VARCHAR, dob_y BIGINT)")
    con.executemany("INSERT INTO feat VALUES (?, ?, ?)", rows)
    far_pairs = con.sql(
        "SELECT count(*) FROM feat a JOIN feat b ON a.record_uid < b.record_uid AND abs(a.dob_y - b.dob_y) >= 2"
    ).fetchall()[0][0]
    assert identifier_u(con, "feat", column) == pytest.approx(1 / far_pairs)
    # A recording error: someone born 1990 carries person A's number.
    con.execute("INSERT INTO feat VALUES ('x', '000000001', 1990)")
    far_pairs = con.sql(
        "SELECT count(*) FROM feat a JOIN feat b ON a.record_uid < b.record_uid AND abs(a.dob_y - b.dob_y) >= 2"
    ).fetchall()[0][0]
    assert identifier_u(con, "feat", column) == pytest.approx(4 / far_pairs)


def test_with_u_keeps_a_comparisons_u_summing_to_one() -> None:
    model = with_u(default_model(), SAME_A_NUMBER, 1e-6)
    (comp,) = [c for c in model["comparisons"] if c["output_column_name"] == "a_number"]
    levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
    assert [lv["u_probability"] for lv in levels if lv["sql_condition"] == SAME_A_NUMBER] == [1e-6]
    assert sum(lv["u_probability"] for lv in levels) == pytest.approx(1.0)
