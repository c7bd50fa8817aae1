"""The record store: loads a source atomically, chunk by chunk, DuckDB checking while the store writes."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.db.bulk import BulkConnection, KeptConnections, placeholder
from ilos.adapters.db.engine import make_engine, upgrade
from ilos.adapters.db.schema import record_table_name
from ilos.adapters.duck import classify as cls
from ilos.adapters.duck.run import run
from ilos.adapters.duck.sources import Source
from ilos.domain.outcomes import BatchResult, Outcome

KEY_COLUMNS = "source_system, source_record_id, version, content_hash"
#: Hold all stored versions in DuckDB while the feed's table has at most this many rows per incoming row.
LOOKUP_RATIO = 4
#: Chunks classified ahead of the writer at most (each holds up to CHUNK_ROWS rows in memory).
WRITE_QUEUE = 2
EXISTING_SCHEMA = pa.schema(
    [("source_system", pa.string()), ("source_record_id", pa.string()), ("version", pa.int32()),
     ("content_hash", pa.string())]
)  # fmt: skip

Progress = Callable[[int], None]


def utc_now_text() -> str:
    """The current time as the store writes timestamps."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class _Load:
    """State of one source being loaded."""

    source: Source
    batch_id: int
    table: str
    seen: str | None  # DuckDB table of every stored version of the feed, when small enough to hold
    outcomes: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    invalid: list[pa.Table] = field(default_factory=list)
    valid_rows: list[pa.Table] | None = None  # collected for a replay only


class SqlRecordStore:
    """Source records, batches and quarantine in SQLite (embedded) or PostgreSQL."""

    def __init__(self, url: str, busy_timeout_s: float = 600.0) -> None:
        self.url = url
        self.busy_timeout_s = busy_timeout_s
        self.engine = make_engine(url, busy_timeout_s)
        upgrade(self.engine)
        self._writers = KeptConnections(self.bulk)

    def close(self) -> None:
        """Release pooled and kept connections."""
        self._writers.close()
        self.engine.dispose()

    @property
    def is_sqlite(self) -> bool:
        """Whether the store is the embedded SQLite one (else PostgreSQL)."""
        return self.engine.dialect.name == "sqlite"

    def param(self, i: int) -> str:
        """Placeholder for the i-th (1-based) parameter of a BulkConnection statement."""
        return placeholder(self.is_sqlite, i)

    def bulk(self) -> BulkConnection:
        """A new ADBC connection; the caller closes it."""
        return BulkConnection(self.url, self.busy_timeout_s)

    def writing(self) -> AbstractContextManager[BulkConnection]:
        """This thread's kept connection for a stream's frequent small writes (`KeptConnections`)."""
        return self._writers.connection()

    def load(
        self, source: Source, con: duckdb.DuckDBPyConnection, now_utc: str, origin: str,
        resolves: pa.Table | None = None, progress: Progress | None = None,
    ) -> BatchResult:  # fmt: skip
        """Store a source in one transaction: new versions, new quarantine rows and the batch itself.

        `resolves` lists quarantine ids (`quarantine_id`) a replay re-checks; those that now pass are
        marked as loaded by this batch.
        """
        with self.writing() as bulk, bulk.write_transaction():
            load = self._begin(bulk, con, source, origin)
            load.valid_rows = [] if resolves is not None else None
            self._load_chunks(bulk, con, load, now_utc, progress)
            reasons = self._finish(bulk, con, load)
            if resolves is not None:
                self._resolve(bulk, con, load, resolves)
        return BatchResult(source.feed.name, source.name, load.batch_id, load.outcomes, reasons)

    def _begin(
        self, bulk: BulkConnection, con: duckdb.DuckDBPyConnection, source: Source, origin: str
    ) -> _Load:
        p = bulk.param
        batch_id = int(
            bulk.scalar(
                "INSERT INTO ingest_batch (feed, origin, source, source_sha256, started_at, finished_at, rows_read, "
                f"outcome_counts) VALUES ({p(1)}, {p(2)}, {p(3)}, '', {p(4)}, '', 0, '{{}}') RETURNING batch_id",
                [source.feed.name, origin, source.name, utc_now_text()],
            )
        )
        table = record_table_name(source.feed)
        seen = None
        # counted only up to the bound that decides: a count of the whole table grows with the store
        bound = LOOKUP_RATIO * source.estimated_rows
        stored = int(bulk.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {bound + 1}) AS head"))
        if stored <= bound:
            # Cheaper to hold every stored version in DuckDB (and this load's, as they are stored)
            # than to look keys up in the store chunk by chunk.
            seen = f"seen_{batch_id}"
            versions = EXISTING_SCHEMA.empty_table()
            if stored:
                versions = bulk.fetch_arrow(f"SELECT {KEY_COLUMNS} FROM {table}").cast(EXISTING_SCHEMA)
            con.register("stored_versions", versions)
            run(con, f"CREATE OR REPLACE TEMP TABLE {seen} AS SELECT * FROM stored_versions")
            con.unregister("stored_versions")
        return _Load(source, batch_id, table, seen)

    def _load_chunks(
        self, bulk: BulkConnection, con: duckdb.DuckDBPyConnection, load: _Load, now_utc: str,
        progress: Progress | None,
    ) -> None:  # fmt: skip
        """DuckDB checks and classifies chunk k+1 while one writer thread appends chunk k.

        When the stored versions are held in DuckDB (`load.seen`), classifying needs nothing from
        the store, so it runs ahead of the writer by up to WRITE_QUEUE chunks; otherwise each chunk
        waits until the previous one is stored, because its keys are looked up in the store.
        """
        ahead = WRITE_QUEUE if load.seen else 1
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ilos-writer") as writer:
            pending: deque[Future[None]] = deque()
            try:
                for number, chunk in enumerate(load.source.chunks(now_utc)):
                    checked = f"checked_{load.batch_id}_{number}"
                    con.register(checked, chunk)
                    load.invalid.append(cls.invalid_rows(con, load.source.feed, checked, chunk))
                    while len(pending) >= ahead:
                        pending.popleft().result()
                    rows = self._classify(bulk, con, load, checked, chunk)
                    pending.append(writer.submit(self._append, bulk, load.table, rows, progress))
            finally:
                while pending:
                    pending.popleft().result()

    def _classify(
        self, bulk: BulkConnection, con: duckdb.DuckDBPyConnection, load: _Load, checked: str, chunk: pa.Table
    ) -> pa.Table:
        existing = load.seen or self._stored_versions(bulk, con, checked, load.table)
        rows = cls.new_versions(con, load.source.feed, checked, existing, load.batch_id)
        for outcome, n in cls.outcome_counts(chunk, rows).items():
            load.outcomes[outcome] += n
        if load.seen:
            con.register("stored_now", rows)
            run(con, f"INSERT INTO {load.seen} SELECT {KEY_COLUMNS} FROM stored_now")
            con.unregister("stored_now")
        if load.valid_rows is not None:
            load.valid_rows.append(
                con.sql(f"SELECT _row FROM {checked} WHERE _fail IS NULL").to_arrow_table()
            )
        con.unregister(checked)
        if existing == "existing_chunk":
            con.unregister("existing_chunk")
        return rows

    @staticmethod
    def _stored_versions(
        bulk: BulkConnection, con: duckdb.DuckDBPyConnection, checked: str, table: str
    ) -> str:
        """Register the stored versions of the chunk's keys as `existing_chunk`."""
        keys = con.sql(
            f"SELECT DISTINCT source_system, source_record_id FROM {checked} WHERE _fail IS NULL"
        ).to_arrow_table()
        bulk.ingest("ilos_incoming_keys", keys, temporary=True)
        try:
            stored = bulk.fetch_arrow(
                f"SELECT {', '.join('r.' + c for c in KEY_COLUMNS.split(', '))} FROM {table} r "
                "JOIN ilos_incoming_keys k USING (source_system, source_record_id)"
            ).cast(EXISTING_SCHEMA)
        finally:
            bulk.execute("DROP TABLE ilos_incoming_keys")
        con.register("existing_chunk", stored)
        return "existing_chunk"

    @staticmethod
    def _append(bulk: BulkConnection, table: str, rows: pa.Table, progress: Progress | None) -> None:
        if rows.num_rows:
            bulk.ingest(table, rows)
        if progress is not None:
            progress(rows.num_rows)

    def _finish(self, bulk: BulkConnection, con: duckdb.DuckDBPyConnection, load: _Load) -> dict[str, int]:
        """Renumber around unparseable rows, store the quarantine and the batch's totals."""
        end = load.source.finish()
        if end.shifts.num_rows:
            self._shift_rows(bulk, load, end.shifts)
        invalid = pa.concat_tables([cls.QUARANTINE_SCHEMA.empty_table(), *load.invalid])
        quarantined = cls.quarantine_rows(
            con, load.source.feed, load.source.name, load.batch_id, invalid, end.malformed, end.shifts
        )
        quarantined = self._not_quarantined_before(bulk, load.source.feed.name, quarantined)
        if quarantined.num_rows:
            bulk.ingest("quarantine", quarantined)
        load.outcomes[Outcome.QUARANTINED] += end.malformed.num_rows
        reasons = cls.reason_counts(invalid, end.malformed)
        if load.seen:
            run(con, f"DROP TABLE {load.seen}")
        counts = {**{o.value: n for o, n in load.outcomes.items()}, "reasons": reasons}
        p = bulk.param
        bulk.execute(
            f"UPDATE ingest_batch SET source_sha256 = {p(1)}, finished_at = {p(2)}, rows_read = {p(3)}, "
            f"outcome_counts = {p(4)} WHERE batch_id = {load.batch_id}",
            [
                load.source.sha256,
                utc_now_text(),
                sum(load.outcomes.values()),
                json.dumps(counts, sort_keys=True),
            ],
        )
        return reasons

    @staticmethod
    def _not_quarantined_before(bulk: BulkConnection, feed: str, rows: pa.Table) -> pa.Table:
        """`rows` without those an earlier delivery of `feed` quarantined (same raw row), looked up by
        their hashes (reading every hash of the feed grows with the quarantine)."""
        if not rows.num_rows:
            return rows
        hashes = pa.table({"raw_hash": pc.unique(rows.column("raw_hash").cast(pa.string()))})
        bulk.ingest("ilos_incoming_hashes", hashes, temporary=True)
        try:
            known = bulk.fetch_arrow(
                "SELECT q.raw_hash FROM quarantine q JOIN ilos_incoming_hashes h ON q.raw_hash = h.raw_hash "
                f"WHERE q.feed = {bulk.param(1)}",
                [feed],
            )
        finally:
            bulk.execute("DROP TABLE ilos_incoming_hashes")
        if not known.num_rows:
            return rows
        seen = known.column("raw_hash").cast(pa.string())
        mine = rows.column("raw_hash").cast(pa.string())
        return rows.filter(pc.invert(pc.is_in(mine, value_set=seen)))

    @staticmethod
    def _shift_rows(bulk: BulkConnection, load: _Load, shifts: pa.Table) -> None:
        """Rows after an unparseable one were numbered too low: move them down (rare path)."""
        bulk.ingest("ilos_shifts", shifts, temporary=True)
        bulk.execute(
            f"UPDATE {load.table} SET file_row = file_row + coalesce("
            f"(SELECT max(k) FROM ilos_shifts s WHERE s.good_before < {load.table}.file_row), 0) "
            f"WHERE batch_id = {load.batch_id}"
        )
        bulk.execute("DROP TABLE ilos_shifts")

    @staticmethod
    def _resolve(
        bulk: BulkConnection, con: duckdb.DuckDBPyConnection, load: _Load, resolves: pa.Table
    ) -> None:
        """Mark replayed quarantine rows that now passed every rule as loaded by this batch."""
        con.register("replayed", resolves)
        con.register(
            "passed",
            pa.concat_tables([pa.table({"_row": pa.array([], pa.int64())}), *(load.valid_rows or [])]),
        )
        ids = con.sql("SELECT quarantine_id FROM replayed WHERE quarantine_id IN (SELECT _row FROM passed)")
        passed = ids.to_arrow_table()
        con.unregister("replayed")
        con.unregister("passed")
        bulk.ingest("ilos_resolved", passed, temporary=True)
        bulk.execute(
            f"UPDATE quarantine SET resolved_batch_id = {load.batch_id} "
            "WHERE quarantine_id IN (SELECT quarantine_id FROM ilos_resolved)"
        )
        bulk.execute("DROP TABLE ilos_resolved")
