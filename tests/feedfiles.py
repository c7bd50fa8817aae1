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
