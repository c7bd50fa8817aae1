"""Working tables of one resolver operation, in a private DuckDB workspace (`ilos.adapters.duck.workspace`),
so that Splink's `__splink__*` tables and the resolver's tables never touch the caller's schema."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager

import duckdb
import pyarrow as pa

from ilos.adapters.duck.workspace import workspace as _workspace
from ilos.adapters.identity.features import INPUT_COLUMNS

logging.getLogger("splink").setLevel(logging.ERROR)


def workspace(con: duckdb.DuckDBPyConnection) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A private workspace for one resolver operation."""
    return _workspace(con, "ilos_identity")


def register_records(cur: duckdb.DuckDBPyConnection, name: str, records: pa.Table, new: bool) -> None:
    """Copy the resolver input columns of `records` into table `name`, flagged `is_new`."""
    missing = [c for c in INPUT_COLUMNS if c not in records.column_names]
    if missing:
        raise ValueError(f"records lack columns: {', '.join(missing)}")
    view = f"{name}_arrow"
    cur.register(view, records.select(list(INPUT_COLUMNS)))
    try:
        cols = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in INPUT_COLUMNS)
        cur.execute(f"CREATE TABLE {name} AS SELECT {cols}, {str(new).upper()} AS is_new FROM {view}")
    finally:
        cur.unregister(view)


def fetch(cur: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """Run a query and return its full result as an Arrow table."""
    return cur.sql(sql).to_arrow_table()
