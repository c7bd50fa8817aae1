"""The shipped default model is trained for the comparison design in the code."""

from __future__ import annotations

from typing import Any

from ilos.adapters.identity.model import base_settings, default_model


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
