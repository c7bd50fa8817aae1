"""The one door through which person data leaves the store.

Every method that returns records, quarantined rows or anything else describing a person goes
through `PersonDataReader._read`, so that read auditing (who read what, when, why) lives in
exactly one place. A test walks the adapters to keep it that way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute

from ilos.adapters.db.bulk import BulkConnection, ThreadHeld, answers, values_of_json
from ilos.adapters.db.record_store import SqlRecordStore
from ilos.adapters.db.schema import record_table_name
from ilos.domain.feeds import EVIDENCE_UNVERIFIED, FEEDS, IDENTITY_COLUMNS, Feed
from ilos.domain.reasons import Reason

#: Columns of each feed that admission statuses read (besides uid, person_id and source_record_id).
ADMISSION_INPUTS: dict[str, tuple[str, ...]] = {
    "arrivals": ("source_system", "admission_number", "class_of_admission", "citizenship", "mode",
                 "admitted_on", "admit_until"),
    "departures": ("source_system", "departure_date", "evidence", "admission_number"),
    "status_events": ("source_system", "receipt_number", "benefit", "event", "event_date", "valid_until",
                      "admission_number"),
}  # fmt: skip
#: The day of each feed's trip event (an SQL expression over the feed's columns), read beside the
#: identity columns: a departure with only a name is placed by the trip it ends
#: (`ilos.adapters.identity.trips`). Arrivals begin a stay; encounters (but a return, sent back at
#: once) and court events show their person in the country on their day, as for a person who entered
#: without inspection, or one held at a port until removed. A self-reported departure has none:
#: it is a claim that another source must corroborate, so it neither ends a trip nor is placed by one
#: (the carrier's record of the real departure, days later, must still find its traveller in the country).
#: A filing made from inside the country (an extension, a change or an adjustment of status) and a
#: student's program event carry theirs: a status event with only a name is placed like a departure.
_CLAIMED = ", ".join(f"'{code}'" for code in sorted(EVIDENCE_UNVERIFIED))
_FILED_INSIDE = "'EXTENSION_OF_STAY', 'CHANGE_OF_STATUS', 'ADJUSTMENT_OF_STATUS'"
#: Where a record's person is: its current link, or (a record retracted since) its last one.
LINK_TABLES = ("identity_link", "retired_link")
TRIP_DAYS = {
    "arrivals": "admitted_on",
    "departures": f"CASE WHEN evidence IN ({_CLAIMED}) THEN NULL ELSE departure_date END",
    "encounters": "CASE WHEN outcome = 'RETURNED' THEN NULL ELSE event_date END",
    "court_events": "event_date",
    "status_events": f"CASE WHEN benefit = 'STUDENT_PROGRAM' OR (event = 'FILED' AND benefit IN ({_FILED_INSIDE}))"
    " THEN event_date END",
}
QUARANTINE_COLUMNS = "feed, source_system, source_record_id, file, file_row AS row, reason, message"


class PersonDataReader:
    """Reads person data for one actor and purpose."""

    def __init__(self, store: SqlRecordStore, actor: str = "cli") -> None:
        self.store = store
        self.actor = actor
        self._thread = ThreadHeld()

    def _read(
        self, purpose: str, sql: str, params: Sequence[Any] | None = None, text: Sequence[str] = ()
    ) -> pa.Table:
        """Run a read of person data. The single point where read auditing attaches.

        A kept connection may have been closed under us (a server restart, an idle timeout): when a read
        on it fails and the connection no longer answers, the read runs once more on a new one (a query
        that fails on a live connection fails at once)."""
        kept = self._held()
        bulk = kept or self._connection()
        try:
            return bulk.fetch_arrow(sql, params, text)
        except Exception:
            if answers(bulk):
                raise
            self._drop()
            if kept is None:
                raise
        except BaseException:  # an interrupt mid-read: the connection's state is unknown
            self._drop()
            raise
        return self._read(purpose, sql, params, text)  # once more, on a new connection

    def _held(self) -> BulkConnection | None:
        """This thread's kept reading connection, if it was opened by this process."""
        return self._thread.get()

    def _connection(self) -> BulkConnection:
        """This thread's reading connection, opened on first use and kept: opening one costs more than a
        small read (SQLite reads the schema again). Each read is its own transaction (autocommit), so a
        kept connection sees every commit."""
        bulk = self._held()
        if bulk is None:
            bulk = self.store.bulk()
            self._thread.put(bulk)
        return bulk

    def _drop(self) -> None:
        """Forget this thread's connection, closing it quietly (it may be broken already)."""
        self._thread.drop()

    def close(self) -> None:
        """Close this thread's reading connection, if one is open (a stream's threads each close their own as
        they end; connections of other threads close when their reader is collected)."""
        self._drop()

    def records_in_force(self, feed: Feed, known_at_utc: str | None = None) -> pa.Table:
        """The version of each record in force with what was recorded by `known_at_utc` (default: all)."""
        table = record_table_name(feed)
        cutoff = f"WHERE recorded_at_utc <= {self.store.param(1)}" if known_at_utc else ""
        key = ["source_system", "source_record_id"]
        rest = [c for c in feed.column_names if c not in key]
        columns = ", ".join([*key, "version", "recorded_at_utc", *rest, "extra"])
        sql = f"SELECT {columns} FROM {_in_force(table, cutoff)}"
        text = [*feed.column_names, "recorded_at_utc", "extra"]
        table = self._read(f"export {feed.name}", sql, [known_at_utc] if known_at_utc else None, text)
        return _sorted(table, ["source_system", "source_record_id"])

    def identity_records(self) -> pa.Table:
        """Identity columns of every record in force, all feeds: the input of identity resolution.

        record_uid is feed/source_system/source_record_id; first_recorded_utc is when the record was
        first recorded (its oldest version), which decides whose id survives a split.
        """
        parts = [self._identity_part(feed) for feed in FEEDS.values()]
        return pa.concat_tables(parts).sort_by([("record_uid", "ascending")])

    def identity_records_of_batches(self, after: int, through: int) -> tuple[pa.Table, pa.Table]:
        """What the batches with ids above `after` up to `through` changed: the uids of every record
        they stored a version of, and the identity rows (as `identity_records`) of those still in force
        (a retraction is not). Batches commit in id order (`batch_feeds`), so once `through` is seen
        committed the range holds no batch still to come, however many it spans."""
        changed, rows = [], []
        p = self.store.param
        for feed in FEEDS.values():
            table = record_table_name(feed)
            sql = (
                f"SELECT DISTINCT '{feed.name}/' || source_system || '/' || source_record_id AS record_uid "
                f"FROM {table} WHERE batch_id > {p(1)} AND batch_id <= {p(2)}"
            )
            changed.append(self._read(f"identity changes {feed.name}", sql, [after, through], ["record_uid"]))
            rows.append(self._identity_part(feed, batches=(after, through)))
        return pa.concat_tables(changed), pa.concat_tables(rows).sort_by([("record_uid", "ascending")])

    def identity_records_of_batch(self, feed: Feed, batch_id: int) -> pa.Table:
        """The identity rows (as `identity_records`, in no order) of the records in force that one batch
        of `feed` stored a version of."""
        return self._identity_part(feed, batches=(batch_id - 1, batch_id))

    def linked_on_storing(self, uids: Sequence[str]) -> list[str]:
        """Those of `uids` whose current link was made as they were stored (ADR 13), sorted."""
        if not uids:
            return []
        params: list[Any] = []
        sql = (
            "SELECT record_uid FROM identity_link WHERE anchor_uid IS NOT NULL "
            f"AND record_uid IN ({self._values(params, uids)})"
        )
        found = self._read("links on storing", sql, params, ["record_uid"])
        return sorted(str(uid) for uid in found.column("record_uid").to_pylist())

    def batch_feeds(self, after: int = 0) -> dict[int, str]:
        """The feed of every load batch committed with an id above `after`, by batch id.

        A load inserts its batch row under the store's single writer lock, held until it commits (ADR 1),
        so batches commit in the order of their ids: once a batch is seen committed, no batch with a
        lower id commits later, and a reader that has read every id up to one has nothing below it to
        read again (a long-lived stream stores millions of batches)."""
        rows = self._read(
            "batches",
            f"SELECT batch_id, feed FROM ingest_batch WHERE batch_id > {self.store.param(1)}",
            [after],
            text=["feed"],
        )
        return dict(zip(rows.column(0).to_pylist(), rows.column(1).to_pylist(), strict=True))

    def batch_ids(self, after: int = 0) -> set[int]:
        """The id of every load batch committed with an id above `after` (see `batch_feeds`)."""
        return {int(b) for b in self.batch_feeds(after)}

    def latest_run_id(self) -> int:
        """The newest resolution run's id (0 before any)."""
        sql = "SELECT max(run_id) AS r FROM resolution_run"
        return int(self._read("resolution runs", sql).column(0)[0].as_py() or 0)

    def withdrawn_identities(self, uids: Sequence[str] | None = None, retired: bool = False) -> pa.Table:
        """Identity rows (as `identity_records`, with their last version before the retraction) of the
        records withdrawn (their version in force is a retraction) that no run linked: no current or
        retired link; or, when `retired`, those that keep a retired link. Only the records `uids` names
        (feed/source_system/source_record_id), when given."""
        parts = []
        for feed in FEEDS.values():
            keys = (
                None if uids is None else [u.split("/", 1)[1] for u in uids if u.startswith(f"{feed.name}/")]
            )
            if keys != []:
                parts.append(self._identity_part(feed, keys=keys, withdrawn=True, retired=retired))
        if not parts:  # matches nothing: the empty table
            parts.append(self._identity_part(next(iter(FEEDS.values())), keys=[""], withdrawn=True))
        return pa.concat_tables(parts).sort_by([("record_uid", "ascending")])

    def retired_links(self) -> pa.Table:
        """record_uid, person_id of every record no longer in force that keeps its last person."""
        sql = "SELECT record_uid, person_id FROM retired_link"
        return self._read("retired links", sql, text=["record_uid", "person_id"]).sort_by("record_uid")

    def _identity_part(
        self,
        feed: Feed,
        keys: list[str] | None = None,
        batches: tuple[int, int] | None = None,
        withdrawn: bool = False,
        retired: bool = False,
    ) -> pa.Table:
        """Identity columns of the feed's records in force; only those whose `source_system/source_record_id`
        is in `keys`, or that a batch with an id in the range `batches` (above the first, up to the
        second) stored a version of, when given (the versions of other records are not read).
        `withdrawn`: the last version before the retraction of records withdrawn and never linked (or,
        `retired`, keeping a retired link), instead."""
        identity = [c.name for c in IDENTITY_COLUMNS if c.name != "recorded_at"]
        admission = "admission_number" if "admission_number" in feed.column_names else "NULL"
        incident = "incident_id" if "incident_id" in feed.column_names else "NULL"
        receipt = "receipt_number" if "receipt_number" in feed.column_names else "NULL"
        day = TRIP_DAYS.get(feed.name, "NULL")
        columns = ", ".join(identity)
        cutoff = ""
        params: list[Any] = [feed.name, feed.name]
        if keys:
            cutoff = f"WHERE source_system || '/' || source_record_id IN ({self._values(params, keys)})"
        elif batches:
            table = record_table_name(feed)
            p = self.store.param
            cutoff = (
                f"WHERE (source_system, source_record_id) IN (SELECT source_system, source_record_id "
                f"FROM {table} WHERE batch_id > {p(3)} AND batch_id <= {p(4)})"
            )
            params += list(batches)
        table = record_table_name(feed)
        source = (
            _withdrawn(table, feed.name, cutoff, retired)
            if withdrawn
            else _in_force(table, cutoff, first_recorded=True)
        )
        sql = f"""
            SELECT CAST({self.store.param(1)} AS TEXT) || '/' || source_system || '/' || source_record_id AS record_uid,
                   CAST({self.store.param(2)} AS TEXT) AS feed, {columns}, {admission} AS admission_number,
                   {incident} AS incident_id, {receipt} AS receipt_number, {day} AS event_day, first_recorded_utc
            FROM {source}
        """
        text = [
            "record_uid",
            "feed",
            *identity,
            "admission_number",
            "incident_id",
            "receipt_number",
            "event_day",
            "first_recorded_utc",
        ]
        return self._read(f"identity {feed.name}", sql, params, text).select(text)

    def links(self) -> pa.Table:
        """The current person of every record in force: feed, source_system, source_record_id, person_id."""
        sql = "SELECT feed, source_system, source_record_id, person_id, record_uid FROM identity_link"
        table = self._read(
            "export links", sql, text=["feed", "source_system", "source_record_id", "person_id", "record_uid"]
        )
        return _sorted(table, ["feed", "source_system", "source_record_id"])

    def link_state(self) -> pa.Table:
        """record_uid, person_id, component, identity_hash of every linked record (for incremental linking)."""
        sql = "SELECT record_uid, person_id, component, identity_hash FROM identity_link"
        return self._read(
            "identity link state", sql, text=["record_uid", "person_id", "component", "identity_hash"]
        ).sort_by([("record_uid", "ascending")])

    def component_facts(self) -> pa.Table:
        """What the runs' clustering read of each linked component, as the last run left it (`component_fact`:
        signatures, pairs, support, apart, a_numbers, a_number, settled, whole), by component."""
        sql = (
            "SELECT component, signatures, pairs, support, apart, a_numbers, a_number, settled, whole "
            "FROM component_fact"
        )  # sorted here: PostgreSQL's collation need not order text as Arrow does
        return self._read("component facts", sql, text=["component", "a_number"]).sort_by("component")

    def review_queue(self) -> pa.Table:
        """Open pairs awaiting a reviewer, strongest first. Moot pairs are left out, as a full run would
        not queue them: records no longer in force (retracted since), and records a later run put in
        one person through others (but a trip placement, in one person by design, stays to confirm)."""
        # joins, not `IN (SELECT ...)`: SQLite drove two IN lists into the pair key, a lookup for every
        # pair of linked records (minutes on 280,000 records)
        sql = (
            "SELECT p.record_uid_l, p.record_uid_r, p.match_weight, p.match_probability, p.rule FROM review_pair p "
            "JOIN identity_link a ON a.record_uid = p.record_uid_l JOIN identity_link b ON b.record_uid = p.record_uid_r "
            "WHERE p.decision IS NULL AND (a.person_id <> b.person_id OR p.rule = 'trip') "
            "ORDER BY p.match_weight DESC, p.record_uid_l, p.record_uid_r"
        )
        return self._read("review list", sql, text=["record_uid_l", "record_uid_r", "rule"])

    def held_pairs(self, runs: Sequence[int] | None = None) -> pa.Table:
        """Open review pairs (record_uid_l, record_uid_r, rule, first_seen_run) whose outcome depends on
        records beyond the pair, which an incremental run re-resolves together: `ambiguous` pairs
        (records held because they match both records of a twins pair), and the plain review pairs and
        trip placements of departures (a departure left alone may be placed by its trip among the persons
        it is in review with; a pair keeps the rule it was first queued with). A status event's trip
        placement needs no hold: the incremental run ties a record placed alone to its person's
        components. Every other open pair of a departure or a status event comes too, whatever its rule:
        a record its trip placed is paired with the record that placed it, under the rule the pair was
        first queued with (`incremental._unscored` reads them). Only the pairs the resolution runs `runs`
        queued, when given."""
        placed = " OR ".join(
            f"record_uid_{side} LIKE '{feed}/%'" for feed in ("departures", "status_events") for side in "lr"
        )
        sql = (
            "SELECT record_uid_l, record_uid_r, coalesce(rule, '') AS rule, first_seen_run FROM review_pair"
            f" WHERE decision IS NULL AND (rule = 'ambiguous' OR {placed})"
        )
        params: list[Any] = []
        if runs is not None:
            marks = ", ".join(self.store.param(i + 1) for i in range(len(runs))) or "NULL"
            sql += f" AND first_seen_run IN ({marks})"
            params = list(runs)
        return self._read(
            "identity held pairs", sql, params or None, ["record_uid_l", "record_uid_r", "rule"]
        )

    def run_ids(self, after: int = 0) -> set[int]:
        """The id of every resolution run kept with an id above `after` (one small row each). A run is
        saved under the store's single writer lock, so runs commit in the order of their ids, as batches
        do (`batch_feeds`)."""
        sql = f"SELECT run_id FROM resolution_run WHERE run_id > {self.store.param(1)}"
        return {int(r) for r in self._read("resolution runs", sql, [after]).column(0).to_pylist()}

    def review_decisions(self) -> pa.Table:
        """Reviewers' decisions (record_uid_l, record_uid_r, decision): constraints for every run."""
        sql = "SELECT record_uid_l, record_uid_r, decision FROM review_pair WHERE decision IS NOT NULL"
        return self._read("review decisions", sql, text=["record_uid_l", "record_uid_r", "decision"])

    def records_by_uid(self, uids: list[str]) -> pa.Table:
        """Identity records in force with these record uids (for explanations); reads only those."""
        parts = []
        for feed in FEEDS.values():
            keys = [uid.removeprefix(f"{feed.name}/") for uid in uids if uid.startswith(f"{feed.name}/")]
            if keys:
                parts.append(self._identity_part(feed, keys))
        if not parts:
            return self._identity_part(next(iter(FEEDS.values())), [""])  # matches nothing: the empty table
        return pa.concat_tables(parts).sort_by([("record_uid", "ascending")])

    def admission_inputs(
        self, known_at_utc: str | None = None, person_ids: Sequence[str] | None = None
    ) -> dict[str, pa.Table]:
        """Arrivals, departures and status events in force as known at `known_at_utc`, each with the
        `person_id` its record is linked to (NULL when linked to no one) and `uid`; only the records of
        `person_ids` when given."""
        return self.feed_inputs(ADMISSION_INPUTS, known_at_utc, person_ids)

    def feed_inputs(
        self, columns: dict[str, tuple[str, ...]], known_at_utc: str | None, person_ids: Sequence[str] | None
    ) -> dict[str, pa.Table]:
        """Records in force of each feed named in `columns` (as `admission_inputs`), with those columns."""
        return {
            name: self._with_person(FEEDS[name], feed_columns, known_at_utc, person_ids)
            for name, feed_columns in columns.items()
        }

    def relative_links(self, person_ids: Sequence[str] | None = None) -> pa.Table:
        """uid of each relationships record and the person its relative was resolved to (NULL when none);
        only records filed by `person_ids` when given."""
        where, params = "", list[Any]()
        if person_ids is not None:
            where = f"WHERE subject_person_id IN ({self._values(params, person_ids)})"
        sql = (
            "SELECT 'relationships/' || source_system || '/' || source_record_id AS uid, relative_person_id "
            f"FROM relative_link {where}"
        )
        return self._read("relative links", sql, params or None, ["uid", "relative_person_id"])

    def person_count(self) -> int:
        """How many persons the store holds (not retired by a merge)."""
        rows = self._read("person count", "SELECT count(*) AS n FROM person WHERE retired_run IS NULL")
        return int(rows.column("n")[0].as_py())

    def persons_of_admissions(self, numbers: Sequence[str]) -> list[str]:
        """Persons whose arrivals, departures or status events carry one of these admission numbers (a record
        retracted since counts for the person it was last linked to)."""
        return self._persons_where("admission persons", ADMISSION_INPUTS, "admission_number", numbers)

    def persons_of_case(self, case_number: str) -> list[str]:
        """Persons the court events of one case are linked to (a record retracted since: its last person)."""
        return self._persons_where("case persons", ["court_events"], "case_number", [case_number])

    def _persons_where(
        self, label: str, feeds: Iterable[str], column: str, values: Sequence[str]
    ) -> list[str]:
        """Persons the records of `feeds` whose `column` is one of `values` are linked to, now or (a record
        retracted since) last; joined by record uid, the link's key."""
        if not values:
            return []
        params: list[Any] = []
        wanted = f"WITH wanted AS ({self._values(params, values)}) "
        parts = [
            f"SELECT l.person_id FROM {record_table_name(FEEDS[name])} r JOIN {links} l "
            f"ON l.record_uid = '{name}/' || r.source_system || '/' || r.source_record_id "
            f"WHERE r.{column} IN (SELECT value FROM wanted)"
            for name in feeds
            for links in LINK_TABLES
        ]
        found = self._read(label, wanted + " UNION ".join(parts), params, ["person_id"])
        return sorted(set(found.column("person_id").to_pylist()))

    def users(self) -> pa.Table:
        """Local users: name, role, field_office."""
        sql = "SELECT name, role, field_office FROM app_user ORDER BY name"
        return self._read("users", sql, text=["name", "role", "field_office"])

    def case_actions(self, case_number: str | None = None) -> pa.Table:
        """Officers' steps on one case (or on every case), oldest first, applied or refused."""
        where = f"WHERE case_number = {self.store.param(1)}" if case_number is not None else ""
        sql = (
            "SELECT action_id, case_number, person_id, step, day, at, actor, reason, approved_by, justification, "
            f"detail, applied, from_state, to_state, guard_results, refusals FROM case_action {where} ORDER BY action_id"
        )
        text = ["case_number", "person_id", "step", "day", "at", "actor", "reason", "approved_by", "justification",
                "detail", "from_state", "to_state", "guard_results", "refusals"]  # fmt: skip
        return self._read("case actions", sql, [case_number] if case_number is not None else None, text)

    def persons_of_records(self, uids: Sequence[str]) -> list[str]:
        """Persons the records with these uids (feed/source_system/source_record_id) are linked to."""
        if not uids:
            return []
        params: list[Any] = []
        sql = (
            f"SELECT DISTINCT person_id FROM identity_link WHERE record_uid IN ({self._values(params, uids)})"
        )
        found = self._read("record persons", sql, params, ["person_id"])
        return sorted(found.column("person_id").to_pylist())

    def last_persons_of_records(self, uids: Sequence[str]) -> list[str]:
        """Persons the records with these uids are linked to now or, a record retracted since, were last
        linked to."""
        if not uids:
            return []
        params: list[Any] = []
        wanted = f"WITH wanted AS ({self._values(params, uids)}) "
        sql = wanted + " UNION ".join(
            f"SELECT person_id FROM {links} WHERE record_uid IN (SELECT value FROM wanted)"
            for links in LINK_TABLES
        )
        found = self._read("record persons", sql, params, ["person_id"])
        return sorted(set(found.column("person_id").to_pylist()))

    def regrouped_departures(self, run_id: int) -> list[str]:
        """uids of the departure records now linked to a person whose records resolution run `run_id`
        regrouped: a merge's survivor, a split's two parts. A departure that ended no admission of its
        person before may end one of the person it now belongs to."""
        p = self.store.param
        sql = (
            "SELECT record_uid FROM identity_link WHERE feed = 'departures' AND person_id IN "
            f"(SELECT person_id FROM identity_event WHERE run_id = {p(1)} UNION "
            f"SELECT other_person_id FROM identity_event WHERE run_id = {p(2)} AND kind = 'split') "
            "ORDER BY record_uid"
        )
        found = self._read("regrouped departures", sql, [run_id, run_id], ["record_uid"])
        return [str(uid) for uid in found.column("record_uid").to_pylist()]

    def person_known(self, person_id: str) -> bool:
        """Whether any record is, or (retracted since) was last, linked to the person."""
        p = self.store.param
        parts = [
            f"SELECT person_id FROM {links} WHERE person_id = {p(i + 1)}"
            for i, links in enumerate(LINK_TABLES)
        ]
        params = [person_id] * len(LINK_TABLES)
        return bool(self._read("person known", " UNION ALL ".join(parts), params, ["person_id"]).num_rows > 0)

    def batch_keys(self, feed: Feed, batch_id: int) -> pa.Table:
        """uid and admission_number of the record versions one batch stored (a scan of the feed's table)."""
        number = "admission_number" if "admission_number" in feed.column_names else "NULL"
        sql = (
            f"SELECT '{feed.name}/' || source_system || '/' || source_record_id AS uid, {number} AS admission_number "
            f"FROM {record_table_name(feed)} WHERE batch_id = {self.store.param(1)}"
        )
        return self._read(f"batch {feed.name}", sql, [batch_id], ["uid", "admission_number"])

    def events(self, kind: str | None = None, after: int = 0) -> pa.Table:
        """Domain events after `after` (an event id), oldest first, optionally of one kind."""
        p = self.store.param
        where = f"event_id > {p(1)}" + (f" AND kind = {p(2)}" if kind else "")
        sql = f"SELECT event_id, kind, at, person_id, subject, payload FROM domain_event WHERE {where} ORDER BY event_id"
        params: list[Any] = [after, kind] if kind else [after]
        return self._read("events", sql, params, ["kind", "at", "person_id", "subject", "payload"])

    def latest_event_id(self) -> int:
        """The greatest event id kept (0 when none is)."""
        rows = self._read("latest event", "SELECT coalesce(max(event_id), 0) AS id FROM domain_event")
        return int(rows.column("id")[0].as_py())

    def events_about(self, kind: str, subjects: Sequence[str], after: int = 0) -> pa.Table:
        """subject and payload of every event of `kind` about one of `subjects` (through the index on kind
        and subject), of those with an id above `after` when it is given."""
        params: list[Any] = [kind, after]
        sql = (
            f"SELECT subject, payload FROM domain_event WHERE kind = {self.store.param(1)} "
            f"AND event_id > {self.store.param(2)} AND subject IN ({self._values(params, subjects)})"
        )
        return self._read("events about", sql, params, ["subject", "payload"])

    def _values(self, params: list[Any], values: Sequence[str]) -> str:
        """A subquery of the texts `values` (column `value`), for `x IN (...)`, bound as one parameter (a
        JSON array, appended to `params`): a read may ask for tens of thousands of values, past what a
        statement may bind (SQLite: 32,766), and the driver binds each parameter at some microseconds."""
        params.append(json.dumps(list(values)))
        return values_of_json(self.store.is_sqlite, self.store.param(len(params)))

    def _with_person(
        self, feed: Feed, columns: Sequence[str], known_at_utc: str | None, person_ids: Sequence[str] | None
    ) -> pa.Table:
        params: list[Any] = []
        sql = self._with_person_sql(feed, columns, known_at_utc, person_ids, params)
        text = ["uid", "person_id", "source_record_id", *columns]
        return self._read(f"admission status {feed.name}", sql, params, text).select(text)

    def _with_person_sql(
        self, feed: Feed, columns: Sequence[str], known_at_utc: str | None, person_ids: Sequence[str] | None,
        params: list[Any], selected: str | None = None,
    ) -> str:  # fmt: skip
        """The query of `_with_person` (its parameters appended to `params`); `selected` replaces the
        select list of the feed's columns (`x.` names a record's column)."""
        p = self.store.param
        conditions = []
        # A record in force at `known_at` may have been retracted since: it counts for its last person.
        links = LINK_TABLES if known_at_utc else LINK_TABLES[:1]
        if known_at_utc:
            params.append(known_at_utc)
            conditions.append(f"recorded_at_utc <= {p(len(params))}")
        if person_ids is not None:
            linked = []
            for table in links:
                wanted = self._values(params, person_ids)
                linked.append(
                    f"SELECT source_system, source_record_id FROM {table} "
                    f"WHERE feed = '{feed.name}' AND person_id IN ({wanted})"
                )
            conditions.append(f"(source_system, source_record_id) IN ({' UNION ALL '.join(linked)})")
        cutoff = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        selected = selected or ", ".join(f"x.{c}" for c in columns)
        retired = "LEFT JOIN retired_link r ON r.record_uid = x.uid" if known_at_utc else ""
        person = "coalesce(l.person_id, r.person_id)" if known_at_utc else "l.person_id"
        return f"""
            SELECT x.uid, {person} AS person_id, x.source_record_id, {selected}
            FROM (SELECT '{feed.name}/' || source_system || '/' || source_record_id AS uid, *
                  FROM {_in_force(record_table_name(feed), cutoff)}) x
            LEFT JOIN identity_link l ON l.record_uid = x.uid {retired}
        """

    def person_rows(
        self, columns: dict[str, tuple[str, ...]], known_at_utc: str | None, person_ids: Sequence[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """The records of a few persons (as `feed_inputs`), as rows of text per feed, in one read: a
        single person's answer needs them in milliseconds, and every read costs one."""
        every = list(dict.fromkeys(c for cols in columns.values() for c in cols))
        params: list[Any] = []
        parts = []
        for name, cols in columns.items():
            selected = ", ".join(
                [f"'{name}' AS feed", *(f"x.{c}" if c in cols else f"NULL AS {c}" for c in every)]
            )
            parts.append(self._with_person_sql(FEEDS[name], cols, known_at_utc, person_ids, params, selected))
        text = ["uid", "person_id", "source_record_id", "feed", *every]
        table = self._read("person records", " UNION ALL ".join(parts), params, text)
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in columns}
        keep = {name: ("uid", "person_id", "source_record_id", *cols) for name, cols in columns.items()}
        for row in table.to_pylist():
            name = row["feed"]
            rows[name].append({k: row[k] for k in keep[name]})
        return rows

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

    def relatives(self, person_id: str | None = None) -> pa.Table:
        """Relatives named in `relationships`, resolved to persons (all, or those filed by or naming
        `person_id`), with the relative as the filer described them and the record's uid (`source`)."""
        p = self.store.param
        where = f"WHERE l.subject_person_id = {p(1)} OR l.relative_person_id = {p(2)}" if person_id else ""
        rows = _in_force(record_table_name(FEEDS["relationships"]))
        sql = f"""
            SELECT l.source_system, l.source_record_id, l.relationship_id, l.subject_person_id, l.relationship,
                   l.relative_person_id, l.relative_us_citizen, l.match, l.run_id,
                   r.relative_family_name, r.relative_given_names, r.relative_date_of_birth,
                   r.relative_a_number,
                   'relationships/' || l.source_system || '/' || l.source_record_id AS source
            FROM relative_link l LEFT JOIN (SELECT * FROM {rows}) r
                 ON r.source_system = l.source_system AND r.source_record_id = l.source_record_id
            {where}
        """
        text = ["source_system", "source_record_id", "relationship_id", "subject_person_id", "relationship",
                "relative_person_id", "relative_us_citizen", "match", "relative_family_name",
                "relative_given_names", "relative_date_of_birth", "relative_a_number", "source"]  # fmt: skip
        table = self._read("relatives", sql, [person_id, person_id] if person_id else None, text)
        return _sorted(table, ["source_system", "source_record_id"])


#: The order of a record's versions, newest first: by recorded_at; of versions recorded at the same
#: moment, a retraction first (it withdraws what was recorded then), then by content hash, so that the
#: answer does not depend on the order of delivery (ADR 2).
NEWEST_FIRST = "recorded_at_utc DESC, coalesce(lower(retracted), '') = 'true' DESC, content_hash DESC"


def _in_force(table: str, cutoff: str = "", first_recorded: bool = False) -> str:
    """A subquery of the version of each record in force: the newest (`NEWEST_FIRST`), unless that
    version is a retraction.
    `cutoff` is a WHERE clause on the versions considered; `first_recorded` adds when each record was
    first recorded (its oldest version)."""
    first = (
        ", min(recorded_at_utc) OVER (PARTITION BY source_system, source_record_id) AS first_recorded_utc"
        if first_recorded
        else ""
    )
    return f"""(
        SELECT r.*, row_number() OVER (
                 PARTITION BY source_system, source_record_id
                 ORDER BY {NEWEST_FIRST}) AS latest{first}
        FROM {table} r {cutoff}) v
        WHERE latest = 1 AND coalesce(lower(retracted), '') <> 'true'"""


def _withdrawn(table: str, feed_name: str, cutoff: str = "", retired: bool = False) -> str:
    """A subquery like `_in_force`'s, of records whose version in force is a retraction and that no
    identity link or retired link names (`retired`: that a retired link names): the newest version of
    each that is not a retraction."""
    key = "PARTITION BY source_system, source_record_id"
    order = f"ORDER BY {NEWEST_FIRST}"
    uid = f"'{feed_name}/' || v.source_system || '/' || v.source_record_id"  # v: the outer versions
    # a link made on storing (ADR 13) is no run's: its record is withdrawn before any run linked it
    current, kept = (
        f"EXISTS (SELECT 1 FROM {t} k WHERE k.record_uid = {uid}{' AND k.anchor_uid IS NULL' * (t == 'identity_link')})"
        for t in LINK_TABLES
    )
    linked = f"AND NOT {current} AND {'' if retired else 'NOT '}{kept}"
    # only the versions of records ever retracted are ranked: the batches' records when scoped (`cutoff`),
    # else the records a scan of one column finds
    ever = (
        f"(source_system, source_record_id) IN (SELECT source_system, source_record_id FROM {table} "
        "WHERE lower(retracted) = 'true')"
    )
    where = cutoff or f"WHERE {ever}"
    return f"""(
        SELECT v.*, row_number() OVER ({key} ORDER BY latest) AS live_rank FROM (
            SELECT r.*, row_number() OVER ({key} {order}) AS latest,
                   first_value(coalesce(lower(retracted), '')) OVER ({key} {order}) AS newest_retracted,
                   min(recorded_at_utc) OVER ({key}) AS first_recorded_utc
            FROM {table} r {where}) v
        WHERE newest_retracted = 'true' AND coalesce(lower(retracted), '') <> 'true' {linked}) w
        WHERE live_rank = 1"""


def _sorted(table: pa.Table, columns: list[str]) -> pa.Table:
    """Rows in byte order of `columns`, the same whatever the store's collation; a missing value sorts
    first, as the empty cell it is written as does."""
    return table.sort_by([(c, "ascending", "at_start") for c in columns])
