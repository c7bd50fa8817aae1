"""Where the relatives named in `relationships`, resolved to persons, are kept: table `relative_link`."""

from __future__ import annotations

import pyarrow as pa

from ilos.adapters.db.record_store import SqlRecordStore
from ilos.adapters.duck.relatives import COLUMNS


class RelativeStore:
    """Writes `relative_link` (reading it is the reader's: `PersonDataReader.relatives`)."""

    def __init__(self, store: SqlRecordStore) -> None:
        self.store = store

    def latest_run(self) -> int | None:
        """The newest resolution run, whose persons the relatives are resolved to; None before any."""
        bulk = self.store.bulk()
        try:
            run_id = bulk.scalar("SELECT max(run_id) FROM resolution_run")
        finally:
            bulk.close()
        return None if run_id is None else int(run_id)

    def save_relatives(self, run_id: int, relatives: pa.Table) -> None:
        """Replace the table's content with this run's relatives, in one transaction."""
        rows = relatives.select(list(COLUMNS))
        rows = rows.append_column("run_id", pa.array([run_id] * rows.num_rows, pa.int64()))
        bulk = self.store.bulk()
        try:
            with bulk.write_transaction():
                bulk.execute("DELETE FROM relative_link")
                if rows.num_rows:
                    bulk.ingest("relative_link", rows)
        finally:
            bulk.close()
