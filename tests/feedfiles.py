"""Small hand-written feed files for tests."""

from __future__ import annotations

import csv
from pathlib import Path

ARRIVAL_COLUMNS = [
    "source_system",
    "source_record_id",
    "recorded_at",
    "family_name",
    "given_names",
    "date_of_birth",
    "citizenship",
    "admission_number",
    "class_of_admission",
    "port_of_entry",
    "mode",
    "admitted_on",
    "admit_until",
]


def arrival(rid: str, **overrides: str) -> dict[str, str]:
    """A valid arrivals row; keyword arguments replace columns."""
    row = {
        "source_system": "I94",
        "source_record_id": rid,
        "recorded_at": "2024-03-02T10:00:00Z",
        "family_name": "OKAFOR",
        "given_names": "CHIDI",
        "date_of_birth": "1990-05-17",
        "citizenship": "NGA",
        "admission_number": f"{int(rid):011d}" if rid.isdigit() else "12345678901",
        "class_of_admission": "B2",
        "port_of_entry": "JFK",
        "mode": "AIR",
        "admitted_on": "2024-03-01",
        "admit_until": "2024-08-31",
    }
    row.update(overrides)
    return row


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    """Write rows as a CSV feed file; columns default to the union of the rows' keys in order."""
    names = columns or list(dict.fromkeys(k for r in rows for k in r))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, names, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def big_arrivals_csv(path: Path, rows: int, seed: int = 0) -> Path:
    """A large valid arrivals file written set-at-a-time by DuckDB (for kill and concurrency tests)."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
          SELECT 'I94' AS source_system, 'R{seed}-' || i AS source_record_id,
                 '2024-03-02T10:00:00Z' AS recorded_at, 'FAMILY' || (i % 5000) AS family_name,
                 'GIVEN' || (i % 97) AS given_names, '1980-01-' || lpad(((i % 28) + 1)::VARCHAR, 2, '0') AS date_of_birth,
                 'MEX' AS citizenship, lpad(({seed} * 100000000 + i)::VARCHAR, 11, '0') AS admission_number,
                 'B2' AS class_of_admission, 'LAX' AS port_of_entry, 'AIR' AS mode,
                 '2024-03-01' AS admitted_on, '2024-08-31' AS admit_until
          FROM range({rows}) t(i)
        ) TO '{path}' (HEADER)
        """
    )
    con.close()
    return path
