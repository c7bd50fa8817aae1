"""A private, throw-away DuckDB database on the caller's connection for one set-at-a-time operation.

Each operation opens a cursor (its own session on the caller's database instance), attaches a
fresh in-memory database and makes it the cursor's default, so working tables never touch the
caller's schema; closing detaches it, which frees everything at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb


@contextmanager
def workspace(con: duckdb.DuckDBPyConnection, prefix: str = "ilos") -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor whose default database is a fresh in-memory one, detached on exit."""
    cur = con.cursor()
    home = cur.sql("SELECT current_database()").fetchall()[0][0]
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    cur.execute(f"ATTACH ':memory:' AS {name}")
    cur.execute(f"USE {name}")
    try:
        yield cur
    finally:
        cur.execute(f'USE "{home}"')
        cur.execute(f"DETACH {name}")
        cur.close()
