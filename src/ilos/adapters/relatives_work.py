"""The RelativesWork port: relationships, identity records and links from the reader; DuckDB does the matching."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.duck.relatives import link_relatives, record_keys, relink_relatives
from ilos.adapters.identity_work import DuckIdentityWork
from ilos.adapters.kept_tables import among_sorted
from ilos.domain.feeds import FEEDS


@dataclass(frozen=True)
class _Resolved:
    """The last result, for the links of run `run_id`: the relationships it read, the records' keys and
    the relationships as described for those links (None when not kept)."""

    run_id: int
    result: pa.Table
    relationships: pa.Table
    keys: pa.Table
    described: pa.Table | None = None


class DuckRelativesWork:
    """Resolves the relatives named in `relationships` to the persons of the current links; the
    identity records and links come from the identity work, which keeps them between runs.

    A long-lived process (the stream) keeps its last result: after an incremental resolution run on
    top of the run that result is for, only the relationships the run's changed records can affect
    are resolved again (`relink_relatives`)."""

    def __init__(
        self, reader: PersonDataReader, con: duckdb.DuckDBPyConnection, identity: DuckIdentityWork
    ) -> None:
        self.reader = reader
        self.con = con
        self.identity = identity
        self._last: _Resolved | None = None
        self._relationships: pa.Table | None = None  # in force, as of the batches up to `_read_through`
        self._read_through = 0  # every batch with an id up to this one was read (`reader.batch_feeds`)

    def relatives(self) -> pa.Table:
        """One row per relationship in force: its subject's and its relative's person, and how."""
        relationships = self._relationships_in_force()
        records, links = self.identity.records(), self.identity.link_state()
        last = self._last
        changed = self.identity.changes_since(last.run_id) if last is not None else None
        described = None
        if last is None or changed is None:
            keys = record_keys(self.con, records)
            result = link_relatives(self.con, relationships, records, links, keys)
        else:
            in_force = among_sorted(records, "record_uid", changed)  # sorted by record uid
            before = (last.result, last.relationships, last.keys, last.described)
            result, keys, described = relink_relatives(
                self.con, before, relationships, (in_force, changed), links
            )
        self._last = _Resolved(self.identity.run_id, result, relationships, keys, described)
        return result

    def _relationships_in_force(self) -> pa.Table:
        """The relationships in force, read again only when a batch of that feed was stored since the
        last read (only a load of the feed writes its table; reading it every batch was 0.1 s at
        100,000 persons)."""
        # before the rows: a batch stored meanwhile is read again later
        feeds = self.reader.batch_feeds(after=self._read_through)
        if self._relationships is None or "relationships" in feeds.values():
            self._relationships = self.reader.records_in_force(FEEDS["relationships"])
        self._read_through = max(feeds, default=self._read_through)
        return self._relationships
