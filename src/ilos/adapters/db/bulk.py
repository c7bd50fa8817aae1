"""Arrow in and out of the store through ADBC: the set-at-a-time path for bulk writes and reads.

SQLite and PostgreSQL differ only in how a write transaction takes the writers' lock and how
parameters are written; both live in `BulkConnection`'s small dialect switch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import make_url

from ilos.adapters.db.engine import is_sqlite, sqlite_path

SQLITE_BATCH_ROWS = "adbc.sqlite.query.batch_rows"
_PG_WRITER_LOCK = 7_140_222  # pg_advisory_xact_lock key: one ingest writer at a time, like SQLite


class BulkConnection:
    """One ADBC connection to the store."""

    def __init__(self, url: str, busy_timeout_s: float = 600.0) -> None:
        self.sqlite = is_sqlite(url)
        if self.sqlite:
            import adbc_driver_sqlite.dbapi as sqlite_adbc

            self._conn: Any = sqlite_adbc.connect(str(sqlite_path(url)), autocommit=True)
            self.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        else:
            import adbc_driver_postgresql.dbapi as pg_adbc

            self._conn = pg_adbc.connect(_libpq_uri(url), autocommit=True)
        self._cursor = self._conn.cursor()

    def close(self) -> None:
        """Close the connection (an open transaction is rolled back)."""
        self._cursor.close()
        self._conn.close()

    @contextmanager
    def _run(self, sql: str, params: Sequence[Any] | None = None) -> Iterator[Any]:
        cur = self._conn.cursor()
        try:
            if self.sqlite:  # SQLite has no column types: the driver infers them from the first batch
                cur.adbc_statement.set_options(**{SQLITE_BATCH_ROWS: str(2**30)})
            cur.execute(sql, params)
            yield cur
        finally:
            cur.close()

    def param(self, i: int) -> str:
        """Placeholder for the i-th (1-based) parameter."""
        return placeholder(self.sqlite, i)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement that returns nothing useful."""
        with self._run(sql, params):
            pass

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """First column of the first row, or None."""
        with self._run(sql, params) as cur:
            row = cur.fetchone()
        return row[0] if row else None

    def fetch_arrow(
        self, sql: str, params: Sequence[Any] | None = None, text: Sequence[str] = ()
    ) -> pa.Table:
        """A query's whole result as an Arrow table; the `text` columns come back as strings.

        (On SQLite a column that holds only NULLs is otherwise typed as an integer.)
        """
        with self._run(sql, params) as cur:
            table = cur.fetch_arrow_table()
        for name in text:
            i = table.schema.get_field_index(name)
            if i >= 0 and table.schema.field(i).type != pa.string():
                table = table.set_column(i, name, table.column(i).cast(pa.string()))
        return table

    def ingest(self, table: str, data: pa.RecordBatchReader | pa.Table, temporary: bool = False) -> None:
        """Append Arrow data to `table` (or create it as a temporary table)."""
        mode = "create" if temporary else "append"
        self._cursor.adbc_ingest(table, data, mode=mode, temporary=temporary)

    @contextmanager
    def write_transaction(self) -> Iterator[None]:
        """A transaction holding the store's single writer lock; rolled back on any error."""
        if self.sqlite:
            self.execute("BEGIN IMMEDIATE")
        else:
            self.execute("BEGIN")
            self.execute(f"SELECT pg_advisory_xact_lock({_PG_WRITER_LOCK})")
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")


def placeholder(sqlite: bool, i: int) -> str:
    """How the i-th (1-based) parameter is written: `?` for SQLite, `$i` for PostgreSQL."""
    return "?" if sqlite else f"${i}"


def values_of_json(sqlite: bool, mark: str) -> str:
    """A subquery (column `value`) of the texts of the JSON array bound at `mark`."""
    if sqlite:
        return f"SELECT value FROM json_each({mark})"
    return f"SELECT jsonb_array_elements_text(CAST({mark} AS jsonb)) AS value"


def _libpq_uri(url: str) -> str:
    """A libpq URI from a SQLAlchemy URL (drops the +driver part)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)
