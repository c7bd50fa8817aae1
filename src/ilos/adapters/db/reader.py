"""The one door through which person data leaves the store.

Every method that returns records, quarantined rows or anything else describing a person goes
through `PersonDataReader._read`, so that read auditing (who read what, when, why) lives in
exactly one place. A test walks the adapters to keep it that way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from ilos.adapters.db.record_store import SqlRecordStore
from ilos.adapters.db.schema import record_table_name
from ilos.domain.feeds import Feed
from ilos.domain.reasons import Reason

QUARANTINE_COLUMNS = "feed, source_system, source_record_id, file, file_row AS row, reason, message"


class PersonDataReader:
    """Reads person data for one actor and purpose."""

    def __init__(self, store: SqlRecordStore, actor: str = "cli") -> None:
        self.store = store
        self.actor = actor

    def _read(
        self, purpose: str, sql: str, params: Sequence[Any] | None = None, text: Sequence[str] = ()
    ) -> pa.Table:
        """Run a read of person data. The single point where read auditing attaches."""
        bulk = self.store.bulk()
        try:
            return bulk.fetch_arrow(sql, params, text)
        finally:
            bulk.close()

    def records_in_force(self, feed: Feed, known_at_utc: str | None = None) -> pa.Table:
        """The version of each record in force with what was recorded by `known_at_utc` (default: all).

        Versions are ordered by recorded_at (ties broken by content hash, so the answer does not depend
        on the order of delivery); a record whose latest version is a retraction is left out.
        """
        table = record_table_name(feed)
        cutoff = f"WHERE recorded_at_utc <= {self.store.param(1)}" if known_at_utc else ""
        key = ["source_system", "source_record_id"]
        rest = [c for c in feed.column_names if c not in key]
        columns = ", ".join([*key, "version", "recorded_at_utc", *rest, "extra"])
        sql = f"""
            SELECT {columns} FROM (
              SELECT r.*, row_number() OVER (
                PARTITION BY source_system, source_record_id
                ORDER BY recorded_at_utc DESC, content_hash DESC) AS latest
              FROM {table} r {cutoff}) v
            WHERE latest = 1 AND coalesce(lower(retracted), '') <> 'true'
        """
        text = [*feed.column_names, "recorded_at_utc", "extra"]
        table = self._read(f"export {feed.name}", sql, [known_at_utc] if known_at_utc else None, text)
        return _sorted(table, ["source_system", "source_record_id"])

    def quarantine(self, feed: str | None, reason: str | None, include_resolved: bool = False) -> pa.Table:
        """Quarantined rows, oldest first, optionally filtered."""
        conditions, params = [], []
        for column, value in (("feed", feed), ("reason", reason)):
            if value is not None:
                params.append(value)
                conditions.append(f"{column} = {self.store.param(len(params))}")
        if not include_resolved:
            conditions.append("resolved_batch_id IS NULL")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = f"SELECT {QUARANTINE_COLUMNS} FROM quarantine {where} ORDER BY quarantine_id"
        text = ["feed", "source_system", "source_record_id", "file", "reason", "message"]
        table = self._read("quarantine list", sql, params, text)
        return _sorted(table, ["feed", "source_system", "source_record_id", "file", "row"])

    def replayable_quarantine(self, feed: Feed) -> pa.Table:
        """Open quarantined rows of `feed` that a fix could load: (_row = quarantine_id, line = raw JSON)."""
        p = self.store.param
        sql = (
            "SELECT quarantine_id AS _row, raw AS line FROM quarantine "
            f"WHERE feed = {p(1)} AND resolved_batch_id IS NULL AND reason <> {p(2)} ORDER BY quarantine_id"
        )
        return self._read("quarantine replay", sql, [feed.name, Reason.MALFORMED_ROW.value])


def _sorted(table: pa.Table, columns: list[str]) -> pa.Table:
    """Rows in byte order of `columns` (missing values last), the same whatever the store's collation."""
    return table.sort_by([(c, "ascending", "at_end") for c in columns])
