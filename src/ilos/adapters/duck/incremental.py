"""Incremental linking, set-at-a-time: which records a batch can touch, and the merged outcome.

A batch changes some records (new, corrected or retracted). Only the linked components those
records belonged to, or now reach, can change: the resolver scores the changed records against the
rest (blocking keys give the candidates), and every component that a changed record links to, is
held in review with, is kept apart from by a hard rule, or shares an identity signature with, is
re-resolved whole together with the changed records, and so is every component an open `ambiguous`
review pair joins to one of those. Everything else keeps its person.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.duck import decisions as reviewer
from ilos.adapters.duck.stable_ids import Assignment
from ilos.adapters.identity.index import IdentityIndex


def _changed(cur: duckdb.DuckDBPyConnection) -> None:
    """Tables changed(record_uid) and removed(record_uid) from views recs and state."""
    cur.execute(
        """CREATE TEMP TABLE changed AS SELECT r.record_uid FROM recs r LEFT JOIN state s USING (record_uid)
           WHERE s.identity_hash IS NULL OR s.identity_hash <> r.identity_hash"""
    )
    cur.execute("CREATE TEMP TABLE removed AS SELECT record_uid FROM state ANTI JOIN recs USING (record_uid)")


def affected(
    cur: duckdb.DuckDBPyConnection,
    records: pa.Table,
    state: pa.Table,
    resolver: Any,
    decided: pa.Table,
    held: pa.Table,
    index: IdentityIndex | None = None,
) -> pa.Table:
    """The records to re-resolve (possibly none).

    `held` are the last run's open `ambiguous` pairs (a record held for review because it matches
    both records of a twins pair): that hold depends on components beyond the pair, so a component
    re-resolved pulls in every component such pairs join it to, transitively. `index` is the index of
    the records `state` links, when the caller kept it: used when the batch only added records (no
    record of `state` changed or went), built from the unchanged records otherwise; the resolver's
    `index_after` then indexes every record in force.
    """
    cur.register("recs", records.select(["record_uid", "identity_hash"]))
    cur.register("state", state)
    _changed(cur)
    uids = pa.array([r[0] for r in cur.sql("SELECT record_uid FROM changed").fetchall()], pa.string())
    seeds = "SELECT component FROM state SEMI JOIN (SELECT record_uid FROM changed UNION ALL SELECT record_uid FROM removed) USING (record_uid)"
    if len(uids):
        is_new = pc.is_in(records.column("record_uid"), uids)
        if index is None or not _only_added(cur):
            index = resolver.index(records.filter(pc.invert(is_new)))
        pairs = resolver.score_between(index, records.filter(is_new))  # sets its `index_after`
        members = resolver.members
        relevant = decided.filter(
            pc.or_(
                pc.is_in(decided.column("record_uid_l"), uids), pc.is_in(decided.column("record_uid_r"), uids)
            )
        )
        pairs = reviewer.apply_decisions(cur, pairs, relevant, members)
        cur.register("new_pairs", pairs)
        cur.register("sig_members", members)
        cur.execute(
            """CREATE TEMP TABLE touched_reps AS
               SELECT record_uid_l AS rep FROM new_pairs WHERE decision <> 'separate' OR rule <> ''
               UNION SELECT record_uid_r FROM new_pairs WHERE decision <> 'separate' OR rule <> ''
               UNION SELECT rep FROM sig_members SEMI JOIN changed USING (record_uid)"""
        )
        seeds += """ UNION SELECT s.component FROM state s JOIN sig_members m USING (record_uid)
                     SEMI JOIN touched_reps t ON t.rep = m.rep"""
    else:
        resolver.index_after = index if _only_added(cur) else None
    cur.register("held", held.select(["record_uid_l", "record_uid_r"]))
    cur.execute(
        """CREATE TEMP TABLE held_edges AS
           WITH e AS (SELECT a.component AS x, b.component AS y FROM held h
                      JOIN state a ON a.record_uid = h.record_uid_l JOIN state b ON b.record_uid = h.record_uid_r)
           SELECT x, y FROM e UNION SELECT y, x FROM e"""
    )
    subset = cur.sql(
        f"""WITH RECURSIVE reach(component) AS (
                SELECT component FROM ({seeds})
                UNION SELECT e.y FROM reach JOIN held_edges e ON e.x = reach.component)
            SELECT record_uid FROM changed
            UNION SELECT s.record_uid FROM state s SEMI JOIN reach USING (component)
            SEMI JOIN recs USING (record_uid)"""
    ).fetchall()
    keep = pa.array([r[0] for r in subset], pa.string())
    return records.filter(pc.is_in(records.column("record_uid"), keep))


def _only_added(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether every changed record is new to `state` and none was removed."""
    sql = "SELECT (SELECT count(*) FROM changed SEMI JOIN state USING (record_uid)) + (SELECT count(*) FROM removed)"
    return int(cur.sql(sql).fetchall()[0][0]) == 0


def merge(
    con: duckdb.DuckDBPyConnection,
    records: pa.Table,
    state: pa.Table,
    subset: pa.Table,
    assignment: Assignment,
) -> Assignment:
    """Links of every record in force: the last run's outside `subset`, the assignment's inside it;
    `replaced` names the records of `subset` and those no longer in force."""
    cur = con.cursor()
    cur.register("recs", records.select(["record_uid"]))
    cur.register("state", state.select(["record_uid", "person_id", "component"]))
    cur.register("redone", subset.select(["record_uid"]))
    cur.register("new_links", assignment.links.select(["record_uid", "person_id", "component"]))
    links = cur.sql(
        """SELECT s.* FROM state s SEMI JOIN recs USING (record_uid) ANTI JOIN redone USING (record_uid)
           UNION ALL SELECT * FROM new_links ORDER BY record_uid"""
    ).to_arrow_table()
    replaced = cur.sql(
        """SELECT record_uid FROM redone
           UNION SELECT record_uid FROM state ANTI JOIN recs USING (record_uid) ORDER BY record_uid"""
    ).to_arrow_table()
    cur.close()
    return Assignment(
        links,
        assignment.merges,
        assignment.splits,
        assignment.next_sequence,
        replaced.column(0).combine_chunks(),
    )
