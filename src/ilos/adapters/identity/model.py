"""The Splink model: settings from the comparison design, training, and the shipped default model."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from ilos.adapters.identity import frequencies
from ilos.adapters.identity.comparisons import blocking_rules, comparisons

#: Random pairs sampled to estimate u.
U_SAMPLE_PAIRS = 2e6
#: Deterministic rule and its recall (share of true pairs with the same name and birth date, measured
#: on generator data: 0.65), to estimate the prior match probability.
PRIOR_RULES = ("name_key", "dob")
PRIOR_RECALL = 0.65
#: Smallest m kept after EM: a level never seen among matches in training is rare, not impossible.
M_FLOOR = 1e-4
#: EM sessions: each learns m for the comparisons its blocking keys do not use (names and codes on
#: passport + birth date; birth dates on passport; documents on exact name + birth year).
EM_SESSIONS: tuple[tuple[str, ...], ...] = (
    ("doc_country", "doc_num", "dob"),
    ("doc_country", "doc_num"),
    ("name_key", "dob_year"),
)
DEFAULT_MODEL_FILE = "default_model.json"
#: Most identity signatures training reads: a random sample keeps the share of matching pairs (the
#: prior), u and m, while EM's cost stops growing with the store. Frequencies use every signature.
TRAIN_SAMPLE = 300_000


def base_settings() -> dict[str, Any]:
    """Untrained settings dict of the comparison design."""
    comps: list[Any] = list(comparisons())
    rules: list[Any] = list(blocking_rules())
    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_uid",
        comparisons=comps,
        blocking_rules_to_generate_predictions=rules,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )
    settings: Any = creator.get_settings("duckdb")
    out: dict[str, Any] = settings.as_dict()
    return out


def with_blocking(model: dict[str, Any]) -> dict[str, Any]:
    """A copy of a saved model whose blocking rules are this package's current ones."""
    settings = copy.deepcopy({k: v for k, v in model.items() if k != frequencies.MODEL_KEY})
    settings["blocking_rules_to_generate_predictions"] = blocking_rules()
    settings["retain_intermediate_calculation_columns"] = True
    settings["retain_matching_columns"] = False
    return settings


def default_model() -> dict[str, Any]:
    """The model shipped with the package (trained on generator data)."""
    text = resources.files("ilos.adapters.identity").joinpath(DEFAULT_MODEL_FILE).read_text()
    model: dict[str, Any] = json.loads(text)
    return model


def train(cur: duckdb.DuckDBPyConnection, feat: str, seed: int = 1) -> dict[str, Any]:
    """Train prior, u (random sampling) and m (EM) on the feature table `feat`; return the model dict."""
    cur.execute(
        f"CREATE OR REPLACE TABLE train_sample AS SELECT * FROM {feat} "
        f"ORDER BY hash(record_uid, {int(seed)}) LIMIT {TRAIN_SAMPLE}"
    )
    linker = Linker(DuckDBAPI(cur).register("train_sample"), base_settings(), log_level=40)
    training = linker.training
    training.estimate_probability_two_random_records_match([block_on(*PRIOR_RULES)], recall=PRIOR_RECALL)
    training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
    for keys in EM_SESSIONS:
        training.estimate_parameters_using_expectation_maximisation(block_on(*keys))
    model: dict[str, Any] = linker.misc.save_model_to_json()
    model[frequencies.MODEL_KEY] = frequencies.snapshot(cur, feat)
    return floor_m(model)


def floor_m(model: dict[str, Any]) -> dict[str, Any]:
    """Raise m probabilities below M_FLOOR to it (the levels' weights stay finite and sane)."""
    for comp in model["comparisons"]:
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m = level.get("m_probability")
            if not isinstance(m, int | float) or m < M_FLOOR:
                level["m_probability"] = M_FLOOR
            if not isinstance(level.get("u_probability"), int | float):
                level["u_probability"] = M_FLOOR  # never met among random pairs: rare, not impossible
    return model
