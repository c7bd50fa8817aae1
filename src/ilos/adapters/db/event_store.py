"""Where domain events are kept: table `domain_event` (append only)."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from typing import Any

import pyarrow as pa

from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.db.record_store import SqlRecordStore, utc_now_text


class EventStore:
    """Appends events; reads them back through the reader (`PersonDataReader.events_about`), the one
    door for reading the store."""

    def __init__(self, store: SqlRecordStore, reader: PersonDataReader) -> None:
        self.store = store
        self.reader = reader

    def about(self, kind: str, subjects: list[str], after: int = 0) -> list[dict[str, Any]]:
        """Every event of `kind` already kept about one of `subjects` (with an id above `after`, when
        given), as the dicts appended."""
        rows = self.reader.events_about(kind, sorted(set(subjects)), after)
        return [json.loads(payload) for payload in rows.column("payload").to_pylist()]

    def append(self, kind: str, events: list[dict[str, Any]]) -> None:
        """Record events of one kind, each a JSON-ready dict with `person_id` and `subject`, in one transaction."""
        if not events:
            return
        bulk = self.store.bulk()
        try:
            with bulk.write_transaction():
                bulk.ingest("domain_event", event_rows(kind, events, utc_now_text()))
        finally:
            bulk.close()

    def append_new(
        self, kind: str, events: list[dict[str, Any]], key: Callable[[dict[str, Any]], Hashable]
    ) -> list[dict[str, Any]]:
        """Record the events of one kind no kept event of that kind about the same subject matches by `key`,
        and return them. What is kept is read before the store's single writer lock is taken (other
        writers, a stream's next batch among them, wait while it is held); under the lock, in the
        transaction that appends, only the events kept since are read again. Every append of an event
        holds that lock, so their ids grow in commit order and an event kept since the first read has an
        id above the greatest id it could see: two processes announcing the same thing at once keep it
        once."""
        if not events:
            return []
        seen = self.reader.latest_event_id()
        kept = {key(e) for e in self.about(kind, [e["subject"] for e in events])}
        new = [e for e in events if key(e) not in kept]
        if not new:
            return []
        bulk = self.store.bulk()
        try:
            with bulk.write_transaction():
                since = {key(e) for e in self.about(kind, [e["subject"] for e in new], after=seen)}
                new = [e for e in new if key(e) not in since]
                if new:
                    bulk.ingest("domain_event", event_rows(kind, new, utc_now_text()))
        finally:
            bulk.close()
        return new


def event_rows(kind: str, events: list[dict[str, Any]], at: str) -> pa.Table:
    """`domain_event` rows of one kind recorded at `at`."""
    return pa.table(
        {
            "kind": pa.array([kind] * len(events), pa.string()),
            "at": pa.array([at] * len(events), pa.string()),
            "person_id": pa.array([e.get("person_id") for e in events], pa.string()),
            "subject": pa.array([e.get("subject") for e in events], pa.string()),
            "payload": pa.array([json.dumps(e, sort_keys=True, default=str) for e in events], pa.string()),
        }
    )
