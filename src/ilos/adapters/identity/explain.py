"""Explanations: the weight each comparison adds to a pair, in words a case officer understands."""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from ilos.adapters.identity.frequencies import TF_COLUMNS
from ilos.adapters.identity.model import with_blocking
from ilos.adapters.identity.workspace import fetch

#: The input values shown beside each comparison.
SHOWN: dict[str, tuple[str, ...]] = {
    "name": ("family_name", "given_names"),
    "dob": ("date_of_birth",),
    "document": ("document_type", "document_number", "document_country"),
    "a_number": ("a_number",),
    "citizenship": ("citizenship",),
    "birth_country": ("birth_country",),
    "sex": ("sex",),
}


def _shown(record: dict[str, Any], comparison: str) -> str:
    values = [str(record.get(c) or "") for c in SHOWN.get(comparison, ())]
    return " ".join(v for v in values if v)


def _labels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    """comparison -> comparison vector value -> label, from the model's levels."""
    out: dict[str, dict[int, str]] = {}
    for comp in model["comparisons"]:
        levels = list(comp["comparison_levels"])
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        labels = {len(non_null) - 1 - i: lv["label_for_charts"] for i, lv in enumerate(non_null)}
        labels[-1] = next((lv["label_for_charts"] for lv in levels if lv.get("is_null_level")), "missing")
        out[comp["output_column_name"]] = labels
    return out


def _with_tf(cur: duckdb.DuckDBPyConnection, name: str, tf: dict[str, pa.Table]) -> pa.Table:
    """The two feature rows with the term frequencies of the last scored population (or none)."""
    joins, cols = [], []
    for i, col in enumerate(TF_COLUMNS):
        table = tf.get(col)
        if table is None:
            cols.append(f"NULL::DOUBLE AS tf_{col}")
            continue
        cur.register(f"tf{i}", table)
        joins.append(f"LEFT JOIN tf{i} ON tf{i}.{col} = f.{col}")
        cols.append(f"tf{i}.tf_{col}::DOUBLE AS tf_{col}")
    return fetch(cur, f"SELECT f.*, {', '.join(cols)} FROM {name} f {' '.join(joins)} ORDER BY f.record_uid")


def explain_pair(
    cur: duckdb.DuckDBPyConnection,
    feat: str,
    model: dict[str, Any],
    tf: dict[str, pa.Table],
    records: tuple[dict[str, Any], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Waterfall rows for the pair of feature rows in `feat` (records[0] is the left one)."""
    rows = _with_tf(cur, feat, tf)
    db_api = DuckDBAPI(cur)
    left = db_api.register(rows.slice(0, 1), dataset_display_name="explain_l")
    right = db_api.register(rows.slice(1, 1), dataset_display_name="explain_r")
    linker = Linker(db_api.register(feat), with_blocking(model), log_level=40)
    result: Any = linker.inference.score_pair(left, right)
    scored: dict[str, Any] = result.as_pyarrow_table().to_pylist()[0]
    labels = _labels(model)
    prior = model["probability_two_random_records_match"]
    out = [
        _row(
            "prior",
            "Prior: how likely two records picked at random are the same person",
            "",
            "",
            math.log2(prior / (1 - prior)),
        )
    ]
    for comp in model["comparisons"]:
        name = comp["output_column_name"]
        weight = float(scored[f"mw_{name}"] or 0.0) + float(scored.get(f"mw_tf_adj_{name}") or 0.0)
        level = labels[name].get(int(scored[f"gamma_{name}"]), "")
        out.append(_row(name, level, _shown(records[0], name), _shown(records[1], name), weight))
    total = float(scored["match_weight"])
    out.append(_row("total", f"Match probability {float(scored['match_probability']):.6f}", "", "", total))
    return out


def _row(comparison: str, level: str, a: str, b: str, weight: float) -> dict[str, Any]:
    return {"comparison": comparison, "level": level, "value_a": a, "value_b": b, "match_weight": weight}
