"""Term frequencies for the TF-adjusted comparisons: frozen into the model, shrunk towards its average.

The frequencies are counted once, on the records the model is trained on, and saved inside the
model: the same model then scores a pair the same way whatever else the store holds, so linking a
new batch incrementally and re-running everything give the same weights. A model that was never
trained on the store (the default model) carries no counts, so nothing is adjusted.

Raw frequencies from a small sample are meaningless (two records of one name make it "common"), so
each is shrunk towards the u probability of the exact-match level with a pseudo-population of
PSEUDO_RECORDS: tf = (count + PSEUDO_RECORDS * u) / (records + PSEUDO_RECORDS). Values seen once
are not kept (they count as unseen).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from ilos.adapters.identity.weights import double, exact_u
from ilos.adapters.identity.workspace import fetch

#: Term-frequency columns of the model.
TF_COLUMNS = ("name_key", "dob")
#: Weight of the model's average frequency, in records.
PSEUDO_RECORDS = 50_000
#: Key of the frozen counts in a model dict.
MODEL_KEY = "ilos_term_frequencies"


def snapshot(cur: duckdb.DuckDBPyConnection, feat: str) -> dict[str, Any]:
    """Counts of every TF column's values seen at least twice in `feat`, to freeze into a model."""
    counts: dict[str, dict[str, int]] = {}
    for column in TF_COLUMNS:
        rows = cur.sql(
            f"SELECT {column}, count(*) FROM {feat} WHERE {column} IS NOT NULL GROUP BY 1 HAVING count(*) > 1 ORDER BY 1"
        ).fetchall()
        counts[column] = {str(value): int(n) for value, n in rows}
    total = cur.sql(f"SELECT count(*) FROM {feat}").fetchall()[0][0]
    return {"records": int(total), "counts": counts}


def lookups(cur: duckdb.DuckDBPyConnection, feat: str, model: dict[str, Any]) -> dict[str, pa.Table]:
    """The shrunk term frequency of every value of each TF column in `feat`, from the model's counts."""
    frozen = model.get(MODEL_KEY) or {"records": 0, "counts": {}}
    tables = {}
    for column in TF_COLUMNS:
        u = exact_u([lv for c in model["comparisons"] for lv in c["comparison_levels"]], column)
        counts = frozen["counts"].get(column, {})
        cur.register(
            "ilos_tf_counts",
            pa.table(
                {"v": list(counts), "n": list(counts.values())},
                schema=pa.schema([("v", pa.string()), ("n", pa.int64())]),
            ),
        )
        tables[column] = fetch(
            cur,
            f"""SELECT f.{column}, ((coalesce(any_value(c.n), 0) + {PSEUDO_RECORDS} * {double(u)})
                                   / ({int(frozen["records"])} + {PSEUDO_RECORDS}))::DOUBLE AS tf_{column}
                FROM (SELECT DISTINCT {column} FROM {feat} WHERE {column} IS NOT NULL) f
                LEFT JOIN ilos_tf_counts c ON c.v = f.{column} GROUP BY f.{column}""",
        )
        cur.unregister("ilos_tf_counts")
    return tables


class TermFrequencies:
    """`lookups` of one value at a time, in Python: the value's frozen count shrunk towards the exact
    level's u (for rows built in Python, `new_signatures`)."""

    def __init__(self, model: dict[str, Any]) -> None:
        frozen = model.get(MODEL_KEY) or {"records": 0, "counts": {}}
        every_level = [level for c in model["comparisons"] for level in c["comparison_levels"]]
        self.u = {column: exact_u(every_level, column) for column in TF_COLUMNS}
        self._counts: dict[str, dict[str, int]] = frozen["counts"]
        self._records = int(frozen["records"])

    def __call__(self, column: str, value: Any) -> float | None:
        if value is None:
            return None
        count = self._counts.get(column, {}).get(str(value), 0)
        return (count + PSEUDO_RECORDS * self.u[column]) / (self._records + PSEUDO_RECORDS)


def register(linker: Linker, db_api: DuckDBAPI, tables: dict[str, pa.Table]) -> None:
    """Make Splink use these tables instead of frequencies computed from its input."""
    for column, table in tables.items():
        sdf = db_api.register(table, dataset_display_name=f"ilos_tf_{column}")
        linker.table_management.register_term_frequency_lookup(sdf, column)
