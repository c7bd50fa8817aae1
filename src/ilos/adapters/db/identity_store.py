"""What identity resolution keeps between runs: links, persons, merge/split events, models and reviews."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.db.bulk import BulkConnection
from ilos.adapters.db.event_store import event_rows
from ilos.adapters.db.record_store import SqlRecordStore, utc_now_text
from ilos.adapters.duck.stable_ids import Assignment
from ilos.adapters.kept_tables import among_sorted
from ilos.domain.events import PERSON_MERGED, PERSON_SPLIT

PAIR_KEY = ["record_uid_l", "record_uid_r"]


class IdentityStore:
    """Reads and writes the identity tables of the record store's database."""

    def __init__(self, store: SqlRecordStore) -> None:
        self.store = store
        #: The model `latest_model` last read: a saved model never changes, so it is parsed once (its JSON,
        #: a frequency snapshot, took 28 ms to parse, every stream batch, at 100,000 persons).
        self._model: tuple[int, dict[str, Any]] | None = None

    def next_sequence(self) -> int:
        """The sequence number of the next person id to issue."""
        bulk = self.store.bulk()
        try:
            last = bulk.scalar("SELECT max(CAST(substr(person_id, 2) AS BIGINT)) FROM person")
        finally:
            bulk.close()
        return int(last or 0) + 1

    def latest_model(self) -> tuple[int, dict[str, Any]] | None:
        """The newest saved model and its id, or None. The same model is the same object (read once):
        its users do not change it."""
        bulk = self.store.bulk()
        try:
            model_id = bulk.scalar("SELECT max(model_id) FROM identity_model")
            if model_id is None:
                return None
            if self._model is not None and self._model[0] == int(model_id):
                return self._model
            text = bulk.scalar(f"SELECT model_json FROM identity_model WHERE model_id = {int(model_id)}")
        finally:
            bulk.close()
        self._model = (int(model_id), json.loads(text))
        return self._model

    def link_on_storing(self, found: pa.Table, run_id: int | None = None) -> None:
        """Write the links `found` (record_uid, feed, source_system, source_record_id, anchor_uid,
        person_id, anchor_hash: records that repeat the identity signature of their anchor, found on a
        snapshot of the link state; `identity.repeats`), each as its anchor's link stands (person,
        component, run). A link is written only while its anchor's link is the snapshot's (same person
        and identity hash, itself no link on storing) and its record has no link, current or retired:
        what a run changed since the snapshot, and a record a run has seen, are left to the next run
        (ADR 13). With `run_id`, only while that run is the last saved (links decided from what it left
        of their components: `identity.decided_on_storing`). `PersonDataReader.linked_on_storing` tells
        which were written."""
        if not found.num_rows:
            return
        latest = "" if run_id is None else f"AND (SELECT max(run_id) FROM resolution_run) = {int(run_id)} "
        with self.store.writing() as bulk, bulk.write_transaction():
            bulk.ingest("ilos_on_storing", found, temporary=True)
            bulk.execute(
                "INSERT INTO identity_link (record_uid, feed, source_system, source_record_id, person_id, "
                "run_id, component, identity_hash, anchor_uid) "
                "SELECT x.record_uid, x.feed, x.source_system, x.source_record_id, a.person_id, a.run_id, "
                "a.component, NULL, x.anchor_uid FROM ilos_on_storing x "
                "JOIN identity_link a ON a.record_uid = x.anchor_uid "
                "WHERE a.person_id = x.person_id AND a.identity_hash = x.anchor_hash AND a.anchor_uid IS NULL "
                f"{latest}"
                "AND NOT EXISTS (SELECT 1 FROM identity_link l WHERE l.record_uid = x.record_uid) "
                "AND NOT EXISTS (SELECT 1 FROM retired_link r WHERE r.record_uid = x.record_uid)"
            )
            bulk.execute("DROP TABLE ilos_on_storing")

    def decide(self, left: str, right: str, decision: str, reason: str, actor: str) -> bool:
        """Record a reviewer's decision on a pair; False when the pair is not in the review queue."""
        left, right = sorted((left, right))
        bulk = self.store.bulk()
        p = bulk.param
        try:
            with bulk.write_transaction():
                known = bulk.scalar(
                    f"SELECT count(*) FROM review_pair WHERE record_uid_l = {p(1)} AND record_uid_r = {p(2)}",
                    [left, right],
                )
                if known:
                    bulk.execute(
                        f"UPDATE review_pair SET decision = {p(1)}, reason = {p(2)}, actor = {p(3)}, decided_at = {p(4)} "
                        f"WHERE record_uid_l = {p(5)} AND record_uid_r = {p(6)}",
                        [decision, reason, actor, utc_now_text(), left, right],
                    )
        finally:
            bulk.close()
        return bool(known)

    def save_run(
        self, mode: str, model_id: int | None, started: str, records: pa.Table, assignment: Assignment,
        review: pa.Table, withdrawn: pa.Table | None = None, new_model: tuple[dict[str, Any], int] | None = None,
    ) -> int:  # fmt: skip
        """Replace the links with this run's (only those of `assignment.replaced`, when it names them),
        record new and retired persons, events and new review pairs, and keep the persons of records
        withdrawn before any run linked them (`withdrawn`) as retired links; a model trained for this run
        (`new_model`: the model and the records it was trained on) is kept in the same transaction, so a
        run that fails to save leaves no model behind.

        `assignment.links` may carry `component`; `records` may carry `identity_hash`. When
        `assignment.replaced` names the links to write, `assignment.links` and `records` are sorted by
        record uid (as an incremental run's are), and those links and records are found by binary search.
        """
        bulk = self.store.bulk()
        p = bulk.param
        counts = {
            "records": records.num_rows,
            "persons": assignment.persons
            if assignment.persons is not None
            else pc.count_distinct(assignment.links.column("person_id")).as_py(),
            "merges": assignment.merges.num_rows,
            "splits": assignment.splits.num_rows,
            "review_pairs": review.num_rows,
        }
        try:
            with bulk.write_transaction():
                if new_model is not None:
                    model_id = _insert_model(bulk, *new_model)
                run_id = int(
                    bulk.scalar(
                        "INSERT INTO resolution_run (mode, model_id, started_at, finished_at, counts) "
                        f"VALUES ({p(1)}, {p(2)}, {p(3)}, {p(4)}, {p(5)}) RETURNING run_id",
                        [mode, model_id, started, utc_now_text(), json.dumps(counts, sort_keys=True)],
                    )
                )
                if assignment.replaced is not None:
                    bulk.ingest(
                        "ilos_replaced", pa.table({"record_uid": assignment.replaced}), temporary=True
                    )
                _forget_facts(bulk, assignment, "before")
                self._write_links(bulk, run_id, records, assignment)
                _forget_facts(bulk, assignment, "after")
                _keep_facts(bulk, run_id, assignment)
                if assignment.replaced is not None:
                    bulk.execute("DROP TABLE ilos_replaced")
                self._write_events(bulk, run_id, assignment)
                self._announce(bulk, run_id, mode, assignment)
                self._write_review(bulk, run_id, review)
                self._write_withdrawn(bulk, run_id, withdrawn, assignment)
        finally:
            bulk.close()
        return run_id

    @staticmethod
    def _write_links(bulk: BulkConnection, run_id: int, records: pa.Table, assignment: Assignment) -> None:
        keys = ["record_uid", "feed", "source_system", "source_record_id"]
        keys += [c for c in ("identity_hash",) if c in records.column_names]
        links = assignment.links
        if assignment.replaced is not None:  # the records of the links written, not every record, joined
            links = among_sorted(links, "record_uid", assignment.replaced)
            records = among_sorted(records, "record_uid", assignment.replaced)
        links = links.join(records.select(keys), "record_uid")
        for column in ("component", "identity_hash"):
            if column not in links.column_names:
                links = links.append_column(column, pa.nulls(links.num_rows, pa.string()))
        links = links.append_column("run_id", pa.array([run_id] * links.num_rows, pa.int64()))
        scope = ""
        if assignment.replaced is not None:  # the caller put them in table ilos_replaced
            scope = " WHERE record_uid IN (SELECT record_uid FROM ilos_replaced)"
        # The links replaced are kept as retired until the new ones are in: a record that gets none (no
        # longer in force) keeps its last person for answers known before it went.
        bulk.execute(
            "INSERT INTO retired_link (record_uid, feed, source_system, source_record_id, person_id, run_id) "
            f"SELECT record_uid, feed, source_system, source_record_id, person_id, {run_id} FROM identity_link{scope}"
        )
        bulk.execute(f"DELETE FROM identity_link{scope}")
        if scope:  # links made on storing that rest on a link replaced now: their records wait for a run
            bulk.execute(
                "DELETE FROM identity_link WHERE anchor_uid IN (SELECT record_uid FROM ilos_replaced)"
            )
        bulk.ingest("identity_link", links)
        bulk.execute(
            f"DELETE FROM retired_link WHERE record_uid IN (SELECT record_uid FROM identity_link{scope})"
        )
        ids = pa.table(
            {"person_id": pa.array(sorted(set(links.column("person_id").to_pylist())), pa.string())}
        )
        bulk.ingest("ilos_run_persons", ids, temporary=True)
        bulk.execute(
            f"INSERT INTO person (person_id, created_run) SELECT person_id, {run_id} FROM ilos_run_persons "
            "WHERE person_id NOT IN (SELECT person_id FROM person)"
        )
        bulk.execute("DROP TABLE ilos_run_persons")

    @staticmethod
    def _announce(bulk: BulkConnection, run_id: int, mode: str, assignment: Assignment) -> None:
        """`person:merged` and `person:split` domain events, with each person's records before and after."""
        changed = _changed_persons(assignment)
        if not changed:
            return
        before = _grouped(assignment.before) if assignment.before is not None else {}
        links = assignment.links.select(["person_id", "record_uid"])
        after = _grouped(links.filter(pc.is_in(links.column("person_id"), pa.array(changed, pa.string()))))
        common = {"run_id": run_id, "mode": mode}
        merged = [
            {**common, "person_id": m["survivor"], "subject": m["absorbed"],
             "before": {i: before.get(i, []) for i in (m["survivor"], m["absorbed"])},
             "after": {m["survivor"]: after.get(m["survivor"], [])},
             "reason": "the run resolved the records of both persons to one; the oldest id survives"}
            for m in assignment.merges.to_pylist()
        ]  # fmt: skip
        split = [
            {**common, "person_id": x["person_id"], "subject": x["new_person_id"],
             "before": {x["person_id"]: before.get(x["person_id"], [])},
             "after": {i: after.get(i, []) for i in (x["person_id"], x["new_person_id"])},
             "reason": "the run resolved the person's records apart; the part with the oldest record kept the id"}
            for x in assignment.splits.to_pylist()
        ]  # fmt: skip
        now = utc_now_text()
        for kind, events in ((PERSON_MERGED, merged), (PERSON_SPLIT, split)):
            if events:
                bulk.ingest("domain_event", event_rows(kind, events, now))

    @staticmethod
    def _write_events(bulk: BulkConnection, run_id: int, assignment: Assignment) -> None:
        now = utc_now_text()
        events = [
            {"run_id": run_id, "kind": "merge", "person_id": m["survivor"], "other_person_id": m["absorbed"],
             "reason": "records of both persons resolved to one", "at": now}
            for m in assignment.merges.to_pylist()
        ] + [
            {"run_id": run_id, "kind": "split", "person_id": s["person_id"], "other_person_id": s["new_person_id"],
             "reason": "records of one person resolved apart; the part with the oldest record kept the id", "at": now}
            for s in assignment.splits.to_pylist()
        ]  # fmt: skip
        if not events:
            return
        table = pa.Table.from_pylist(events, schema=_EVENT_SCHEMA)
        bulk.ingest("identity_event", table)
        merged = assignment.merges.select(["absorbed", "survivor"])
        if merged.num_rows:
            bulk.ingest("ilos_absorbed", merged, temporary=True)
            bulk.execute(
                f"UPDATE person SET retired_run = {run_id} WHERE person_id IN (SELECT absorbed FROM ilos_absorbed)"
            )
            bulk.execute(  # a retired link follows its person into the survivor
                "UPDATE retired_link SET person_id = (SELECT m.survivor FROM ilos_absorbed m "
                "WHERE m.absorbed = retired_link.person_id) WHERE person_id IN (SELECT absorbed FROM ilos_absorbed)"
            )
            bulk.execute("DROP TABLE ilos_absorbed")

    @staticmethod
    def _write_withdrawn(
        bulk: BulkConnection, run_id: int, withdrawn: pa.Table | None, assignment: Assignment
    ) -> None:
        if withdrawn is None or not withdrawn.num_rows:
            return
        survivor = dict(
            zip(*assignment.merges.select(["absorbed", "survivor"]).to_pydict().values(), strict=True)
        )
        if survivor:  # a person this run absorbed is its survivor now (as retired links are moved)
            persons = [survivor.get(p, p) for p in withdrawn.column("person_id").to_pylist()]
            withdrawn = withdrawn.set_column(
                withdrawn.schema.get_field_index("person_id"), "person_id", pa.array(persons, pa.string())
            )
        bulk.ingest("ilos_withdrawn", withdrawn.select(["record_uid", "feed", "source_system", "source_record_id",
                                                         "person_id"]), temporary=True)  # fmt: skip
        bulk.execute(  # a link made on storing for a record withdrawn since: the run's judgement replaces it
            "DELETE FROM identity_link WHERE anchor_uid IS NOT NULL "
            "AND record_uid IN (SELECT record_uid FROM ilos_withdrawn)"
        )
        bulk.execute(
            "INSERT INTO retired_link (record_uid, feed, source_system, source_record_id, person_id, run_id) "
            f"SELECT record_uid, feed, source_system, source_record_id, person_id, {run_id} FROM ilos_withdrawn w "
            "WHERE NOT EXISTS (SELECT 1 FROM identity_link l WHERE l.record_uid = w.record_uid) "
            "AND NOT EXISTS (SELECT 1 FROM retired_link r WHERE r.record_uid = w.record_uid)"
        )
        bulk.execute(  # persons of withdrawn records alone (their ids were issued after the run's)
            f"INSERT INTO person (person_id, created_run) SELECT DISTINCT person_id, {run_id} FROM ilos_withdrawn "
            "WHERE person_id NOT IN (SELECT person_id FROM person)"
        )
        bulk.execute("DROP TABLE ilos_withdrawn")

    @staticmethod
    def _write_review(bulk: BulkConnection, run_id: int, review: pa.Table) -> None:
        if not review.num_rows:
            return
        fresh = review.select([*PAIR_KEY, "match_weight", "match_probability", "rule"])
        bulk.ingest("ilos_review", fresh, temporary=True)
        bulk.execute(
            "INSERT INTO review_pair (record_uid_l, record_uid_r, match_weight, match_probability, rule, first_seen_run) "
            f"SELECT record_uid_l, record_uid_r, match_weight, match_probability, rule, {run_id} FROM ilos_review n "
            "WHERE NOT EXISTS (SELECT 1 FROM review_pair r "
            "WHERE r.record_uid_l = n.record_uid_l AND r.record_uid_r = n.record_uid_r)"
        )
        bulk.execute("DROP TABLE ilos_review")


_EVENT_SCHEMA = pa.schema(
    [("run_id", pa.int64()), ("kind", pa.string()), ("person_id", pa.string()), ("other_person_id", pa.string()),
     ("reason", pa.string()), ("at", pa.string())]
)  # fmt: skip


def _changed_persons(assignment: Assignment) -> list[str]:
    """The ids a run's merges and splits name, sorted."""
    ids = {*assignment.merges.column("survivor").to_pylist(), *assignment.merges.column("absorbed").to_pylist(),
           *assignment.splits.column("person_id").to_pylist(), *assignment.splits.column("new_person_id").to_pylist()}  # fmt: skip
    return sorted(i for i in ids if i)


def _grouped(rows: pa.Table) -> dict[str, list[str]]:
    """person_id -> sorted record uids, from (person_id, record_uid) rows."""
    out: dict[str, list[str]] = {}
    for person, uid in zip(
        rows.column("person_id").to_pylist(), rows.column("record_uid").to_pylist(), strict=True
    ):
        out.setdefault(person, []).append(uid)
    return {k: sorted(v) for k, v in out.items()}


def _insert_model(bulk: BulkConnection, model: dict[str, Any], trained_on: int) -> int:
    """Insert a model (models are versioned, never replaced) in the open transaction; its id."""
    p = bulk.param
    return int(
        bulk.scalar(
            "INSERT INTO identity_model (created_at, trained_on_records, model_json) "
            f"VALUES ({p(1)}, {p(2)}, {p(3)}) RETURNING model_id",
            [utc_now_text(), trained_on, json.dumps(model, sort_keys=True)],
        )
    )


def _forget_facts(bulk: BulkConnection, assignment: Assignment, when: str) -> None:
    """Remove the component facts a run makes unknown, `when` its links are written ("before" or "after"):
    every one in a full run; in an incremental one, those of the components of the records whose links
    it replaces, before (but links made on storing) and after (a component can lose a record to another
    without being clustered), and of the components it re-resolved or clustered (`DuckIdentityWork` keeps
    its own the same way)."""
    if assignment.replaced is None:
        if when == "before":
            bulk.execute("DELETE FROM component_fact")
        return
    bulk.execute(  # a link made on storing follows its anchor's component and changes none of its facts
        "DELETE FROM component_fact WHERE component IN (SELECT component FROM identity_link "
        "WHERE record_uid IN (SELECT record_uid FROM ilos_replaced) AND anchor_uid IS NULL)"
    )
    if when == "after":
        return
    parts = [a for a in (assignment.redone,) if a is not None]
    if assignment.facts is not None:
        parts.append(assignment.facts.column("component").combine_chunks())
    if parts:
        gone = pc.unique(pa.chunked_array(parts, pa.string()).combine_chunks().drop_null())
        bulk.ingest("ilos_facts_gone", pa.table({"component": gone}), temporary=True)
        bulk.execute("DELETE FROM component_fact WHERE component IN (SELECT component FROM ilos_facts_gone)")
        bulk.execute("DROP TABLE ilos_facts_gone")


def _keep_facts(bulk: BulkConnection, run_id: int, assignment: Assignment) -> None:
    """Insert the facts of the components the run clustered."""
    facts = assignment.facts
    if facts is None or not facts.num_rows:
        return
    bulk.ingest(
        "component_fact", facts.append_column("run_id", pa.array([run_id] * facts.num_rows, pa.int64()))
    )
