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
SAME_A_NUMBER = "a9_l = a9_r"
SAME_DOCUMENT = "doc_num_l = doc_num_r"
#: Exact-identifier levels whose u `identifier_u` re-estimates: level condition -> feature column.
IDENTIFIER_LEVELS = {SAME_A_NUMBER: "a9", SAME_DOCUMENT: "doc_num"}


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
    model = floor_m(model)
    for condition, column in IDENTIFIER_LEVELS.items():
        model = with_u(model, condition, identifier_u(cur, feat, column))
    return model


def identifier_u(cur: duckdb.DuckDBPyConnection, feat: str, column: str) -> float:
    """u of the same identifier (`column`: A-number, document number), among pairs that are not one
    person.

    Random sampling takes u from every random pair, matches included. A-numbers sit on the few
    records of the people in enforcement (court, encounters, convictions), and a frequent traveller's
    passport on dozens of arrivals and departures, so a random pair sharing one is mostly one
    person's two records, and u came out a thousand times too high or more (10 bits for the same
    A-number, 12 for the same passport, where a name typo could outweigh it). Here u is measured on
    the pairs of signatures whose birth years lie two or more apart, which are almost all different
    people; the identifier does not depend on the birth year among non-matches, so the share is the
    same. When no such pair shares one, u is one in that many pairs.
    """
    pairs, agree = cur.sql(
        f"""WITH s AS (SELECT record_uid, {column} AS v, dob_y FROM {feat}
                       WHERE {column} IS NOT NULL AND dob_y IS NOT NULL),
                years AS (SELECT dob_y, count(*)::HUGEINT AS k FROM s GROUP BY dob_y),
                near AS (SELECT coalesce(sum(CASE WHEN a.dob_y = b.dob_y THEN a.k * (a.k - 1) / 2 ELSE a.k * b.k END), 0) AS p
                         FROM years a JOIN years b ON b.dob_y BETWEEN a.dob_y AND a.dob_y + 1)
            SELECT (SELECT count(*)::HUGEINT * (count(*) - 1) / 2 FROM s) - (SELECT p FROM near),
                   (SELECT count(*) FROM s a JOIN s b ON a.v = b.v AND a.record_uid < b.record_uid
                    AND abs(a.dob_y - b.dob_y) >= 2)"""
    ).fetchall()[0]
    return float(max(int(agree), 1) / max(int(pairs), 1))


def with_u(model: dict[str, Any], condition: str, u: float) -> dict[str, Any]:
    """`model` with u of the level whose SQL condition is `condition` set to `u` (and its other
    levels' u scaled so the comparison's u still sums to one)."""
    for comp in model["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        if not any(lv.get("sql_condition") == condition for lv in levels):
            continue
        rest = sum(lv["u_probability"] for lv in levels if lv.get("sql_condition") != condition)
        for lv in levels:
            lv["u_probability"] = (
                u if lv.get("sql_condition") == condition else lv["u_probability"] * (1 - u) / rest
            )
    return model


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
