"""Incremental linking, set-at-a-time: which records a batch can touch, and the merged outcome.

A batch changes some records (new, corrected or retracted). Only the linked components those
records belonged to, or now reach, can change: the resolver scores the changed records against the
rest (blocking keys give the candidates), and every component that a changed record links to, is
held in review with, is kept apart from by a hard rule, or shares an identity signature with, is
re-resolved whole together with the changed records, and so is every component an open `ambiguous`
review pair joins to one of those, or an open review pair or trip placement of a departure alone in
its component (its trip may place it with any person it is in review with). Everything else keeps
its person. Of what a batch reaches, the components it reaches only through a name key are placed
among as they are, not scored again (`_unscored`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ilos.adapters.duck import decisions as reviewer
from ilos.adapters.duck.stable_ids import Assignment
from ilos.adapters.duck.workspace import workspace
from ilos.adapters.identity import trips
from ilos.adapters.identity.blocking_keys import BlockingKeys
from ilos.adapters.identity.index import IdentityIndex
from ilos.adapters.kept_tables import among_sorted, gathered, parted, upserted, without


def _changed(
    cur: duckdb.DuckDBPyConnection, records: pa.Table, state: pa.Table, candidates: pa.Array | None = None
) -> None:
    """Tables changed(record_uid) and removed(record_uid): the records in force that `state` does not
    link with their identity hash, and the links of `state` whose records are no longer in force.

    `candidates`: the only records that can be either (those the batches read since the run that left
    `state` changed, and those that run left without a link): every other record in force is as that
    run linked it, so only these are compared (comparing every record joined two whole tables, 0.1 s a
    batch at 563,631 records)."""
    if candidates is not None:  # both sorted by record uid
        records = among_sorted(records, "record_uid", candidates)
        state = among_sorted(state, "record_uid", candidates)
    cur.register("compared_recs", records.select(["record_uid", "identity_hash"]))
    cur.register("compared_state", state.select(["record_uid", "identity_hash"]))
    cur.execute(
        """CREATE TEMP TABLE changed AS SELECT r.record_uid FROM compared_recs r
           LEFT JOIN compared_state s USING (record_uid)
           WHERE s.identity_hash IS NULL OR s.identity_hash <> r.identity_hash;
           CREATE TEMP TABLE removed AS SELECT record_uid FROM compared_state ANTI JOIN compared_recs USING (record_uid)"""
    )
    cur.unregister("compared_recs")
    cur.unregister("compared_state")


@dataclass(frozen=True)
class TripKeys:
    """The name keys trips read, of the records in force after a run: every presence record's
    (`trips.presence_keys` of the run's index) and every record's trip keys (`trips.trip_keys`). Each
    row is a function of its own record (its signature's features, its day), so a later batch builds
    only its changed records' rows and keeps the others."""

    presence: pa.Table
    trips: pa.Table
    #: The rows `trips.key_nodes` adds to `trips`, and the name-only rows of both, sorted by record uid:
    #: kept beside `trips` so that a batch does not filter every row for them again (36 and 26 ms a
    #: batch at 1,419,024 records).
    spelled: pa.Table
    name_only: pa.Table
    #: The trips' name-key edges (x: a component, key: a name-only key) against the link state of run
    #: `edges_run` (set by the caller that keeps them): what `_name_key_edges` updates instead of joining
    #: every keyed row to the link state again.
    edges: pa.Table | None = None
    edges_run: int | None = None

    @classmethod
    def of(cls, presence: pa.Table, raw: pa.Table) -> TripKeys:
        """The kept keys of `presence` and of the trip keys `raw` (sorted by record uid)."""
        spelled = trips.spelled_keys(raw)
        return cls(presence, raw, spelled, _name_only(raw, spelled))

    def since(self, presence: pa.Table, rows: pa.Table, gone: pa.Array | pa.ChunkedArray) -> TripKeys:
        """These keys without the rows of the records `gone` and with `rows` (the trip keys of the
        changed records), with `presence` as the presence keys."""
        spelled = trips.spelled_keys(rows)
        return TripKeys(
            presence,
            upserted(self.trips, "record_uid", rows, gone),
            upserted(self.spelled, "record_uid", spelled, gone),
            upserted(self.name_only, "record_uid", _name_only(rows, spelled), gone),
        )

    def nodes(self) -> pa.Table:
        """`trips.key_nodes(self.trips)`, as slices of what is kept."""
        return pa.concat_tables([self.trips, self.spelled.cast(self.trips.schema)])


def _name_only(raw: pa.Table, spelled: pa.Table) -> pa.Table:
    """The rows of `raw` and `spelled` of name-only records, sorted by record uid."""
    both = pa.concat_tables([raw, spelled.cast(raw.schema)])
    return both.filter(pc.equal(both.column("kind"), "name_only")).sort_by("record_uid")


#: A batch reaching fewer records than this re-resolves all it reaches: deciding what to place among as
#: it is (`_unscored`) costs about 0.1 s a batch at 1,419,024 records, and scoring a record about 33
#: microseconds of a run's time (measured: 16,354 records scored in 1.38 s, 9,637 in 1.16 s), so keeping
#: fewer than some 4,000 records (about half of what such a batch reaches) saves nothing.
UNSCORED_FROM = 8192


@dataclass(frozen=True)
class Affected:
    """What a batch touches: the records to re-resolve, and the repeats, linked directly."""

    subset: pa.Table
    #: record_uid, person_id, component: new records that repeat the identity signature of records
    #: already linked, with the same admission numbers, in a component nothing else touches. Signatures
    #: are the nodes scoring and clustering see, so such a record changes no pair and no cluster: it
    #: joins its signature's person, as re-resolving the component would.
    repeats: pa.Table
    #: The records of the link state no longer in force.
    removed: pa.Array
    #: The records in force that the link state did not link with their identity hash (new or changed).
    changed: pa.Array
    #: The trip keys of the records in force after the batch (None when the batch left no index).
    trip_keys: TripKeys | None = None
    #: record_uid, person_id, component of the records of components the batch reaches only to place
    #: among (`_unscored`): their clusters are the link state's, they are not scored again. Sorted by
    #: record uid; None when the run re-resolves everything it reaches.
    unscored: pa.Table | None = None


def affected(
    cur: duckdb.DuckDBPyConnection,
    records: pa.Table,
    state: pa.Table,
    resolver: Any,
    decided: pa.Table,
    held: pa.Table,
    index: IdentityIndex | None = None,
    trip_keys: TripKeys | None = None,
    candidates: pa.Array | None = None,
    singles: pa.Array | None = None,
    relinked: pa.Array | None = None,
) -> Affected:
    """The records to re-resolve (possibly none), and the repeats.

    `held` are the last run's open `ambiguous` pairs (a record held for review because it matches
    both records of a twins pair): that hold depends on components beyond the pair, so a component
    re-resolved pulls in every component such pairs join it to, transitively. `index` is the index of
    the records `state` links, when the caller kept it (built from the unchanged records otherwise):
    the signatures of records of `state` that changed or went are built again from their remaining
    members; the resolver's `index_after` then indexes every record in force. `trip_keys`: those of
    the records `state` links, when the caller kept them with `index` (built from every record otherwise).
    `candidates`: the records that can have changed since the run that left `state`, when the caller
    knows them (`_changed`; every record is compared otherwise). `singles`: the components of one record
    in `state`, when the caller keeps them (found by grouping every link otherwise). `relinked`: the
    records whose links changed between the link state `trip_keys.edges` were found against and `state`
    (None: unknown, those edges are found again).
    """
    before = index  # the kept index of the records `state` links, old versions included
    cur.register("recs", records.select(["record_uid", "identity_hash"]))
    cur.register("state", state)
    _changed(cur, records, state, candidates)
    cur.execute("CREATE TEMP TABLE repeats (record_uid VARCHAR, rep VARCHAR, old_member VARCHAR)")
    uids = pa.array([r[0] for r in cur.sql("SELECT record_uid FROM changed").fetchall()], pa.string())
    seeds = "SELECT component FROM state SEMI JOIN (SELECT record_uid FROM changed UNION ALL SELECT record_uid FROM removed) USING (record_uid)"
    if len(uids):
        if index is None:
            index = resolver.index(without(records, "record_uid", uids))
        elif not _only_added(cur):
            index = _index_without(cur, index, records, resolver)
        pairs = resolver.score_between(index, among_sorted(records, "record_uid", uids))  # sets `index_after`
        members = resolver.members
        relevant = decided.filter(
            pc.or_(
                pc.is_in(decided.column("record_uid_l"), uids), pc.is_in(decided.column("record_uid_r"), uids)
            )
        )
        pairs = reviewer.apply_decisions(cur, pairs, relevant, members)
        cur.register("new_pairs", pairs)
        cur.register("sig_members", members)
        changed_members = among_sorted(members.select(["record_uid", "rep"]), "record_uid", uids)
        cur.register("changed_members", changed_members)
        if getattr(resolver, "index_after", None) is not None:
            _repeats(cur, index, resolver.index_after, relevant, changed_members, state)
        cur.execute(
            """CREATE TEMP TABLE fresh AS
               SELECT DISTINCT rep FROM changed_members ANTI JOIN repeats USING (record_uid);
               CREATE TEMP TABLE touched_reps AS
               WITH kept AS (SELECT * FROM new_pairs WHERE (decision <> 'separate' OR rule <> '')
                             AND (record_uid_l IN (SELECT rep FROM fresh) OR record_uid_r IN (SELECT rep FROM fresh)))
               SELECT record_uid_l AS rep FROM kept UNION SELECT record_uid_r FROM kept
               UNION SELECT rep FROM fresh"""
        )
        seeds += """ UNION SELECT s.component FROM state s SEMI JOIN (
                         SELECT m.record_uid FROM sig_members m SEMI JOIN touched_reps t ON t.rep = m.rep) x
                     USING (record_uid)"""  # the touched signatures' few members first, then their links
    else:
        resolver.index_after = index if _only_added(cur) else None
    cur.register("held", held.select(["record_uid_l", "record_uid_r", "rule"]))
    _held_edges(cur, state, singles)
    after = getattr(resolver, "index_after", None)
    kept_keys = trip_keys if before is not None and after is not None else None
    trip_seeds, keys_after = _trip_edges(cur, records, state, after, before, kept_keys, relinked)
    seeds += trip_seeds
    seeds += _contradicted(cur, decided, state)
    _reach(cur, seeds)
    cur.execute(
        """CREATE TEMP TABLE placed AS
            SELECT r.record_uid, s.person_id, s.component, s.component IN (SELECT component FROM reach) AS redone
            FROM repeats r JOIN state s ON s.record_uid = r.old_member"""
    )
    cur.execute(
        """CREATE TEMP TABLE reached_links AS SELECT record_uid, person_id, component FROM state
           SEMI JOIN reach USING (component)"""
    )
    reached = int(cur.sql("SELECT count(*) FROM reached_links").fetchall()[0][0])
    unscored = None
    if after is not None and reached >= UNSCORED_FROM:  # `after`: the members of every record in force
        unscored = _unscored(cur, after.members)
    if unscored is None:
        cur.execute("CREATE TEMP TABLE redo AS SELECT component FROM reach")
    subset = cur.sql(
        """SELECT record_uid FROM changed ANTI JOIN placed USING (record_uid)
           UNION SELECT record_uid FROM reached_links SEMI JOIN redo USING (component) ANTI JOIN removed USING (record_uid)
           UNION SELECT record_uid FROM placed WHERE redone"""
    ).fetchall()
    keep = pa.array([r[0] for r in subset], pa.string())
    repeats = cur.sql(
        "SELECT record_uid, person_id, component FROM placed WHERE NOT redone ORDER BY record_uid"
    ).to_arrow_table()
    removed = cur.sql("SELECT record_uid FROM removed").to_arrow_table().column(0).combine_chunks()
    subset = among_sorted(records, "record_uid", keep)
    return Affected(subset, repeats, removed.cast(pa.string()), uids, keys_after, unscored)


#: Edges from the component of a record placed earlier (one alone in its component: `single_links`)
#: to every other component of its person (table `state`).
PLACED_EDGES = """SELECT DISTINCT s.component AS x, o.component AS y FROM single_links s
                  JOIN state o ON o.person_id = s.person_id WHERE o.component <> s.component"""


def _held_edges(cur: duckdb.DuckDBPyConnection, state: pa.Table, singles: pa.Array | None = None) -> None:
    """Tables `single(component)` (components of one record), `single_links` (their links) and
    `held_edges(x, y)` (both ways) from the link state `state` (registered as `state`) and the held pairs
    `held`: the components of the two records of every `ambiguous` pair, and of every other pair with a
    departure alone in its component. The pairs that make edges are picked before their ends' links are
    looked up: some 8,000 of 514,163 held pairs at 1,419,024 records (joining every pair to the whole
    link state twice took 0.19 s a batch). A record without a component is in no single one.

    `singles`, the components of one record when the caller keeps them, spare grouping every link by
    component (115 to 220 ms a batch at 1,419,024 links; picking their links out takes 16 ms)."""
    if singles is None:
        cur.execute(
            """CREATE TEMP TABLE single AS SELECT component FROM state GROUP BY component HAVING count(*) = 1;
               CREATE TEMP TABLE single_links AS SELECT record_uid, person_id, component FROM state
               SEMI JOIN single USING (component)"""
        )
    else:
        cur.register("single_rows", pa.table({"component": singles.cast(pa.string())}))
        cur.register("single_link_rows", _single_links(state, singles))
        cur.execute(
            """CREATE TEMP TABLE single AS SELECT component FROM single_rows;
               CREATE TEMP TABLE single_links AS SELECT * FROM single_link_rows"""
        )
        cur.unregister("single_rows")
        cur.unregister("single_link_rows")
    cur.execute(
        """CREATE TEMP TABLE held_edges AS
           WITH h AS (SELECT * FROM held WHERE rule = 'ambiguous'
                         OR (rule IN ('', 'trip') AND (
                             (starts_with(record_uid_l, 'departures/') AND record_uid_l IN (SELECT record_uid FROM single_links))
                             OR (starts_with(record_uid_r, 'departures/') AND record_uid_r IN (SELECT record_uid FROM single_links))))),
           ends AS (SELECT record_uid, component FROM state
                    WHERE record_uid IN (SELECT record_uid_l FROM h UNION ALL SELECT record_uid_r FROM h)),
           e AS (SELECT a.component AS x, b.component AS y FROM h
                 JOIN ends a ON a.record_uid = h.record_uid_l JOIN ends b ON b.record_uid = h.record_uid_r)
           SELECT x, y FROM e UNION SELECT y, x FROM e"""
    )


def _single_links(state: pa.Table, singles: pa.Array) -> pa.Table:
    """The links (record_uid, person_id, component) of `state` whose component is one of `singles`, the
    components of one link each. A component is named by the smallest record uid in it, so each such
    link is looked for first among the links named after their own record (one per component: a
    comparison of two columns, then a lookup among some 100,000 rows rather than 1,419,024: 16 ms
    against 53 ms); should fewer be found there than `singles` holds, every link is tested."""
    links = state.select(["record_uid", "person_id", "component"])
    named = links.filter(pc.equal(links.column("record_uid"), links.column("component")))
    found = named.filter(pc.is_in(named.column("component"), singles))
    if found.num_rows == len(singles):  # one link per single component, so these are all of them
        return found
    return links.filter(pc.is_in(links.column("component"), singles))


def _reach(cur: duckdb.DuckDBPyConnection, seeds: str) -> None:
    """Tables seeded(component), the seeds (a query of one column), and reach(component): the seeds and
    every node the held edges join them to, directly or through others, as a recursive query over
    `held_edges` (x to y) gives them: the edges go both ways, so these are the seeds' connected components, labelled at once over the
    whole edge list (the recursive query joined the whole edge table once per step). A NULL is reached as that query reaches it: as a seed, or as the end of an edge
    from a node reached (no edge leaves it)."""
    found = cur.sql(f"SELECT DISTINCT * FROM ({seeds})").to_arrow_table().column(0)
    edges = cur.sql("SELECT x, y FROM held_edges WHERE x IS NOT NULL").to_arrow_table()
    ended = pc.is_valid(edges.column("y"))
    component = _joined_to(edges.filter(ended), pc.drop_null(found))
    dangling = edges.filter(pc.invert(ended)).column("x")  # edges to a NULL: reached from a node reached
    if found.null_count or pc.any(pc.is_in(dangling, component)).as_py():
        component = pa.concat_arrays([component, pa.nulls(1, component.type)])
    cur.register("reached", pa.table({"component": component}))
    cur.register("seeded_rows", pa.table({"component": found}))
    cur.execute(
        """CREATE TEMP TABLE reach AS SELECT component FROM reached;
           CREATE TEMP TABLE seeded AS SELECT component FROM seeded_rows"""
    )
    cur.unregister("reached")
    cur.unregister("seeded_rows")


def _unscored(cur: duckdb.DuckDBPyConnection, members: pa.Table) -> pa.Table:
    """The links (record_uid, person_id, component; sorted by record uid) of the reached components the run
    places among as they are, not scored again, and table `redo(component)`: the rest of `reach`, which it
    re-resolves. Reads tables `reached_links` (the links of the reached components), `seeded`, `placed`,
    `held`, `held_edges` and `removed`; `members` (record_uid, rep; sorted by record uid) are the signature
    members of every record in force: the records that can be scored.

    A name key reaches every component showing the name (ADR 10), and most of them a batch cannot change:
    their records are as the last run scored and clustered them, and only the placement of the key's
    name-only records can change. A component is scored again when the batch seeds it, a repeat joins it,
    it holds two persons (a hard rule cut it, or a record of it was placed elsewhere), it is one record
    that can be scored (a departure alone is placed by the review pairs scoring gives it), or a held pair
    joins two of its own records (a departure left alone by clustering and placed back into its own
    component's person is told apart by nothing else); and so is every component an edge between scored
    components joins to one of those (an `ambiguous` pair, a departure's review pair or trip placement, a
    placed record's other components). A class of components so joined with none of those is unchanged,
    and keeps its clusters. A record that cannot be scored, alone in its component, is placed again
    wherever it is reached: its name keys, its day and the clusters around are all that place it."""
    cur.execute(
        """CREATE TEMP TABLE reached_comps AS SELECT component, count(*) AS n, count(DISTINCT person_id) AS persons
           FROM reached_links GROUP BY component"""
    )
    lone = cur.sql(
        "SELECT record_uid, component FROM reached_links SEMI JOIN (SELECT component FROM reached_comps WHERE n = 1) USING (component)"
    ).to_arrow_table()
    scorable = among_sorted(members, "record_uid", lone.column("record_uid")).column("record_uid")
    cur.register("unscorable", lone.filter(pc.invert(pc.is_in(lone.column("record_uid"), scorable))))
    cur.execute(  # the held pairs of reached records picked first (some 520,000 held at 1,419,024 records)
        """CREATE TEMP TABLE reached_held AS SELECT * FROM held
           WHERE record_uid_l IN (SELECT record_uid FROM reached_links)
             AND record_uid_r IN (SELECT record_uid FROM reached_links)"""
    )
    cur.execute(
        """CREATE TEMP TABLE rescored AS
           SELECT component FROM seeded WHERE component IS NOT NULL
           UNION SELECT component FROM placed
           UNION SELECT component FROM reached_comps
           WHERE persons > 1 OR (n = 1 AND component NOT IN (SELECT component FROM unscorable))
           UNION SELECT a.component FROM reached_held h JOIN reached_links a ON a.record_uid = h.record_uid_l
           JOIN reached_links b ON b.record_uid = h.record_uid_r WHERE a.component = b.component"""
    )
    edges = cur.sql(
        """SELECT x, y FROM held_edges WHERE x IS NOT NULL AND y IS NOT NULL
           AND NOT starts_with(x, 'key:') AND NOT starts_with(y, 'key:')
           AND x NOT IN (SELECT component FROM unscorable) AND y NOT IN (SELECT component FROM unscorable)"""
    ).to_arrow_table()
    rescored = cur.sql("SELECT component FROM rescored").to_arrow_table().column(0)
    cur.register("redone_rows", pa.table({"component": _joined_to(edges, rescored)}))
    cur.execute(
        """CREATE TEMP TABLE redo AS SELECT component FROM reach
           WHERE component IN (SELECT component FROM redone_rows) OR component NOT IN (SELECT component FROM reached_comps)"""
    )
    cur.unregister("redone_rows")
    kept = cur.sql(
        """SELECT record_uid, person_id, component FROM reached_links ANTI JOIN redo USING (component)
           ANTI JOIN removed USING (record_uid) ORDER BY record_uid"""
    ).to_arrow_table()
    cur.unregister("unscorable")
    return kept


def _joined_to(edges: pa.Table, seeds: pa.ChunkedArray) -> pa.Array:
    """The nodes of `edges` (x, y) joined to one of `seeds`, directly or through others, and the seeds."""
    pairs = edges.num_rows
    nodes = pa.chunked_array(
        [*edges.column("x").chunks, *edges.column("y").chunks, *seeds.chunks], pa.string()
    )
    if len(nodes) == 0:
        return pa.array([], pa.string())
    encoded = pc.dictionary_encode(nodes).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    x, y, seeded, count = codes[:pairs], codes[pairs : 2 * pairs], codes[2 * pairs :], len(encoded.dictionary)
    graph = coo_matrix((np.ones(pairs, np.int8), (x, y)), shape=(count, count))
    labels = connected_components(graph.tocsr(), directed=False)[1]
    return encoded.dictionary.filter(pa.array(np.isin(labels, labels[seeded])))


def warm_index(
    cur: duckdb.DuckDBPyConnection, records: pa.Table, state: pa.Table, resolver: Any
) -> tuple[IdentityIndex, TripKeys] | None:
    """The index of the records `state` links (with its blocking index) and their trip keys, as the first
    batch of a process would build them, when every record in force is linked as it is now; None when a
    record is new, changed or gone since the last run (the first batch builds from what it finds)."""
    cur.register("recs", records.select(["record_uid", "identity_hash"]))
    cur.register("state", state)
    _changed(cur, records, state)
    pending = "SELECT (SELECT count(*) FROM changed) + (SELECT count(*) FROM removed)"
    if int(cur.sql(pending).fetchall()[0][0]):
        return None
    index = resolver.index(records)
    with workspace(cur, "ilos_warm") as work:
        work.register("warm_feat", index.feat)
        keys = BlockingKeys.build(work, "warm_feat")
        presence = _index_presence_keys(work, index)
        raw = trips.trip_keys(work, records, presence)
    return IdentityIndex(index.feat, index.members, keys), TripKeys.of(presence, raw)


def _contradicted(cur: duckdb.DuckDBPyConnection, decided: pa.Table, state: pa.Table) -> str:
    """Seeds for reviewers' decisions the links contradict (a `separate` inside one person, a `link`
    across two): decisions made since the last run, which no changed record would otherwise reach.
    The links of the decided records are taken out of `state` first (joining every decision to the
    whole link state twice was planned around the link state)."""
    cur.register("decided_all", decided.select(["record_uid_l", "record_uid_r", "decision"]))
    ends = pa.chunked_array(
        [*decided.column("record_uid_l").chunks, *decided.column("record_uid_r").chunks], pa.string()
    ).combine_chunks()
    cur.register("decided_links", among_sorted(state, "record_uid", ends))
    against = """FROM decided_all d JOIN decided_links a ON a.record_uid = d.record_uid_l
                 JOIN decided_links b ON b.record_uid = d.record_uid_r
                 WHERE (d.decision = 'separate') = (a.person_id = b.person_id)"""
    return f" UNION SELECT a.component {against} UNION SELECT b.component {against}"


def _trip_edges(
    cur: duckdb.DuckDBPyConnection,
    records: pa.Table,
    state: pa.Table,
    index: IdentityIndex | None,
    before: IdentityIndex | None,
    kept: TripKeys | None = None,
    relinked: pa.Array | None = None,
) -> tuple[str, TripKeys | None]:
    """Add to `held_edges` the trips that tie components together; return the seeds they add, and the
    trip keys of the records in force (`kept`: those of the records `before` indexes, to build only
    the changed records' keys; `relinked`: the records whose links changed since the state its edges
    were found against).

    A name-only departure (or status event) is placed by every person in the country under its name
    (`trips`): its component and the component of every presence record (an arrival, an encounter, a court event)
    with its name key hang together through that key (a node `key:...`; `trips.key_nodes` adds each
    record's spelling as a key, so a cut family name's spelling meets the spelling it matches), and a
    changed record with such a key seeds it. A record placed earlier (any record alone in its component) also hangs
    together with every component of the person it was placed with, so a retraction there that takes
    away the placing record re-places it. A correction or retraction may take away a key no record in
    force shows (a rival's arrival): the old keys of changed and retracted presence records come from
    `before`, the index kept before the batch; without it every key is seeded.
    A new presence record or departure repeating a linked signature adds a trip event: its component is
    seeded when a key of a name-only departure, or a departure alone in its component that it is in
    review with (`held_edges`), reaches it, or when the record itself carries the key of a name-only
    departure (an encounter repeating the identity of a status event, which carries no key, brings the
    person its first one), as far as its event can change that placement (`_matters`). A record
    repeating the signature of a placed record (a decision carrying its filing's name and receipt alone)
    seeds the placed record's component: the two are one component now, which a full run does not place.
    The presence records' keys come from `index` (every record in force) when there is one; `state` is
    the link state (registered as `state` too), sorted by record uid.
    """
    gone = cur.sql("SELECT record_uid FROM changed UNION ALL SELECT record_uid FROM removed").to_arrow_table()
    with workspace(cur, "ilos_trips") as work:  # the features built here stay out of the caller's schema
        if kept is not None and index is not None:
            after_keys, old_keys = _trip_keys_since(work, records, index, kept, gone.column(0))
            after: TripKeys | None = after_keys
            raw, keys, named = after_keys.trips, after_keys.nodes(), after_keys.name_only
        else:
            present = _presence_keys(work, index)
            raw = trips.trip_keys(work, records, present)
            old_keys = _presence_keys(work, before)
            spelled = trips.spelled_keys(raw)
            keys, named = pa.concat_tables([raw, spelled]), _name_only(raw, spelled)
            after = TripKeys(present, raw, spelled, named) if present is not None else None
        old_keys = trips.key_nodes(old_keys) if old_keys is not None else None
    cur.register("trip_keys", keys)
    cur.register("name_only_keys", named)
    edges = _name_key_edges(cur, state, after, kept, relinked, gone.column(0))
    after = replace(after, edges=edges, edges_run=None) if after is not None else None
    cur.register("name_key_edges", edges)
    cur.register(
        "old_presence_keys", old_keys if old_keys is not None else pa.table({"record_uid": [], "key": []})
    )
    days = (
        records.select(["record_uid", trips.DAY])
        if trips.DAY in records.column_names
        else pa.table({"record_uid": pa.array([], pa.string()), trips.DAY: pa.array([], pa.string())})
    )
    cur.register("trip_days", days)
    cur.execute(
        f"""INSERT INTO held_edges
           WITH by_key AS (SELECT x, 'key:' || key AS y FROM name_key_edges),
           placed AS ({PLACED_EDGES}),
           e AS (SELECT * FROM by_key UNION SELECT * FROM placed)
           SELECT x, y FROM e UNION SELECT y, x FROM e"""
    )
    _around_repeats(cur, state, days, raw)
    named = "SELECT key FROM name_only_keys"
    # A correction or retraction takes away a key no record in force shows any more: its old key
    # (from the index kept before the batch), or without one every key, is re-placed. A repeated
    # presence record or departure adds a trip event to a person a key reaches, which matters to the
    # name-only departures of that key (`_matters`).
    return (
        f""" UNION SELECT DISTINCT 'key:' || k.key FROM trip_keys k SEMI JOIN changed USING (record_uid)
               WHERE k.key IN ({named})
               UNION SELECT DISTINCT 'key:' || k.key FROM old_presence_keys k
               WHERE k.record_uid IN (SELECT record_uid FROM removed UNION ALL SELECT record_uid FROM changed)
               UNION SELECT DISTINCT 'key:' || key FROM ({named})
               WHERE {str(old_keys is None).upper()}
                 AND (EXISTS (SELECT 1 FROM removed) OR EXISTS (SELECT 1 FROM changed SEMI JOIN state USING (record_uid)))
               UNION SELECT s.component FROM repeats r JOIN repeat_links s ON s.record_uid = r.old_member
               WHERE s.component IN (SELECT component FROM single)
                 AND EXISTS (SELECT 1 FROM repeat_person_links o
                             WHERE o.person_id = s.person_id AND o.component <> s.component)
               UNION SELECT s.component FROM repeats r JOIN repeat_links s ON s.record_uid = r.old_member
               JOIN repeat_days d ON d.record_uid = r.record_uid
               WHERE EXISTS (SELECT 1 FROM repeat_edges e JOIN repeat_named k ON e.y = 'key:' || k.key
                             WHERE e.x = s.component AND k.kind = 'name_only' AND {_matters("k.record_uid", "k.day")})
                  OR EXISTS (SELECT 1 FROM repeat_own_keys own JOIN repeat_named k USING (key)
                             WHERE own.record_uid = r.record_uid AND k.kind = 'name_only'
                               AND {_matters("k.record_uid", "k.day")})
                  OR EXISTS (SELECT 1 FROM repeat_edges e JOIN repeat_placed_days x ON x.record_uid = e.y
                             WHERE e.x = s.component AND e.y IN (SELECT component FROM single)
                               AND {_matters("x.record_uid", f"CAST(x.{trips.DAY} AS DATE)")})""",
        after,
    )


#: The trips' name-key edges: the component of every record with a key some name-only record has.
NAME_KEY_EDGES = """SELECT DISTINCT s.component AS x, k.key FROM trip_keys k JOIN state s USING (record_uid)
                    SEMI JOIN (SELECT DISTINCT key FROM name_only_keys) USING (key)"""


def _name_key_edges(
    cur: duckdb.DuckDBPyConnection,
    state: pa.Table,
    after: TripKeys | None,
    kept: TripKeys | None,
    relinked: pa.Array | None,
    gone: pa.ChunkedArray,
) -> pa.Table:
    """`NAME_KEY_EDGES` (x, key) over tables `trip_keys` (of `after`) and `name_only_keys` and the link
    state `state` (registered as `state`). With the `kept` trip keys' edges and the records `relinked`
    since the link state those were found against, only the keys a change can touch
    are found again: those of the rows, before and after, of the records `gone` (changed or removed) or
    relinked. A key none of those rows has keeps its rows, their records keep their components, and it
    stays name-only or not, so its edges are what they were. Joining some 539,000 keyed rows to the
    whole link state took 124 to 190 ms a batch at 1,419,024 records; the update, 13 to 39 ms."""
    edges = kept.edges if kept is not None else None
    if kept is None or edges is None or relinked is None or after is None:
        return cur.sql(NAME_KEY_EDGES).to_arrow_table()
    touched = pc.unique(pa.chunked_array([*gone.chunks, relinked], pa.string()).combine_chunks())
    rows = [
        among_sorted(t, "record_uid", touched).column("key")
        for t in (kept.trips, kept.spelled, after.trips, after.spelled)
    ]
    keys = pc.unique(pa.chunked_array([c for r in rows for c in r.chunks], pa.string()).combine_chunks())
    cur.register("touched_keys", pa.table({"key": keys}))
    fresh = cur.sql(
        """SELECT record_uid, key FROM trip_keys WHERE key IN (SELECT key FROM touched_keys)
           AND key IN (SELECT key FROM name_only_keys)"""
    ).to_arrow_table()
    cur.register("touched_rows", fresh)
    cur.register("touched_links", among_sorted(state, "record_uid", fresh.column("record_uid")))
    found = cur.sql(
        "SELECT DISTINCT s.component AS x, k.key FROM touched_rows k JOIN touched_links s USING (record_uid)"
    ).to_arrow_table()
    for name in ("touched_keys", "touched_rows", "touched_links"):
        cur.unregister(name)
    left = edges.filter(pc.invert(pc.is_in(edges.column("key"), keys)))
    return pa.concat_tables([left, found.cast(left.schema)]).combine_chunks()


def _around_repeats(cur: duckdb.DuckDBPyConnection, state: pa.Table, days: pa.Table, raw: pa.Table) -> None:
    """The rows the repeats' seeds look at, taken out of the whole tables once (a correlated look into
    the whole trip keys, edges and link state was planned as a join of each whole table, about 80 ms
    a batch here): the repeats' own days (`repeat_days`), the links of the records they repeat
    (`repeat_links`), those records' persons' links (`repeat_person_links`) and arrivals (`repeat_arrivals`), the
    edges of their components (`repeat_edges`), the repeats' own trip keys (`repeat_own_keys`), the
    name-only keys those or the edges name (`repeat_named`, from table `name_only_keys`), and the days of
    the records the edges reach (`repeat_placed_days`). `held_edges` is complete by now.

    `state`, `days` (record_uid and day of every record) and `raw` (the trip keys before `key_nodes`) are
    sorted by record uid: the rows of the repeats and of their persons are found there by binary search
    (eight scans of the whole tables took 150 ms a batch at 1,419,024 records)."""
    repeats = cur.sql("SELECT record_uid, old_member FROM repeats").to_arrow_table()
    repeat_links = among_sorted(state, "record_uid", repeats.column("old_member"))
    cur.register("repeat_links_rows", repeat_links)
    cur.register("repeat_days_rows", among_sorted(days, "record_uid", repeats.column("record_uid")))
    own = trips.key_nodes(among_sorted(raw, "record_uid", repeats.column("record_uid")))
    cur.register("repeat_own_keys_rows", own)
    cur.execute(
        """CREATE TEMP TABLE repeat_links AS SELECT * FROM repeat_links_rows;
           CREATE TEMP TABLE repeat_days AS SELECT * FROM repeat_days_rows;
           CREATE TEMP TABLE repeat_own_keys AS SELECT * FROM repeat_own_keys_rows;
           CREATE TEMP TABLE repeat_person_links AS
           SELECT record_uid, person_id, component FROM state
           WHERE person_id IN (SELECT person_id FROM repeat_links);
           CREATE TEMP TABLE repeat_edges AS SELECT x, y FROM held_edges
           WHERE x IN (SELECT component FROM repeat_links);
           CREATE TEMP TABLE repeat_named AS SELECT * FROM name_only_keys
           WHERE key IN (SELECT key FROM repeat_own_keys) OR 'key:' || key IN (SELECT y FROM repeat_edges)"""
    )
    for name in ("repeat_links_rows", "repeat_days_rows", "repeat_own_keys_rows"):
        cur.unregister(name)
    person_uids = cur.sql("SELECT record_uid FROM repeat_person_links").to_arrow_table().column(0)
    reached = cur.sql("SELECT DISTINCT y FROM repeat_edges").to_arrow_table().column(0)
    cur.register("person_days", among_sorted(days, "record_uid", person_uids))
    cur.register("placed_days", among_sorted(days, "record_uid", reached))
    cur.execute(
        f"""CREATE TEMP TABLE repeat_arrivals AS
            SELECT o.person_id, CAST(t.{trips.DAY} AS DATE) AS day
            FROM repeat_person_links o JOIN person_days t USING (record_uid)
            WHERE t.{trips.DAY} IS NOT NULL AND starts_with(o.record_uid, '{trips.ARRIVALS}/');
            CREATE TEMP TABLE repeat_placed_days AS SELECT * FROM placed_days"""
    )
    cur.unregister("person_days")
    cur.unregister("placed_days")


def _matters(placed_uid: str, placed_day: str) -> str:
    """Whether the trip event of a repeated record (`d`, of `trip_days`, linked to the person of `s`) can
    change the placement of a placed record: a status event or a departure dated on or after it (presence
    on or before its day), and a departure dated before it when the repeated record is an arrival, a
    departure or an encounter (each can make or end the gap of a return: `trips`) and no arrival of that
    person lies strictly between the two (then their return after the placed one's day is already known,
    and this later event changes neither it nor whether anything ended the stay before it). The
    person's arrivals are in `repeat_arrivals`."""
    between = f"""EXISTS (SELECT 1 FROM repeat_arrivals o WHERE o.person_id = s.person_id
                          AND o.day > {placed_day} AND o.day < CAST(d.{trips.DAY} AS DATE))"""
    trip_feeds = " OR ".join(
        f"starts_with(d.record_uid, '{feed}/')"
        for feed in (trips.ARRIVALS, trips.DEPARTURES, trips.ENCOUNTERS)
    )
    return (
        f"({placed_day} >= CAST(d.{trips.DAY} AS DATE)"
        f" OR (starts_with({placed_uid}, '{trips.DEPARTURES}/') AND d.{trips.DAY} IS NOT NULL AND ({trip_feeds})"
        f" AND NOT {between}))"
    )


def _trip_keys_since(
    cur: duckdb.DuckDBPyConnection, records: pa.Table, index: IdentityIndex, kept: TripKeys, gone: pa.Array
) -> tuple[TripKeys, pa.Table]:
    """The keys to keep (those of the records in force: `kept` without the rows of the records changed or
    removed, `gone`, and with those of the changed records, the records of `gone` still in force, built
    from `index`), and the old presence keys of `gone`."""
    changed = among_sorted(records, "record_uid", gone)  # both sorted by record uid
    members = among_sorted(index.members, "record_uid", changed.column("record_uid"))
    fresh = _index_presence_keys(cur, IdentityIndex(index.feat, members))
    kept_presence, old = parted(kept.presence, "record_uid", gone)
    presence = gathered(pa.concat_tables([kept_presence, fresh.cast(kept.presence.schema)]))
    return kept.since(presence, trips.trip_keys(cur, changed, fresh), gone), old


def _presence_keys(cur: duckdb.DuckDBPyConnection, index: IdentityIndex | None) -> pa.Table | None:
    """The presence records' name keys of `index` (`trips.presence_keys`), or None without one."""
    return None if index is None else _index_presence_keys(cur, index)


def _index_presence_keys(cur: duckdb.DuckDBPyConnection, index: IdentityIndex) -> pa.Table:
    cur.register("index_feat", index.feat)
    cur.register("index_members", index.members)
    try:
        return trips.presence_keys(cur, "index_feat", "index_members")
    finally:
        cur.unregister("index_feat")
        cur.unregister("index_members")


def _repeats(
    cur: duckdb.DuckDBPyConnection,
    before: IdentityIndex,
    after: IdentityIndex,
    decided: pa.Table,
    changed: pa.Table,
    state: pa.Table,
) -> None:
    """Fill `repeats`: changed records new to `state` whose signature existed before the batch with the
    same admission numbers, every changed member of which is such a record, none with a reviewer's
    decision; each with a member of the signature from before. `changed`: the changed records' rows
    (record_uid, rep) of `after.members`.

    The rows the query reads are taken out first: the changed records' links by binary search, the
    members of their signatures, those members' signatures before, and the two signatures' rows (the
    query joined whole members, link state and signature tables: 100 ms a batch at 1,419,024 records)."""
    in_state = among_sorted(state, "record_uid", changed.column("record_uid")).column("record_uid")
    new = changed.filter(pc.invert(pc.is_in(changed.column("record_uid"), in_state)))
    reps = pc.unique(new.column("rep"))
    members = after.members.select(["record_uid", "rep"])
    of_reps = members.filter(pc.is_in(members.column("rep"), reps))
    members_before = before.members.select(["record_uid", "rep"])
    was = among_sorted(members_before, "record_uid", of_reps.column("record_uid"))
    feat_after = after.feat.select(["record_uid", "adms"])
    feat_before = before.feat.select(["record_uid", "adms"])
    rows = {
        "new_to_state": new,
        "rep_members": of_reps,
        "members_before": was,
        "feat_after": feat_after.filter(pc.is_in(feat_after.column("record_uid"), reps)),
        "feat_before": feat_before.filter(
            pc.is_in(feat_before.column("record_uid"), pc.unique(was.column("rep")))
        ),
        "decided_pairs": decided.select(["record_uid_l", "record_uid_r"]),
    }
    for name, table in rows.items():
        cur.register(name, table)
    cur.execute(
        """INSERT INTO repeats
           WITH existed AS (SELECT m.rep, min(b.rep) AS old_rep, min(b.record_uid) AS old_member
                            FROM rep_members m JOIN members_before b USING (record_uid) GROUP BY m.rep)
           SELECT n.record_uid, n.rep, e.old_member FROM new_to_state n JOIN existed e USING (rep)
           JOIN feat_after fa ON fa.record_uid = e.rep JOIN feat_before fb ON fb.record_uid = e.old_rep
           WHERE fa.adms = fb.adms
             AND n.record_uid NOT IN (SELECT record_uid_l FROM decided_pairs UNION SELECT record_uid_r FROM decided_pairs);
           DELETE FROM repeats WHERE rep IN (
               SELECT m.rep FROM changed_members m ANTI JOIN repeats r USING (record_uid))"""
    )
    for name in rows:
        cur.unregister(name)


def _index_without(
    cur: duckdb.DuckDBPyConnection, index: IdentityIndex, records: pa.Table, resolver: Any
) -> IdentityIndex:
    """`index` without the records of `state` that changed or went: each signature one of them belonged
    to is built again from its remaining members (its representative and admission numbers may change),
    the rest of the index is kept as it is."""
    gone = cur.sql(
        "SELECT record_uid FROM changed SEMI JOIN state USING (record_uid) UNION ALL SELECT record_uid FROM removed"
    ).to_arrow_table()
    members = index.members
    touched = pc.unique(among_sorted(members, "record_uid", gone.column(0)).column("rep"))
    in_touched = pc.is_in(members.column("rep"), touched)
    remaining = members.filter(
        pc.and_(in_touched, pc.invert(pc.is_in(members.column("record_uid"), gone.column(0))))
    )
    feat = without(index.feat, "record_uid", touched)
    members = without(members, "rep", touched)
    if remaining.num_rows:
        rebuilt = resolver.index(among_sorted(records, "record_uid", remaining.column("record_uid")))
        rebuilt_feat = rebuilt.feat.select(feat.column_names).cast(feat.schema)
        feat = gathered(pa.concat_tables([feat, rebuilt_feat]))
        rebuilt_members = rebuilt.members.select(members.column_names).cast(members.schema)
        members = upserted(members, "record_uid", rebuilt_members)  # kept in record uid order
        if index.keys is not None:  # the rebuilt signatures, under their representatives now
            cur.register("rebuilt_feat", rebuilt_feat)
            index.keys.add(cur, "rebuilt_feat", live=feat.num_rows)
            cur.unregister("rebuilt_feat")
    return IdentityIndex(feat, members, index.keys)


def _only_added(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether every changed record is new to `state` and none was removed."""
    sql = "SELECT (SELECT count(*) FROM changed SEMI JOIN state USING (record_uid)) + (SELECT count(*) FROM removed)"
    return int(cur.sql(sql).fetchall()[0][0]) == 0


def merge(
    con: duckdb.DuckDBPyConnection,
    records: pa.Table,
    state: pa.Table,
    touched: Affected,
    assignment: Assignment,
) -> tuple[Assignment, pa.Table | None]:
    """Links of every record in force (and, when `records` and `state` carry identity hashes, the link
    state the run leaves: the links with their records' hashes), sorted by record uid as `state` must
    be: the last run's outside the re-resolved subset, the assignment's inside it, the repeats' own;
    `replaced` names the links to write: those of the subset that the run
    changed (person, component, or the record's identity hash when both carry one) or left without a
    link, the repeats, and the records no longer in force. Re-resolving a component mostly gives its
    records the links they had; rewriting those would change nothing but the run that wrote them.

    Only the batch's own rows are joined to the records in force (`touched.removed` names the links
    whose records went): the last run's links are kept by leaving out the few the run replaces, not
    by joining every link to every record."""
    cur = con.cursor()
    hashed = "identity_hash" in records.column_names and "identity_hash" in state.column_names
    hashes = ["identity_hash"] if hashed else []
    cur.register("recs", records.select(["record_uid", *hashes]))
    cur.register("state", state.select(["record_uid", "person_id", "component", *hashes]))
    cur.register("redone", touched.subset.select(["record_uid"]))
    cur.register("gone", pa.table({"record_uid": touched.removed}))
    # With hashes, the links carry each record's: the link state the run leaves, as `link_state` reads it
    # back. A record left alone is unchanged (every changed record is re-resolved or a repeat): its
    # hash is the state's. The assignment links only records of the subset, whose rows it carries.
    cur.register("subset_recs", touched.subset.select(["record_uid", *hashes]))
    with_hash = ", r.identity_hash" if hashed else ""
    for name, links, rows in (
        ("fresh", assignment.links, "subset_recs"),
        ("repeated", touched.repeats, "recs"),
    ):
        cur.register(f"{name}_links", links.select(["record_uid", "person_id", "component"]))
        joined = cur.sql(f"SELECT n.*{with_hash} FROM {name}_links n JOIN {rows} r USING (record_uid)")
        cur.register(name, joined.to_arrow_table())
    rehashed = "OR s.identity_hash IS DISTINCT FROM n.identity_hash" if hashed else ""
    replaced = cur.sql(
        f"""SELECT n.record_uid FROM fresh n LEFT JOIN (SELECT * FROM state SEMI JOIN fresh USING (record_uid)) s
                USING (record_uid)
            WHERE s.record_uid IS NULL OR s.person_id IS DISTINCT FROM n.person_id
               OR s.component IS DISTINCT FROM n.component {rehashed}
            UNION SELECT record_uid FROM redone ANTI JOIN fresh_links USING (record_uid)
            UNION SELECT record_uid FROM repeated_links
            UNION SELECT record_uid FROM gone ORDER BY record_uid"""
    ).to_arrow_table()
    cur.register("replaced", replaced)
    written = cur.sql(
        "SELECT * FROM fresh SEMI JOIN replaced USING (record_uid) UNION ALL SELECT * FROM repeated"
    ).to_arrow_table()
    cur.close()
    # the links the run leaves: the last run's, those it replaced taken out and their new rows put in
    # where the order by record uid puts them (a sort of the whole link state was 0.26 s a batch at
    # 1,419,024 records); a re-resolved record whose link is unchanged keeps its row
    kept_columns = state.select(["record_uid", "person_id", "component", *hashes])
    state_after = upserted(kept_columns, "record_uid", written, replaced.column(0))
    links = state_after.select(["record_uid", "person_id", "component"])
    merged = Assignment(
        links,
        assignment.merges,
        assignment.splits,
        assignment.next_sequence,
        replaced.column(0).combine_chunks(),
        assignment.before,
    )
    return merged, state_after if hashed else None
