"""Ingestion of a large arrivals feed (validation and storage), beside its floors, run in the same run.

Floors: DuckDB's `CREATE TABLE AS SELECT * FROM read_csv(...)` into a file database for the
embedded store, and a plain `COPY` into an unindexed table for PostgreSQL. A second reference,
"keyed insert", appends the same rows unchecked to a table shaped like ILOS's (text columns and
the same primary key) in the same store: what storing alone costs. Each step runs in a
fresh child process so that its peak memory is its own.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.datasets import arrivals_csv
from benchmarks.measure import fresh_postgres_schema, in_child

TARGETS = {"embedded_ratio": 3.0, "postgres_ratio": 2.0, "peak_mib": 2048.0}


REPEATS = 3  # each figure is the median of this many runs, taken in turns so drift hits all alike


def run(rows: int = 2_000_000) -> dict[str, Any]:
    """Measure and return the figures (seconds, ratios, peak memory) for `rows` rows."""
    csv_path = str(arrivals_csv(rows))
    result: dict[str, Any] = {"rows": rows, "targets": TARGETS, "repeats": REPEATS}
    runs: list[tuple[dict[str, Any], ...]] = []
    for i in range(REPEATS):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'ilos.db'}"
            runs.append(
                (
                    in_child("duckdb_ctas", csv_path, str(Path(tmp) / f"floor{i}.duckdb")),
                    in_child("keyed_insert", csv_path, f"sqlite:///{Path(tmp) / 'keyed.db'}"),
                    in_child("ilos_ingest", "arrivals", csv_path, url),
                    in_child("ilos_ingest", "arrivals", csv_path, url),
                )
            )
    result["embedded"] = _figures(*(_median(step) for step in zip(*runs, strict=True)))
    pg = os.environ.get("ILOS_BENCH_POSTGRES_URL") or os.environ.get("ILOS_TEST_POSTGRES_URL")
    if pg:
        result["postgres"] = _postgres(pg, csv_path)
    result["passed"] = _passed(result)
    return result


def _postgres(server: str, csv_path: str) -> dict[str, Any]:
    runs = []
    for _ in range(REPEATS):
        with fresh_postgres_schema(server) as url:
            runs.append(
                (
                    in_child("postgres_copy", csv_path, url),
                    in_child("keyed_insert", csv_path, url),
                    in_child("ilos_ingest", "arrivals", csv_path, url),
                    in_child("ilos_ingest", "arrivals", csv_path, url),
                )
            )
    return _figures(*(_median(step) for step in zip(*runs, strict=True)))


def _median(measurements: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """The run with the median time (its memory and result come with it)."""
    ordered = sorted(measurements, key=lambda m: m["seconds"])
    return ordered[len(ordered) // 2]


def _figures(
    floor: dict[str, Any], keyed: dict[str, Any], first: dict[str, Any], again: dict[str, Any]
) -> dict[str, Any]:
    return {
        "floor_s": floor["seconds"],
        "keyed_insert_s": keyed["seconds"],
        "ratio_to_keyed_insert": round(first["seconds"] / keyed["seconds"], 2),
        "ilos_s": first["seconds"],
        "ratio": round(first["seconds"] / floor["seconds"], 2),
        "redelivery_s": again["seconds"],
        "peak_mib": max(first["peak_mib"], again["peak_mib"]),
        "outcomes": first["result"],
        "redelivery_outcomes": again["result"],
    }


def _passed(result: dict[str, Any]) -> dict[str, bool]:
    checks = {
        "embedded_ratio": result["embedded"]["ratio"] <= TARGETS["embedded_ratio"],
        "embedded_peak": result["embedded"]["peak_mib"] <= TARGETS["peak_mib"],
    }
    if "postgres" in result:
        checks["postgres_ratio"] = result["postgres"]["ratio"] <= TARGETS["postgres_ratio"]
        checks["postgres_peak"] = result["postgres"]["peak_mib"] <= TARGETS["peak_mib"]
    return checks
