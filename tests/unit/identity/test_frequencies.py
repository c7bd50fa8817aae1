"""Term frequencies and weights from a model whose parameters are long floats."""

from __future__ import annotations

import copy

import duckdb
import pyarrow as pa

from ilos.adapters.identity import frequencies
from ilos.adapters.identity.model import default_model

#: A u that DuckDB reads as DECIMAL(18, 17) when written bare: 50,000 times it overflowed the decimal
#: (a model trained on one store made every later resolution of that store fail).
LONG_U = 0.00541070522590333


def _with_long_floats() -> dict:
    model = copy.deepcopy(default_model())
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("u_probability") is not None:
                level["u_probability"] = LONG_U
            if level.get("m_probability") is not None:
                level["m_probability"] = 0.934872019283746
    model["probability_two_random_records_match"] = 0.000123456789012345
    return model


def test_term_frequencies_of_a_model_with_long_floats() -> None:
    cur = duckdb.connect()
    cur.register(
        "feat", pa.table({"name_key": ["A B", "A B", "C D"], "dob": ["1990-01-01", None, "1980-02-02"]})
    )
    model = _with_long_floats()
    model[frequencies.MODEL_KEY] = {"records": 3616, "counts": {"name_key": {"A B": 2}, "dob": {}}}

    tables = frequencies.lookups(cur, "feat", model)

    shrunk = dict(zip(*tables["name_key"].to_pydict().values(), strict=True))
    assert shrunk["A B"] == (2 + frequencies.PSEUDO_RECORDS * LONG_U) / (3616 + frequencies.PSEUDO_RECORDS)
    assert shrunk["C D"] == frequencies.PSEUDO_RECORDS * LONG_U / (3616 + frequencies.PSEUDO_RECORDS)


def test_a_level_trained_with_probability_zero_reads_as_unobserved() -> None:
    """A model whose training saw a level never among non-matches (u = 0, say "different A-number" on a
    tiny store) gave an infinite Bayes factor: a division by zero in every later run."""
    from ilos.adapters.identity import weights

    model = copy.deepcopy(default_model())
    level = next(lv for c in model["comparisons"] for lv in c["comparison_levels"] if lv.get("u_probability"))
    level["u_probability"] = 0.0
    assert weights.probability(level, "u_probability") == weights.NOT_OBSERVED
    value = duckdb.sql(f"SELECT {weights.double(weights.probability(level, 'u_probability'))}").fetchall()[0][
        0
    ]
    assert value == weights.NOT_OBSERVED
    assert "AS DOUBLE" in weights.match_weight_sql(model)
