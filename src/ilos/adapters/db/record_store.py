"""The record store: writes staged batches atomically, and is the one door through which person data is read."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from ilos.adapters.db.bulk import BulkConnection
from ilos.adapters.db.engine import make_engine, upgrade
from ilos.adapters.db.schema import record_table_name
from ilos.adapters.duck.classify import (
    classify,
    outcome_counts,
    quarantine_query,
    reason_counts,
    records_query,
)
from ilos.adapters.duck.staging import Staged
from ilos.domain.outcomes import BatchResult

EXISTING_SCHEMA = pa.schema(
    [
        ("source_system", pa.string()),
        ("source_record_id", pa.string()),
        ("version", pa.int64()),
        ("content_hash", pa.string()),
    ]
)
#: Above this ratio of stored rows to incoming rows, look keys up instead of reading all stored keys.
LOOKUP_RATIO = 4
ARROW_BATCH_ROWS = 100_000

Progress = Callable[[int], None]


def utc_now_text() -> str:
    """The current time as the store writes timestamps."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SqlRecordStore:
    """Source records, batches and quarantine in SQLite (embedded) or PostgreSQL."""

    def __init__(self, url: str, busy_timeout_s: float = 600.0) -> None:
        self.url = url
        self.busy_timeout_s = busy_timeout_s
        self.engine = make_engine(url, busy_timeout_s)
        upgrade(self.engine)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    def param(self, i: int) -> str:
        """Placeholder for the i-th (1-based) parameter of a BulkConnection statement."""
        return "?" if self.engine.dialect.name == "sqlite" else f"${i}"

    def bulk(self) -> BulkConnection:
        """A new ADBC connection; the caller closes it."""
        return BulkConnection(self.url, self.busy_timeout_s)

    def commit(
        self, staged: Staged, origin: str, resolves: pa.Table | None = None, progress: Progress | None = None
    ) -> BatchResult:
        """Store a staged batch in one transaction: new versions, new quarantine rows, the batch itself.

        `resolves` lists quarantine ids (column `quarantine_id`) that this batch loads after a replay.
        """
        started = utc_now_text()
        bulk = self.bulk()
        try:
            with bulk.write_transaction():
                table = record_table_name(staged.feed)
                fresh = classify(staged, self._existing_versions(bulk, staged, table))
                outcomes, reasons = outcome_counts(staged, fresh), reason_counts(staged)
                counts = {**{o.value: n for o, n in outcomes.items()}, "reasons": reasons}
                batch_id = self._insert_batch(bulk, staged, origin, started, counts)
                _append(bulk, table, staged, records_query(staged, fresh, batch_id), progress)
                known = bulk.fetch_arrow(
                    f"SELECT raw_hash FROM quarantine WHERE feed = {bulk.param(1)}", [staged.feed.name]
                ).cast(pa.schema([("raw_hash", pa.string())]))
                _append(bulk, "quarantine", staged, quarantine_query(staged, batch_id, known))
                staged.con.unregister("known_quarantine")
                if resolves is not None:
                    self._resolve(bulk, staged, batch_id, resolves, fresh)
                staged.con.execute(f"DROP TABLE {fresh}")
        finally:
            bulk.close()
        return BatchResult(staged.feed.name, staged.source, batch_id, outcomes, reasons)

    def _existing_versions(self, bulk: BulkConnection, staged: Staged, table: str) -> pa.Table:
        stored = bulk.scalar(f"SELECT max(record_id) FROM {table}")
        if stored is None:
            return EXISTING_SCHEMA.empty_table()
        columns = "source_system, source_record_id, version, content_hash"
        if stored <= LOOKUP_RATIO * staged.count("_fail IS NULL"):
            return bulk.fetch_arrow(f"SELECT {columns} FROM {table}").cast(EXISTING_SCHEMA)
        keys = staged.con.sql(
            f"SELECT DISTINCT source_system, source_record_id FROM {staged.checked} WHERE _fail IS NULL"
        ).to_arrow_table()
        bulk.ingest("ilos_incoming_keys", keys, temporary=True)
        try:
            return bulk.fetch_arrow(
                f"SELECT {', '.join('r.' + c for c in columns.split(', '))} FROM {table} r "
                "JOIN ilos_incoming_keys k USING (source_system, source_record_id)"
            ).cast(EXISTING_SCHEMA)
        finally:
            bulk.execute("DROP TABLE ilos_incoming_keys")

    @staticmethod
    def _insert_batch(
        bulk: BulkConnection, staged: Staged, origin: str, started: str, counts: dict[str, Any]
    ) -> int:
        p = bulk.param
        batch_id = bulk.scalar(
            "INSERT INTO ingest_batch (feed, origin, source, source_sha256, started_at, finished_at, rows_read, "
            f"outcome_counts) VALUES ({p(1)}, {p(2)}, {p(3)}, {p(4)}, {p(5)}, {p(6)}, {p(7)}, {p(8)}) "
            "RETURNING batch_id",
            [
                staged.feed.name,
                origin,
                staged.source,
                staged.sha256,
                started,
                utc_now_text(),
                staged.rows_read(),
                json.dumps(counts, sort_keys=True),
            ],
        )
        return int(batch_id)

    @staticmethod
    def _resolve(bulk: BulkConnection, staged: Staged, batch_id: int, resolves: pa.Table, fresh: str) -> None:
        """Mark replayed quarantine rows that now passed every rule as loaded by this batch."""
        staged.con.register("replayed", resolves)
        passed = staged.con.sql(
            f"SELECT quarantine_id FROM replayed WHERE quarantine_id IN "
            f"(SELECT _row FROM {staged.checked} WHERE _fail IS NULL)"
        ).to_arrow_table()
        staged.con.unregister("replayed")
        bulk.ingest("ilos_resolved", passed, temporary=True)
        bulk.execute(
            f"UPDATE quarantine SET resolved_batch_id = {batch_id} "
            "WHERE quarantine_id IN (SELECT quarantine_id FROM ilos_resolved)"
        )
        bulk.execute("DROP TABLE ilos_resolved")


def _append(
    bulk: BulkConnection, table: str, staged: Staged, sql: str, progress: Progress | None = None
) -> None:
    """Stream a DuckDB query's rows into a store table, closing the DuckDB result whatever happens."""
    source = staged.con.sql(sql).to_arrow_reader(ARROW_BATCH_ROWS)
    try:
        if progress is None:
            bulk.ingest(table, source)
            return

        def batches() -> Iterator[pa.RecordBatch]:
            for batch in source:
                yield batch
                progress(batch.num_rows)

        bulk.ingest(table, pa.RecordBatchReader.from_batches(source.schema, batches()))
    finally:
        source.close()
