"""A private, throw-away DuckDB database on the caller's connection for one resolver operation.

Each operation opens a cursor (its own session on the caller's database instance), attaches a
fresh in-memory database and makes it the cursor's default, so Splink's `__splink__*` tables and
the resolver's working tables never touch the caller's schema; closing detaches it, which frees
everything at once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa

from ilos.adapters.identity.features import INPUT_COLUMNS

logging.getLogger("splink").setLevel(logging.ERROR)


@contextmanager
def workspace(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor whose default database is a fresh in-memory one, detached on exit."""
    cur = con.cursor()
    home = cur.sql("SELECT current_database()").fetchall()[0][0]
    name = f"ilos_identity_{uuid.uuid4().hex[:12]}"
    cur.execute(f"ATTACH ':memory:' AS {name}")
    cur.execute(f"USE {name}")
    try:
        yield cur
    finally:
        cur.execute(f'USE "{home}"')
        cur.execute(f"DETACH {name}")
        cur.close()


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
