"""The RelativesWork port: relationships, identity records and links from the reader; DuckDB does the matching."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.duck.relatives import link_relatives, record_keys, relink_relatives
from ilos.adapters.identity_work import DuckIdentityWork
from ilos.domain.feeds import FEEDS


@dataclass(frozen=True)
class _Resolved:
    """The last result, for the links of run `run_id`: the relationships it read and the records' keys."""

    run_id: int
    result: pa.Table
    relationships: pa.Table
    keys: pa.Table


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

    def relatives(self) -> pa.Table:
        """One row per relationship in force: its subject's and its relative's person, and how."""
        relationships = self.reader.records_in_force(FEEDS["relationships"])
        records, links = self.identity.records(), self.identity.link_state()
        last = self._last
        changed = self.identity.changes_since(last.run_id) if last is not None else None
        if changed is not None:  # and what batches stored since that run (another process's) changed
            changed = pc.unique(pa.concat_arrays([changed, self._unlike_links(records, links)]))
        if last is None or changed is None:
            keys = record_keys(self.con, records)
            result = link_relatives(self.con, relationships, records, links, keys)
        else:
            in_force = records.filter(pc.is_in(records.column("record_uid"), changed))
            before = (last.result, last.relationships, last.keys)
            result, keys = relink_relatives(self.con, before, relationships, (in_force, changed), links)
        self._last = _Resolved(self.identity.run_id, result, relationships, keys)
        return result

    def _unlike_links(self, records: pa.Table, links: pa.Table) -> pa.Array:
        """Uids of linked records whose identity differs from the one their link was made for, or that
        are no longer in force: batches stored after the last run, which its changes do not name."""
        cur = self.con.cursor()
        try:
            cur.register("recs", records.select(["record_uid", "identity_hash"]))
            cur.register("links", links.select(["record_uid", "identity_hash"]))
            return (
                cur.sql(
                    """SELECT l.record_uid FROM links l JOIN recs r USING (record_uid)
                       WHERE l.identity_hash IS DISTINCT FROM r.identity_hash
                       UNION ALL SELECT record_uid FROM links ANTI JOIN recs USING (record_uid)"""
                )
                .to_arrow_table()
                .column(0)
                .combine_chunks()
            )
        finally:
            cur.close()
