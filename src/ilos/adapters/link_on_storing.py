"""Links made as batches are stored: the records that repeat an identity already linked (ADR 13), and
the new signatures whose person the next run will certainly give (ADR 11)."""

from __future__ import annotations

import pyarrow as pa

from ilos.adapters.db.identity_store import IdentityStore
from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.identity.decided_on_storing import DecidedOnStoring
from ilos.adapters.identity.model import default_model
from ilos.adapters.identity_work import DuckIdentityWork
from ilos.domain.feeds import feed as feed_named
from ilos.domain.outcomes import BatchResult


class LinkOnStoring:
    """Called by the stream's repeats thread (or the thread that stored), in storing order, on the snapshot
    the linking side published (`DuckIdentityWork.linked_signatures`, which this asks it to publish):
    each stored batch's records that repeat the identity signature of records the last run linked
    (`identity.repeats`, a call a batch), then the new signatures of the batches taken together decided
    as the next run will link them (`decide`: `identity.decided_on_storing`; only when `deciding`). Each
    returns the uids it linked (none before the first snapshot)."""

    def __init__(
        self, reader: PersonDataReader, work: DuckIdentityWork, store: IdentityStore, deciding: bool = True
    ) -> None:
        self.reader, self.work, self.store, self.deciding = reader, work, store, deciding
        self.decided = DecidedOnStoring()
        work.publishing = True
        self._records: dict[int, pa.Table] = {}  # by batch id: read for the repeats, kept for `decide`

    def __call__(self, result: BatchResult) -> list[str]:
        snapshot = self.work.linked_signatures
        if snapshot is None or result.batch_id is None or not result.stored:
            return []
        records = self.reader.identity_records_of_batch(feed_named(result.feed), result.batch_id)
        if self.deciding:
            self._records[result.batch_id] = records
        found = snapshot.find(records)
        self.store.link_on_storing(found)
        return self.reader.linked_on_storing(found.column("record_uid").to_pylist())

    def decide(self, results: list[BatchResult]) -> list[list[str]]:
        """Link the records of the stored batches `results` (after their repeats) whose person the next run
        will certainly give; their uids, by batch."""
        tables = [self._records.pop(r.batch_id, None) if r.batch_id is not None else None for r in results]
        snapshot = self.work.linked_signatures
        present = [t for t in tables if t is not None]
        if snapshot is None or not present:
            return [[] for _ in results]
        records = pa.concat_tables(present).to_pylist()
        saved = self.store.latest_model()
        model = saved if saved is not None else (None, default_model())
        linked = set(self.reader.linked_on_storing([r["record_uid"] for r in records]))
        decided = self.decided.found(snapshot, model, records, linked)
        self.store.link_on_storing(decided, run_id=snapshot.run_id)
        written = set(self.reader.linked_on_storing(decided.column("record_uid").to_pylist()))
        return [
            [] if t is None else sorted(written & set(t.column("record_uid").to_pylist())) for t in tables
        ]
