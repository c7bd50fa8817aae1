"""Where users and officers' case steps are kept: tables `app_user` and `case_action` (append only)."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from ilos.adapters.db.event_store import event_rows
from ilos.adapters.db.record_store import SqlRecordStore, utc_now_text
from ilos.domain.events import CASE_STEP

ACTION_COLUMNS = ("case_number", "person_id", "step", "day", "actor", "reason", "approved_by", "justification",
                  "detail", "applied", "from_state", "to_state", "guard_results", "refusals")  # fmt: skip


class CaseStore:
    """Adds users and appends case actions (reading them is the reader's)."""

    def __init__(self, store: SqlRecordStore) -> None:
        self.store = store

    def add_user(self, name: str, role: str, field_office: str | None) -> None:
        """Add a user, or change an existing user's role and office."""
        p = self.store.param
        bulk = self.store.bulk()
        try:
            with bulk.write_transaction():
                bulk.execute(f"DELETE FROM app_user WHERE name = {p(1)}", [name])
                bulk.execute(
                    f"INSERT INTO app_user (name, role, field_office, added_at) VALUES ({p(1)}, {p(2)}, {p(3)}, {p(4)})",
                    [name, role, field_office, utc_now_text()],
                )
        finally:
            bulk.close()

    def append(self, action: dict[str, Any], lead: bool = False) -> str:
        """Append one action and its `case:step` event in one transaction; a new lead gets the next number
        `L-n`. Returns the case."""
        bulk = self.store.bulk()
        try:
            with bulk.write_transaction():
                row = dict(action)
                if lead:
                    count = bulk.scalar("SELECT count(*) FROM case_action WHERE step = 'open'")
                    row["case_number"] = f"L-{int(count or 0) + 1}"
                at = utc_now_text()
                table = pa.table({c: [row[c]] for c in ACTION_COLUMNS}).append_column(
                    "at", pa.array([at], pa.string())
                )
                bulk.ingest("case_action", table)
                bulk.ingest("domain_event", event_rows(CASE_STEP, [_event(row)], at))
        finally:
            bulk.close()
        return str(row["case_number"])


def _event(row: dict[str, Any]) -> dict[str, Any]:
    """The `case:step` event of an action row (JSON columns decoded)."""
    event = {k: row[k] for k in ACTION_COLUMNS if k not in ("case_number", "from_state", "to_state")}
    event.update(subject=row["case_number"], **{"from": row["from_state"], "to": row["to_state"]})
    for key in ("detail", "guard_results", "refusals"):
        event[key] = json.loads(row[key])
    return event
