"""The IdentityWork port: records from the reader, DuckDB for constraints and stable ids, the Splink engine."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.duck import decisions, incremental, stable_ids
from ilos.adapters.duck.workspace import workspace
from ilos.adapters.identity.clustering import FACTS_SCHEMA
from ilos.adapters.identity.index import IdentityIndex
from ilos.adapters.identity.repeats import LinkedSignatures
from ilos.adapters.identity.trips import KeptClusters
from ilos.adapters.kept_tables import among_sorted, upserted
from ilos.adapters.link_counts import LinkCounts
from ilos.domain.feeds import IDENTITY_COLUMNS

#: More new resolution runs than this (other processes ran many meanwhile) and every held pair is read
#: again (the pairs of the new runs are read by their ids, one parameter each).
_MOST_RUNS_READ_APART = 1_000
#: Columns whose change makes a record's identity change (what the resolver reads).
_HASHED = (*(c.name for c in IDENTITY_COLUMNS if c.name != "recorded_at"), "admission_number", "event_day")
#: Columns the resolver reads since a later version: they count only when set, so that the records
#: without them keep the hash an earlier version stored (an upgrade re-resolves only records having them).
_HASHED_WHEN_SET = ("incident_id", "receipt_number")


#: Columns of `withdrawn_links`, as table `retired_link` keeps them.
WITHDRAWN_COLUMNS = ("record_uid", "feed", "source_system", "source_record_id", "person_id")


@dataclass
class _Kept:
    """What a long-lived process (the stream) keeps between runs instead of reading it again."""

    records: pa.Table | None = None  # `records()` with every batch up to `read_through`
    #: every batch with an id up to this one has been read (batches commit in id order: `batch_feeds`)
    read_through: int = 0
    links: pa.Table | None = None  # `link_state()` as run `run_id` left it
    run_id: int = -1
    index: IdentityIndex | None = None  # of the records run `run_id` linked
    index_after: IdentityIndex | None = None  # of the records the run under way links
    touched: incremental.Affected | None = None  # what the run under way touches (its repeats, removed)
    unscored: pa.Table | None = None  # the links of the components the run under way places among as they are
    trip_keys: incremental.TripKeys | None = None  # of the records run `run_id` linked
    trip_keys_after: incremental.TripKeys | None = None  # of the records the run under way links
    replaced: pa.Array | None = None  # the links the run under way replaces (an incremental run's)
    state_after: pa.Table | None = None  # the link state the run under way leaves (an incremental run's)
    #: The run before the last one this process saved, and the records whose links that run replaced
    #: and those the batches read since changed (None: a full run, every record read again, or the link
    #: state read again since)
    changes: tuple[int, pa.Array] | None = None
    #: records that the batches read since the last saved run (by this run or by calls between runs,
    #: such as the relatives step) changed and left out of force (retracted), by uid; None when every
    #: record was read
    withdrawn_candidates: list[str] | None = None
    #: Records that can differ from the kept link state (`links`): those the batches read since the run
    #: that left it changed, and those that run left without a link. None: unknown, every record is
    #: compared with the link state.
    unsettled: set[str] | None = None
    #: `unsettled` as the run under way took it (a 1-tuple: its value may be None), given back to
    #: `unsettled` when the run is not saved
    taken: tuple[set[str] | None] | None = None
    #: The records the run under way re-resolves and leaves without a link
    unlinked_after: set[str] = field(default_factory=set)
    #: Links per person and per component of `links` (None: not counted yet), and the changes the run
    #: under way makes
    persons: LinkCounts | None = None
    persons_change: Counter[str] | None = None
    components: LinkCounts | None = None
    components_change: Counter[str] | None = None
    #: The facts of the components of `links` (`clustering.component_facts`, sorted by component), as the
    #: runs that clustered them left them; None when unknown (before a full run of this process, or once
    #: the link state was read again), and the old components the run under way re-resolves
    facts: pa.Table | None = None
    redone: pa.Array | None = None
    #: `reader.held_pairs()` as last read: the open held pairs the runs up to `held_through` queued
    held: pa.Table | None = None
    held_through: int = 0


def _carried(
    counts: LinkCounts | None, change: Counter[str] | None, incremental_run: bool
) -> LinkCounts | None:
    """`counts` with a saved run's `change` counted in; None (counted again when needed) after a full run,
    or a run whose links were not counted from the kept ones."""
    if counts is None or change is None or not incremental_run:
        return None
    counts.apply(change)
    return counts


class DuckIdentityWork:
    """Set-at-a-time steps of a resolution run.

    The records in force, the link state and the resolver's index are kept between runs of one
    process: the next run reads only what later batches stored, and the link state again only when
    another process ran since (its latest run is not the one this process saved).
    """

    def __init__(self, reader: PersonDataReader, con: duckdb.DuckDBPyConnection) -> None:
        self.reader = reader
        self.con = con
        self._kept = _Kept()
        #: The signatures and links the last run left, for a storing thread to link repeats against
        #: (`identity.repeats`, ADR 13); replaced whole after each run (None: the run left no index).
        self.linked_signatures: LinkedSignatures | None = None
        #: Whether to publish `linked_signatures` (a stream process, whose storing side reads them)
        self.publishing = False
        self._clustered: pa.Table | None = None  # the facts of the last clustering since the last saved run
        self._run_facts: pa.Table | None = None  # those the current run's assignment took

    def records(self) -> pa.Table:
        """Identity columns of every record in force, with a hash of the columns the resolver reads.

        A run starts here: what an earlier run left half-done (it failed before it was saved) is dropped,
        but for the withdrawn records of the batches it read, which the next saved run still looks at."""
        kept = self._kept
        kept.index_after, kept.touched, kept.trip_keys_after, kept.unscored = None, None, None, None
        kept.persons_change, kept.components_change = None, None
        kept.replaced, kept.state_after, kept.unlinked_after = None, None, set()
        if kept.taken is not None:  # the run that took them was not saved: they are unsettled again
            taken = kept.taken[0]
            kept.unsettled = None if taken is None or kept.unsettled is None else kept.unsettled | taken
            kept.taken = None
        new = sorted(self.reader.batch_ids(after=kept.read_through))
        if kept.records is None:
            kept.records = self._hashed(self.reader.identity_records())
            kept.withdrawn_candidates, kept.changes, kept.unsettled = None, None, None
        elif new:  # however many: a range of ids (a stream's backlog can span thousands of batches)
            changed, rows = self.reader.identity_records_of_batches(kept.read_through, new[-1])
            changed_uids = set(changed.column("record_uid").to_pylist())
            if kept.unsettled is not None:
                kept.unsettled |= changed_uids
            out_of_force = changed_uids - set(rows.column("record_uid").to_pylist())
            if kept.withdrawn_candidates is not None:  # those of batches read by calls since the last run too
                kept.withdrawn_candidates = sorted(out_of_force | set(kept.withdrawn_candidates))
            if kept.changes is not None:  # read after the last run (by the relatives step, say): changes too
                since = pa.concat_arrays([kept.changes[1], changed.column("record_uid").combine_chunks()])
                kept.changes = (kept.changes[0], pc.unique(since))
            kept.records = upserted(
                kept.records, "record_uid", self._hashed(rows), changed.column("record_uid")
            )
        kept.read_through = max(new, default=kept.read_through)
        return kept.records

    def _hashed(self, records: pa.Table) -> pa.Table:
        cur = self.con.cursor()
        cur.register("identity_input", records)
        parts = ", ".join(
            [
                *(f"coalesce(CAST({c} AS VARCHAR), '\x01')" for c in _HASHED),
                *(f"CAST({c} AS VARCHAR)" for c in _HASHED_WHEN_SET),  # concat_ws skips NULLs
            ]
        )
        hashed = cur.sql(
            f"SELECT *, md5(concat_ws('\x02', {parts})) AS identity_hash FROM identity_input ORDER BY record_uid"
        ).to_arrow_table()
        cur.close()
        return hashed

    def withdrawn_links(
        self, records: pa.Table, assignment: Any, model: dict[str, Any] | None, everything: bool = False
    ) -> pa.Table:
        """The person each record withdrawn before any run linked it belongs to, judged on its last
        version before the retraction against `records` (this run's, linked by `assignment`): its
        identity signature's person, else the person of the record it links to most strongly; withdrawn
        records that reach no such person form persons of their own (new ids after the run's), as a run
        that saw them in force would have made. Kept as retired links, so that answers known before the
        retraction count them for that person. Only records the batches this run read changed are
        looked at, unless `everything`."""
        scope = None if everything else self._kept.withdrawn_candidates
        withdrawn = _no_links() if scope == [] else self.reader.withdrawn_identities(scope)
        if withdrawn.num_rows:
            from ilos.adapters.identity import linkable

            withdrawn = linkable(withdrawn)  # too little identity to link to anyone: no person at all
        if not withdrawn.num_rows:
            return _no_links()
        retired = self.reader.withdrawn_identities(retired=True)  # withdrawn since a run linked them
        resolver = self.resolver(model)
        existing = self._withdrawn_scored_against(resolver, records, retired)
        # blocked through the kept blocking index when the extended index carries a copy of it (a join
        # of the withdrawn records to every signature once per rule cost 0.5 s at 20,000 persons)
        keyed = isinstance(existing, IdentityIndex) and existing.keys is not None
        pairs = resolver.score_between(existing, withdrawn, blocking_index=keyed)
        links = pa.concat_tables(
            [assignment.links.select(["record_uid", "person_id"]), self.reader.retired_links()]
        )
        with workspace(self.con, "ilos_withdrawn") as cur:
            for name, table in (("w_pairs", pairs), ("w_members", resolver.members), ("w_new", withdrawn),
                                ("w_links", links)):  # fmt: skip
                cur.register(name, table)
            cur.execute(_WITHDRAWN_SQL)
            attached = cur.sql("SELECT * FROM w_attached ORDER BY record_uid").to_arrow_table()
            alone = cur.sql(
                "SELECT record_uid, rep FROM w_mine ANTI JOIN w_attached USING (record_uid) ORDER BY record_uid"
            ).fetchall()
            together = cur.sql(
                """SELECT a.rep, b.rep FROM w_linked k JOIN w_mine a ON a.rep = k.a JOIN w_mine b ON b.rep = k.b
                   ANTI JOIN w_attached x ON x.record_uid = a.record_uid"""
            ).fetchall()
        if not alone:
            return attached
        clusters = pa.table(
            {"record_uid": [uid for uid, _ in alone], "cluster": _components(alone, together)}
        )
        ages = withdrawn.select(["record_uid", "first_recorded_utc"]).rename_columns(
            ["record_uid", "recorded_at"]
        )
        empty = pa.table({"record_uid": pa.array([], pa.string()), "person_id": pa.array([], pa.string())})
        fresh = stable_ids.assign(self.con, clusters, empty, ages, assignment.next_sequence).links
        own = withdrawn.select(list(WITHDRAWN_COLUMNS[:4])).join(fresh, "record_uid", join_type="inner")
        return pa.concat_tables([attached, own.select(list(WITHDRAWN_COLUMNS))]).sort_by("record_uid")

    def _withdrawn_scored_against(
        self, resolver: Any, records: pa.Table, retired: pa.Table
    ) -> pa.Table | IdentityIndex:
        """What withdrawn records are scored against: the run's `records` and the `retired` ones. When
        the run kept the index of its records (an incremental run: `affected` leaves the index of every
        record in force), that index is extended with the retired records, whose features alone are
        built, instead of building every record's again (seconds a batch on the benchmark world)."""
        retired = retired.select([c for c in records.column_names if c != "identity_hash"])
        if self._kept.index_after is not None:
            return resolver.extended(self._kept.index_after, retired)
        return pa.concat_tables([records.drop_columns(["identity_hash"]), retired])

    def changes_since(self, run_id: int) -> pa.Array | None:
        """Record uids whose links the runs since run `run_id` replaced or that the batches read since
        changed, when this process saved the latest run incrementally on top of run `run_id` (None:
        unknown, read everything)."""
        kept = self._kept
        if kept.changes is None or kept.changes[0] != run_id or kept.run_id != self.reader.latest_run_id():
            return None
        return kept.changes[1]

    @property
    def run_id(self) -> int:
        """The run whose link state this process keeps (-1 before it read any)."""
        return self._kept.run_id

    def link_state(self) -> pa.Table:
        """record_uid, person_id, component, identity_hash as the last run left them."""
        kept = self._kept
        latest = self.reader.latest_run_id()
        if kept.links is None or latest != kept.run_id:
            kept.links, kept.run_id, kept.index, kept.trip_keys = self.reader.link_state(), latest, None, None
            kept.persons, kept.components = None, None
            kept.changes, kept.unsettled, kept.facts = None, None, None
        return kept.links

    @property
    def component_facts(self) -> pa.Table | None:
        """The facts of the kept link state's components (`clustering.component_facts`, sorted by
        component), kept through the runs this process saved; None when unknown."""
        return self._kept.facts

    def warm(self, model: dict[str, Any] | None) -> bool:
        """Read and build, before a long-lived process's first batch, what it keeps between batches: the
        records in force, the link state, the index of the records it links with its blocking index,
        and their trip keys (what a first batch would otherwise read and build, seconds on a large
        store). Nothing is built when records are pending (new, changed or gone since the last run):
        the first batch resolves them from what it finds. Whether the index was built."""
        records, state = self.records(), self.link_state()
        kept = self._kept
        if kept.index is not None or not _incremental(state):
            return False
        cur = self.con.cursor()
        try:
            built = incremental.warm_index(cur, records, state, self.resolver(model))
        finally:
            cur.close()
        if built is None:
            return False
        kept.index, kept.trip_keys = built
        kept.unsettled = set()  # every record in force is linked as it is now
        kept.facts = self._stored_facts()
        self._publish()
        return True

    def saved(self, run_id: int, links: pa.Table) -> None:
        """Keep the link state run `run_id` left, and the index of the records it linked."""
        kept = self._kept
        if kept.records is None:
            return
        if "component" not in links.column_names:  # a resolver that does not report components
            links = links.append_column("component", pa.nulls(links.num_rows, pa.string()))
        state = kept.state_after
        if state is not None and kept.unsettled is not None:  # an incremental run: what it left unlinked
            kept.unsettled |= kept.unlinked_after
        else:
            kept.unsettled = None
        kept.taken = None
        if state is None:  # a full run: the links with their records' hashes
            hashes = kept.records.select(["record_uid", "identity_hash"])
            state = links.select(["record_uid", "person_id", "component"]).join(hashes, "record_uid")
            state = state.sort_by("record_uid")
        kept.changes = (
            (kept.run_id, kept.replaced) if kept.replaced is not None and kept.links is not None else None
        )
        incremental_run = kept.state_after is not None
        moved = _moved(kept.links, state, kept.replaced) if incremental_run else None
        kept.persons = _carried(kept.persons, kept.persons_change, incremental_run)
        kept.components = _carried(kept.components, kept.components_change, incremental_run)
        kept.persons_change, kept.components_change = None, None
        kept.links, kept.run_id, kept.replaced, kept.state_after = state, run_id, None, None
        kept.withdrawn_candidates = []
        kept.index, kept.index_after = kept.index_after, None
        clustered, self._run_facts = self._run_facts, None
        redone = None if kept.redone is None or moved is None else pa.concat_arrays([kept.redone, moved])
        kept.facts, kept.redone = _facts_after(kept.facts, redone, clustered, incremental_run), None
        if kept.facts is None and self.publishing and kept.index is not None:  # as this run left them
            kept.facts = self._stored_facts()
        kept.trip_keys, kept.trip_keys_after = kept.trip_keys_after, None
        self._publish()

    def _stored_facts(self) -> pa.Table:
        """The component facts the runs kept in the store with the links (`clustering.FACTS_SCHEMA`)."""
        return self.reader.component_facts().cast(FACTS_SCHEMA)

    def _publish(self) -> None:
        """Publish the snapshot of the index and link state kept now (`linked_signatures`), when
        `publishing` (a sort of every signature's key: not for a command that ends with its run)."""
        kept = self._kept
        if not self.publishing or kept.index is None or kept.links is None:
            self.linked_signatures = None
            return
        self.linked_signatures = LinkedSignatures.of(
            kept.index.feat, kept.links, kept.index.keys, kept.facts, kept.run_id
        )

    def affected(self, records: pa.Table, state: pa.Table, resolver: Any) -> pa.Table | None:
        """The records an incremental run must re-resolve, or None when a full run is needed.

        Changed records (new, corrected, retracted) are scored against the rest; the re-resolved set
        is every changed record plus every record of each linked component that a changed record
        belonged to or now touches (by a link, a review pair, a hard-rule pair or a shared identity
        signature), and every component an open `ambiguous` review pair joins to those (that hold
        depends on a twins pair elsewhere) or an open review pair of a departure alone in its
        component (its trip may place it with any of them). Components are closed under links, so resolving this set
        alone gives the same persons as resolving everything.
        """
        if not _incremental(state):
            return None
        cur = self.con.cursor()
        try:
            decided = self.reader.review_decisions()
            held = self._held_pairs(decided)
            kept = self._kept
            unsettled = kept.unsettled
            candidates = None if unsettled is None else pa.array(sorted(unsettled), pa.string())
            touched = incremental.affected(
                cur, records, state, resolver, decided, held, kept.index, kept.trip_keys, candidates,
                self._single_components(state), self._relinked(state),
            )  # fmt: skip
            kept.taken, kept.unsettled = (unsettled,), set()  # from here, what later batches change
        finally:
            cur.close()
        self._kept.index_after = getattr(resolver, "index_after", None)
        after = touched.trip_keys
        if after is not None and after.edges is not None and id(state) == id(self._kept.links):
            after = replace(after, edges_run=self._kept.run_id)  # found against this run's link state
        self._kept.trip_keys_after = after
        self._kept.touched = touched
        self._kept.unscored = touched.unscored
        return touched.subset

    def unscored(self) -> KeptClusters | None:
        """The records of the components the run under way places among without scoring them again, with
        their clusters and presence keys (`incremental._unscored`); None when there are none."""
        kept = self._kept
        links = kept.unscored
        if links is None or links.num_rows == 0 or kept.records is None:
            return None
        uids = links.column("record_uid")
        keys = kept.trip_keys_after
        presence = (
            None if keys is None else keys.presence.filter(pc.is_in(keys.presence.column("record_uid"), uids))
        )
        rows = among_sorted(kept.records, "record_uid", uids)
        return KeptClusters(rows, links.select(["record_uid", "component"]), presence)

    def _held_pairs(self, decided: pa.Table) -> pa.Table:
        """`reader.held_pairs()`, read whole once: later only the pairs of the runs kept since are read
        (review pairs are only ever added, each by one run, and decided), and the pairs `decided` since
        are left out (reading every open pair was 0.2 s a batch at 1,400,000 records)."""
        kept = self._kept
        # before the pairs: a run kept meanwhile is read again next time (runs commit in id order)
        new = sorted(self.reader.run_ids(after=kept.held_through))
        if kept.held is None or len(new) > _MOST_RUNS_READ_APART:
            kept.held = self.reader.held_pairs()
            new += [r for r in kept.held.column("first_seen_run").to_pylist() if r is not None]
        elif new:
            kept.held = pa.concat_tables([kept.held, self.reader.held_pairs(new).cast(kept.held.schema)])
        kept.held_through = max(new, default=kept.held_through)
        if decided.num_rows:
            cur = self.con.cursor()
            try:
                cur.register("held_kept", kept.held)
                cur.register("decided_now", decided.select(["record_uid_l", "record_uid_r"]))
                kept.held = cur.sql(
                    "SELECT * FROM held_kept ANTI JOIN decided_now USING (record_uid_l, record_uid_r)"
                ).to_arrow_table()
            finally:
                cur.close()
        return kept.held

    def merge_assignment(self, records: pa.Table, state: pa.Table, subset: pa.Table, assignment: Any) -> Any:
        """The run's links: the last run's for records left alone, the new assignment's for the records
        re-resolved, the person of their signature for the repeats `affected` found."""
        found, self._kept.touched = self._kept.touched, None
        if found is None:
            raise RuntimeError("merge_assignment needs the repeats of the `affected` call before it")
        touched = replace(found, subset=subset)
        redone = among_sorted(state, "record_uid", subset.column("record_uid")).column("component")
        self._kept.redone = pc.unique(redone.combine_chunks().drop_null())
        merged, self._kept.state_after = incremental.merge(self.con, records, state, touched, assignment)
        merged = replace(self._counted(state, merged), facts=assignment.facts, redone=self._kept.redone)
        # a changed record is re-resolved or a repeat: any neither linked stays to compare next time
        looked_at = pa.chunked_array([*subset.column("record_uid").chunks, touched.changed], pa.string())
        linked = pa.chunked_array(
            [*assignment.links.column("record_uid").chunks, *touched.repeats.column("record_uid").chunks],
            pa.string(),
        ).combine_chunks()
        self._kept.unlinked_after = set(looked_at.filter(pc.invert(pc.is_in(looked_at, linked))).to_pylist())
        self._kept.replaced = merged.replaced
        return merged

    def _single_components(self, state: pa.Table) -> pa.Array | None:
        """The components of one record in `state`, when it is the kept link state (counted once, then
        from what each run replaces); None otherwise."""
        kept = self._kept
        if id(state) != id(kept.links):  # (id: `is` would narrow `state`)
            return None
        if kept.components is None:
            kept.components = LinkCounts(state.column("component"))
        return kept.components.singles

    def _relinked(self, state: pa.Table) -> pa.Array | None:
        """The records whose links changed between the link state the kept trip keys' edges were found
        against and `state` (a superset will do), when `state` is the kept one and that is known."""
        kept = self._kept
        keys = kept.trip_keys
        if id(state) != id(kept.links) or keys is None or keys.edges is None or keys.edges_run is None:
            return None
        return self.changes_since(keys.edges_run)

    def _counted(self, state: pa.Table, merged: Any) -> Any:
        """`merged` with the persons its links name, counted from the links it replaces in `state` (the
        kept link state, sorted by record uid as `merged.links` are); the changes to the persons' and
        the components' counts are kept for `saved`."""
        kept = self._kept
        if id(state) != id(kept.links) or merged.replaced is None:
            return merged
        if kept.persons is None:
            kept.persons = LinkCounts(state.column("person_id"))
        old = among_sorted(state, "record_uid", merged.replaced)
        new = among_sorted(merged.links, "record_uid", merged.replaced)
        kept.persons_change = kept.persons.change(old.column("person_id"), new.column("person_id"))
        if kept.components is not None and "component" in new.column_names:
            kept.components_change = kept.components.change(old.column("component"), new.column("component"))
        return replace(merged, persons=kept.persons.count_after(kept.persons_change))

    def previous_links(self) -> pa.Table:
        """record_uid → person_id from the last run."""
        return self.reader.links().select(["record_uid", "person_id"])

    def apply_decisions(self, pairs: pa.Table, members: pa.Table | None = None) -> pa.Table:
        """Reviewers' decisions override the model's. Pairs the model separates on weight alone are
        dropped first (most blocked pairs): they add no edge, and every reviewer's decision is added
        back by the join (a `separate` stays a cannot-link for clustering); pairs a hard rule keeps
        apart stay, for clustering to respect."""
        rule = pairs.column("rule")
        apart = pc.is_in(rule, pa.array(["twins", "different_a_number"]))
        kept = pairs.filter(pc.or_(pc.not_equal(pairs.column("decision"), "separate"), apart))
        return decisions.apply_decisions(self.con, kept, self.reader.review_decisions(), members)

    def assign(self, clusters: pa.Table, previous: pa.Table, records: pa.Table, next_sequence: int) -> Any:
        """Stable person ids for this run's clusters."""
        ages = records.select(["record_uid", "first_recorded_utc"]).rename_columns(
            ["record_uid", "recorded_at"]
        )
        assignment = stable_ids.assign(self.con, clusters, previous, ages, next_sequence)
        if "component" in clusters.column_names:
            links = assignment.links.join(clusters.select(["record_uid", "component"]), "record_uid")
            assignment = replace(assignment, links=links.sort_by([("record_uid", "ascending")]))
        # what this run's clustering read (None: it clustered nothing), taken so a later run cannot reuse it
        self._run_facts, self._clustered = self._clustered, None
        return replace(assignment, facts=self._run_facts)

    def review_pairs(self, pairs: pa.Table, clusters: pa.Table) -> pa.Table:
        """Pairs the model could not decide, where a decision would matter (records now in different
        clusters), and each name-only departure or filing with the presence record (an arrival, say)
        its trip placed it by (rule `trip`), for a reviewer to confirm or separate."""
        cur = self.con.cursor()
        cur.register("scored_pairs", pairs.filter(pc.equal(pairs.column("decision"), "review")))
        cur.register("run_clusters", clusters)
        placed = "placed_by" if "placed_by" in clusters.column_names else "NULL::VARCHAR"
        review = cur.sql(
            f"""SELECT p.* FROM scored_pairs p
                JOIN run_clusters l ON l.record_uid = p.record_uid_l
                JOIN run_clusters r ON r.record_uid = p.record_uid_r
                WHERE l.cluster <> r.cluster
                UNION ALL
                SELECT least(record_uid, {placed}), greatest(record_uid, {placed}), 0.0, 0.0, 'trip', 'link'
                FROM run_clusters WHERE {placed} IS NOT NULL
                ORDER BY record_uid_l, record_uid_r"""
        ).to_arrow_table()
        cur.close()
        return review

    def unusable(self) -> pa.Table:
        """Records in force with too little identity to link, and linked to nothing (a name-only
        departure or filing its trip placed, or a disposition its matter did, is linked): feed, source_system,
        source_record_id, reason."""
        from ilos.adapters.identity import unusable

        records = self.records()
        reasons = unusable(records)
        links = self.reader.links().select(["record_uid", "person_id"])
        alone = links.group_by("person_id").aggregate([("record_uid", "count")])
        alone = alone.filter(pc.equal(alone.column("record_uid_count"), 1)).select(["person_id"])
        linked = links.join(alone, "person_id", join_type="left anti").column("record_uid")
        reasons = reasons.filter(pc.invert(pc.is_in(reasons.column("record_uid"), linked)))
        listed = records.select(["record_uid", "feed", "source_system", "source_record_id"]).join(
            reasons, "record_uid", join_type="inner"
        )
        columns = ["feed", "source_system", "source_record_id", "reason"]
        return listed.select(columns).sort_by([(c, "ascending") for c in columns[:3]])

    def resolver(self, model: dict[str, Any] | None) -> Any:
        """The Splink engine with this model (None: the default model shipped in the package)."""
        from ilos.adapters.identity.resolver import IdentityResolver

        return IdentityResolver(self.con, model, on_clustered=self._on_clustered)

    def _on_clustered(self, facts: pa.Table) -> None:
        self._clustered = facts


def _moved(before: pa.Table | None, after: pa.Table, replaced: pa.Array | None) -> pa.Array | None:
    """The components, before and after an incremental run, of the records whose links it replaced;
    None when unknown."""
    if before is None or replaced is None:
        return None
    old = among_sorted(before, "record_uid", replaced).column("component")
    new = among_sorted(after, "record_uid", replaced).column("component")
    return pc.unique(pa.chunked_array([*old.chunks, *new.chunks], pa.string()).combine_chunks().drop_null())


def _facts_after(
    facts: pa.Table | None, redone: pa.Array | None, clustered: pa.Table | None, incremental_run: bool
) -> pa.Table | None:
    """The components' facts after a saved run: those it `clustered`, after a full run; after an
    incremental one, the kept `facts` but those of the components it re-resolved or whose records' links
    it replaced (`redone`: a component can lose a record to another without being clustered), and those
    it clustered (None when any of them is unknown). Some components a full run clusters may be missing
    (records an incremental run places among as they are, without clustering them): unknown, not wrong."""
    if clustered is None or not incremental_run:
        return None if clustered is None else clustered.sort_by("component")
    if facts is None or redone is None:
        return None
    gone = pa.chunked_array([redone, clustered.column("component").combine_chunks()], pa.string())
    return upserted(facts, "component", clustered, drop=gone)


def _incremental(state: pa.Table) -> bool:
    """Whether a run can build on the link state: there is one, and every link names its component (a
    run of a version before components were kept left none)."""
    return state.num_rows > 0 and not pc.any(pc.is_null(state.column("component"))).as_py()


def _no_links() -> pa.Table:
    """An empty table of withdrawn records' links."""
    return pa.table({c: pa.array([], pa.string()) for c in WITHDRAWN_COLUMNS})


#: Withdrawn records (`w_new`, scored against a run's records: `w_pairs`, `w_members`, `w_links`) that
#: reach a person: `w_attached`; `w_mine` maps each to its signature, `w_linked` holds the links both ways.
_WITHDRAWN_SQL = """
    CREATE TABLE w_live AS SELECT m.rep, min(l.person_id) AS person_id
        FROM w_members m JOIN w_links l USING (record_uid) GROUP BY m.rep;
    CREATE TABLE w_mine AS SELECT n.record_uid, n.feed, n.source_system, n.source_record_id, m.rep
        FROM w_new n JOIN w_members m USING (record_uid);
    CREATE TABLE w_linked AS
        SELECT record_uid_l AS a, record_uid_r AS b, match_weight FROM w_pairs WHERE decision = 'link'
        UNION ALL SELECT record_uid_r, record_uid_l, match_weight FROM w_pairs WHERE decision = 'link';
    CREATE TABLE w_attached AS
        WITH candidate AS (
            SELECT n.*, live.person_id, 'Infinity'::DOUBLE AS weight FROM w_mine n JOIN w_live live USING (rep)
            UNION ALL
            SELECT n.*, live.person_id, k.match_weight FROM w_mine n JOIN w_linked k ON k.a = n.rep
            JOIN w_live live ON live.rep = k.b)
        SELECT record_uid, feed, source_system, source_record_id,
               first(person_id ORDER BY weight DESC, person_id) AS person_id
        FROM candidate GROUP BY ALL;
"""


def _components(members: list[tuple[str, str]], links: list[tuple[str, str]]) -> list[int]:
    """A component label for each (record, signature) of `members`: signatures joined by `links`
    (a handful of withdrawn records, so a plain union-find)."""
    parent: dict[str, str] = {rep: rep for _, rep in members}

    def root(rep: str) -> str:
        while parent[rep] != rep:
            parent[rep] = parent[parent[rep]]
            rep = parent[rep]
        return rep

    for a, b in links:
        if a in parent and b in parent:
            parent[root(a)] = root(b)
    labels: dict[str, int] = {}
    return [labels.setdefault(root(rep), len(labels)) for _, rep in members]
