"""Match weights computed in one DuckDB query from a trained Splink model's parameters.

Splink trains the model (u by random sampling, m by EM) and explains single pairs; bulk scoring
evaluates the same comparison levels, Bayes factors and term-frequency adjustments as Splink's own
`predict` (a test checks the weights agree), over pairs ILOS blocks itself on integer ids, which
is several times faster on millions of pairs.
"""

from __future__ import annotations

import math
import re
from typing import Any


def double(value: float) -> str:
    """A float as an SQL DOUBLE literal. A bare literal such as 0.00541070522590333 is a DECIMAL to
    DuckDB, and arithmetic on it can overflow the decimal's precision."""
    return f"CAST({float(value)!r} AS DOUBLE)"


def exact_u(levels: list[dict[str, Any]], column: str) -> float:
    """u of the level that compares `column` exactly (the base of every TF adjustment on it)."""
    exact = f'"{column}_l" = "{column}_r"'
    for level in levels:
        if level["sql_condition"] == exact:
            return probability(level, "u_probability")
    raise ValueError(f"no exact-match level on {column}")


#: Splink's probability for a level never observed in training (its `LEVEL_NOT_OBSERVED_TEXT`).
NOT_OBSERVED = 1e-6


def probability(level: dict[str, Any], key: str) -> float:
    """m or u of a level as Splink reads it: a level never observed (or observed with probability 0)
    counts as NOT_OBSERVED."""
    value = level.get(key)
    # a probability of 0 (a level training never saw among matches or non-matches) reads as unobserved:
    # its Bayes factor would be infinite, and a division by zero
    return float(value) if isinstance(value, int | float) and value > 0 else NOT_OBSERVED


def _level_weight(level: dict[str, Any], levels: list[dict[str, Any]]) -> str:
    if level.get("is_null_level"):
        return "0.0"
    weight = math.log2(probability(level, "m_probability") / probability(level, "u_probability"))
    column = level.get("tf_adjustment_column")
    if not column or not level.get("tf_adjustment_weight", 1.0):
        return double(weight)
    tf_l, tf_r = f"tf_{column}_l", f"tf_{column}_r"
    base = math.log2(exact_u(levels, column))
    scale = float(level.get("tf_adjustment_weight", 1.0))
    tf = f"greatest(coalesce({tf_l}, {tf_r}), coalesce({tf_r}, {tf_l}), 0.0)"
    adjust = (
        f"CASE WHEN coalesce({tf_l}, {tf_r}) IS NOT NULL THEN {double(scale)} * ({double(base)} - log2({tf})) "
        "ELSE 0.0 END"
    )
    return f"({double(weight)} + {adjust})"


def comparison_sql(comparison: dict[str, Any]) -> str:
    """CASE giving the weight (log2 Bayes factor, TF-adjusted) of the first level a pair meets."""
    levels = comparison["comparison_levels"]
    cases = []
    for level in levels:
        weight = _level_weight(level, levels)
        condition = level["sql_condition"].strip()
        cases.append(f"ELSE {weight}" if condition.upper() == "ELSE" else f"WHEN {condition} THEN {weight}")
    return f"(CASE {' '.join(cases)} END)"


def match_weight_sql(model: dict[str, Any]) -> str:
    """SQL of the total match weight: the prior's log odds plus every comparison's weight."""
    prior = float(model["probability_two_random_records_match"])
    terms = [double(math.log2(prior / (1 - prior)))]
    terms += [comparison_sql(c) for c in model["comparisons"]]
    return " + ".join(terms)


def columns_used(model: dict[str, Any]) -> set[str]:
    """Feature columns the comparisons read (without the _l/_r suffix), TF columns included."""
    used: set[str] = set()
    for comp in model["comparisons"]:
        for level in comp["comparison_levels"]:
            used |= set(re.findall(r'"?([a-z0-9_]+)_[lr]\b"?', level["sql_condition"]))
            if level.get("tf_adjustment_column"):
                used.add(f"tf_{level['tf_adjustment_column']}")
    return used
