"""Links made as a batch is stored: the records that repeat an identity already linked (ADR 13), and the
new signatures whose person the next run will certainly give (ADR 11)."""

from __future__ import annotations

from ilos.adapters.db.identity_store import IdentityStore
from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.identity.decided_on_storing import DecidedOnStoring
from ilos.adapters.identity.model import default_model
from ilos.adapters.identity_work import DuckIdentityWork
from ilos.domain.feeds import feed as feed_named
from ilos.domain.outcomes import BatchResult


class LinkOnStoring:
    """Called after each stored batch (by the thread that stored it, or the stream's repeats thread), in
    storing order: links the batch's records that repeat the identity signature of records the last run
    linked (`identity.repeats`), then those of its new signatures decided as the next run will link them
    (`identity.decided_on_storing`), on the snapshot the linking side published
    (`DuckIdentityWork.linked_signatures`, which this asks it to publish). Returns the uids it linked
    (none before the first snapshot)."""

    def __init__(self, reader: PersonDataReader, work: DuckIdentityWork, store: IdentityStore) -> None:
        self.reader, self.work, self.store = reader, work, store
        self.decided = DecidedOnStoring()
        work.publishing = True

    def __call__(self, result: BatchResult) -> list[str]:
        snapshot = self.work.linked_signatures
        if snapshot is None or result.batch_id is None or not result.stored:
            return []
        records = self.reader.identity_records_of_batch(feed_named(result.feed), result.batch_id)
        found = snapshot.find(records)
        self.store.link_on_storing(found)
        saved = self.store.latest_model()
        model = saved if saved is not None else (None, default_model())
        repeats = set(found.column("record_uid").to_pylist())
        decided = self.decided.found(snapshot, model, records.to_pylist(), repeats)
        self.store.link_on_storing(decided, run_id=snapshot.run_id)
        return self.reader.linked_on_storing(sorted(repeats | set(decided.column("record_uid").to_pylist())))

    def close(self) -> None:
        self.decided.close()
