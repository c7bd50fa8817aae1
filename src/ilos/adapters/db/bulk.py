"""Arrow in and out of the store through ADBC: the set-at-a-time path for bulk writes and reads.

SQLite and PostgreSQL differ only in how a write transaction takes the writers' lock and how
parameters are written; both live in `BulkConnection`'s small dialect switch.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
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


#: Connections a forked child inherited: kept referenced so that collecting them does not close the
#: parent's session from the child.
_INHERITED: list[BulkConnection] = []


class ThreadHeld:
    """One connection per thread, opened by this process: a forked child neither uses its parent's nor,
    by collecting it, closes it."""

    def __init__(self) -> None:
        self._local = threading.local()

    def get(self) -> BulkConnection | None:
        """This thread's connection, if it holds one opened by this process."""
        held: tuple[int, BulkConnection] | None = getattr(self._local, "held", None)
        if held is None:
            return None
        if held[0] != os.getpid():  # inherited through fork: the parent's session, never closed here
            _INHERITED.append(held[1])
            self._local.held = None
            return None
        return held[1]

    def put(self, bulk: BulkConnection) -> None:
        """Hold `bulk` for this thread."""
        self._local.held = (os.getpid(), bulk)

    def drop(self) -> BulkConnection | None:
        """Forget this thread's connection, closing it quietly (it may be broken already); return it."""
        bulk = self.get()
        self._local.held = None
        if bulk is not None:
            with contextlib.suppress(Exception):
                bulk.close()
        return bulk


class KeptConnections:
    """One connection per thread (and process) for writes, opened on first use and kept: opening one costs
    more than a stream's micro-batch of writes (about 50 ms on PostgreSQL, a session and the driver's
    catalog reads). Before each use a kept connection must answer (a server restart or an idle timeout
    may have closed it: then a new one is opened); a use that fails drops it, its state unknown."""

    def __init__(self, open_connection: Callable[[], BulkConnection]) -> None:
        self._open = open_connection
        self._thread = ThreadHeld()
        self._local = threading.local()  # `busy`: this thread is inside a use
        self._lock = threading.Lock()
        self._opened: list[BulkConnection] = []  # by this process, to close at `close`
        self._pid = os.getpid()

    @contextmanager
    def connection(self) -> Iterator[BulkConnection]:
        """This thread's kept connection (a new one when it has none, or none that answers). A use inside
        a use gets a connection of its own, closed after it: the kept one is in a transaction."""
        if getattr(self._local, "busy", False):
            with contextlib.closing(self._open()) as own:
                yield own
            return
        bulk = self._held()
        if bulk is None or not answers(bulk):
            self._drop()
            bulk = self._open()
            self._thread.put(bulk)
            with self._lock:
                self._opened.append(bulk)
        self._local.busy = True
        try:
            yield bulk
        except BaseException:
            self._drop()
            raise
        finally:
            self._local.busy = False

    def close(self) -> None:
        """Close every connection kept by this process (a forked child leaves its parent's alone)."""
        if os.getpid() != self._pid:
            return
        with self._lock:
            opened, self._opened = self._opened, []
        for bulk in opened:
            with contextlib.suppress(Exception):
                bulk.close()

    def _held(self) -> BulkConnection | None:
        return self._thread.get()

    def _drop(self) -> None:
        """Forget this thread's connection, closing it quietly (it may be broken already)."""
        bulk = self._thread.drop()
        if bulk is not None:
            with self._lock:
                self._opened = [b for b in self._opened if b is not bulk]


def answers(bulk: BulkConnection) -> bool:
    """Whether a connection still runs a statement."""
    try:
        bulk.scalar("SELECT 1")
    except Exception:
        return False
    return True


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
