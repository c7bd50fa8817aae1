"""Run DuckDB statements to completion (DuckDB 2 refuses new work while a result is unfinished)."""

from __future__ import annotations

from typing import Any

import duckdb


def run(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Execute statements whose results are not needed."""
    con.execute(sql)
    con.complete()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The single value of a one-row, one-column query."""
    rows = con.execute(sql).fetchall()
    con.complete()
    return rows[0][0] if rows else None
