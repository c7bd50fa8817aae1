"""The Loader port: feed input read and checked by DuckDB, stored by the record store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from ilos.adapters.db.record_store import Progress, SqlRecordStore
from ilos.adapters.duck import sources
from ilos.domain.feeds import Feed
from ilos.domain.outcomes import BatchResult


class FeedLoader:
    """Opens feed input and loads it, each source in one transaction."""

    def __init__(
        self, store: SqlRecordStore, con: duckdb.DuckDBPyConnection, now_utc: Callable[[], str]
    ) -> None:
        self.store = store
        self.con = con
        #: the clock a load checks `recorded_at` against, read when each load starts (a long-lived
        #: process, the stream, must not judge what was recorded after it started to be in the future)
        self.now_utc = now_utc

    def preflight(self, feed: Feed, path: Path) -> None:
        """Raise FileUnreadableError now if `path` could never load."""
        sources.preflight(self.con, feed, path)

    def open_file(self, feed: Feed, path: Path) -> sources.Source:
        """A feed file, ready to stream."""
        return sources.open_file(self.con, feed, path)

    def open_json_rows(self, feed: Feed, rows: pa.Table, name: str) -> sources.Source:
        """Rows as JSON objects (`_row`, `line`), ready to stream."""
        return sources.open_json_rows(self.con, feed, rows, name)

    def load(
        self,
        source: sources.Source,
        origin: str,
        resolves: pa.Table | None = None,
        progress: Progress | None = None,
    ) -> BatchResult:
        """Store a source atomically: records, quarantine and the batch."""
        return self.store.load(source, self.con, self.now_utc(), origin, resolves, progress)
