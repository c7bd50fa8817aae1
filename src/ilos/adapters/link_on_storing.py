"""Links made as a batch is stored, for the records that repeat an identity already linked (ADR 13)."""

from __future__ import annotations

from ilos.adapters.db.identity_store import IdentityStore
from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.identity_work import DuckIdentityWork
from ilos.domain.feeds import feed as feed_named
from ilos.domain.outcomes import BatchResult


class LinkOnStoring:
    """Called after each stored batch (by the thread that stored it, or the stream's repeats thread):
    links the batch's records that repeat the identity signature of records the last run linked
    (`identity.repeats`), on the snapshot the linking side published (`DuckIdentityWork.linked_signatures`,
    which this asks it to publish). Returns the uids it linked (none before the first snapshot)."""

    def __init__(self, reader: PersonDataReader, work: DuckIdentityWork, store: IdentityStore) -> None:
        self.reader, self.work, self.store = reader, work, store
        work.publishing = True

    def __call__(self, result: BatchResult) -> list[str]:
        snapshot = self.work.linked_signatures
        if snapshot is None or result.batch_id is None or not result.stored:
            return []
        records = self.reader.identity_records_of_batch(feed_named(result.feed), result.batch_id)
        found = snapshot.find(records)
        self.store.link_on_storing(found)
        return self.reader.linked_on_storing(found.column("record_uid").to_pylist())
