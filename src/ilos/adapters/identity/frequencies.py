"""Term frequencies for the TF-adjusted comparisons, shrunk towards the model's average.

Raw frequencies from a small store are meaningless (two records of one name make it "common"), so
each frequency is shrunk towards the u probability of the exact-match level with a pseudo-population
of PSEUDO_RECORDS: tf = (count + PSEUDO_RECORDS * u) / (records + PSEUDO_RECORDS). A tiny store gets
almost no adjustment; a large one gets nearly its own frequencies.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from ilos.adapters.identity.workspace import fetch

#: Term-frequency columns of the model.
TF_COLUMNS = ("name_key", "dob")
#: Weight of the model's average frequency, in records.
PSEUDO_RECORDS = 50_000


def exact_u(model: dict[str, Any], column: str) -> float:
    """u probability of the exact-match level adjusted on `column`."""
    exact = f'"{column}_l" = "{column}_r"'
    for comp in model["comparisons"]:
        for level in comp["comparison_levels"]:
            if level.get("tf_adjustment_column") == column and level["sql_condition"] == exact:
                return float(level.get("u_probability") or 1e-4)
    raise ValueError(f"the model has no exact level adjusted on {column}")


def lookup_sql(feat: str, column: str, u: float) -> str:
    """SELECT of the shrunk term frequency of every value of `column` in `feat`."""
    return f"""SELECT {column}, (count(*) + {PSEUDO_RECORDS} * {u})
                      / (sum(count(*)) OVER () + {PSEUDO_RECORDS}) AS tf_{column}
               FROM {feat} WHERE {column} IS NOT NULL GROUP BY {column}"""


def lookups(cur: duckdb.DuckDBPyConnection, feat: str, model: dict[str, Any]) -> dict[str, pa.Table]:
    """The shrunk term-frequency tables of `feat`, one per TF column."""
    return {c: fetch(cur, lookup_sql(feat, c, exact_u(model, c))) for c in TF_COLUMNS}


def register(linker: Linker, db_api: DuckDBAPI, tables: dict[str, pa.Table]) -> None:
    """Make Splink use these tables instead of frequencies computed from its input."""
    for column, table in tables.items():
        sdf = db_api.register(table, dataset_display_name=f"ilos_tf_{column}")
        linker.table_management.register_term_frequency_lookup(sdf, column)
