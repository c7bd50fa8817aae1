"""Stable person ids across resolution runs, set-at-a-time in DuckDB.

The rule (issue 3, and the contract's `ilos export links`):
- a person whose records are unchanged keeps its id;
- on a merge the oldest id survives (ids are issued in order, so the oldest is the smallest);
- on a split the part holding the person's oldest record keeps the id; the other parts take
  another surviving id whose oldest record they hold, or a new one.

Each previous id has a *home*: the new cluster holding its oldest record (by recorded_at, then
record uid). A new cluster takes the smallest id whose home it is; a cluster that is no id's home
gets a new id, issued in the order of the clusters' oldest records so that runs are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

ID_WIDTH = 10


def person_id(sequence: int) -> str:
    """The id with this sequence number: `P` and ten digits, so that text order is issue order."""
    return f"P{sequence:0{ID_WIDTH}d}"


@dataclass(frozen=True)
class Assignment:
    """The outcome of one run: every record's person, and what happened to the previous ids."""

    links: pa.Table  # record_uid, person_id
    merges: pa.Table  # survivor, absorbed: ids absorbed into a survivor
    splits: pa.Table  # person_id (kept), new_person_id: parts that left a person
    next_sequence: int
    #: Record uids whose links the run replaces (its links hold those still in force); None: every link.
    replaced: pa.Array | None = None
    #: person_id, record_uid before the run, of the persons its merges and splits name.
    before: pa.Table | None = None
    #: How many persons `links` name, when the run counted them from the links it replaced (None: count them).
    persons: int | None = None
    #: The facts of the components the run clustered (`clustering.FACTS_SCHEMA`); None: not reported.
    facts: pa.Table | None = None
    #: The components, before the run, of the records it re-resolved (an incremental run): their facts go.
    redone: pa.Array | None = None


def assign(
    con: duckdb.DuckDBPyConnection, clusters: pa.Table, previous: pa.Table, ages: pa.Table, next_sequence: int
) -> Assignment:
    """Give each cluster a person id.

    clusters: record_uid, cluster (any integer label); previous: record_uid, person_id (last run);
    ages: record_uid, recorded_at (the record's first recorded_at, for "oldest record").
    """
    cur = con.cursor()
    for name, table in (("new_clusters", clusters), ("old_links", previous), ("record_ages", ages)):
        cur.register(name, table)
    cur.execute(
        """
        CREATE TEMP TABLE placed AS
        SELECT n.record_uid, n.cluster, o.person_id AS old_id, a.recorded_at
        FROM new_clusters n LEFT JOIN old_links o USING (record_uid) LEFT JOIN record_ages a USING (record_uid);
        CREATE TEMP TABLE homes AS
        SELECT old_id, arg_min(cluster, (recorded_at, record_uid)) AS home
        FROM placed WHERE old_id IS NOT NULL GROUP BY old_id;
        CREATE TEMP TABLE kept AS SELECT home AS cluster, min(old_id) AS person_id FROM homes GROUP BY home;
        CREATE TEMP TABLE fresh AS
        SELECT cluster, row_number() OVER (ORDER BY min((recorded_at, record_uid))) - 1 AS k
        FROM placed WHERE cluster NOT IN (SELECT cluster FROM kept) GROUP BY cluster;
        """
    )
    cur.complete()
    fresh_count = cur.execute("SELECT count(*) FROM fresh").fetchall()[0][0]
    cur.execute(
        f"""
        CREATE TEMP TABLE chosen AS
        SELECT cluster, person_id FROM kept
        UNION ALL SELECT cluster, 'P' || lpad(({next_sequence} + k)::VARCHAR, {ID_WIDTH}, '0') FROM fresh
        """
    )
    cur.complete()
    links = cur.sql(
        "SELECT p.record_uid, c.person_id FROM placed p JOIN chosen c USING (cluster) ORDER BY record_uid"
    ).to_arrow_table()
    merges = cur.sql(
        """SELECT k.person_id AS survivor, h.old_id AS absorbed FROM homes h JOIN kept k ON k.cluster = h.home
           WHERE h.old_id <> k.person_id ORDER BY 1, 2"""
    ).to_arrow_table()
    splits = cur.sql(
        """SELECT DISTINCT p.old_id AS person_id, c.person_id AS new_person_id
           FROM placed p JOIN chosen c USING (cluster) JOIN homes h USING (old_id)
           WHERE p.cluster <> h.home ORDER BY 1, 2"""
    ).to_arrow_table()
    before = None  # most runs merge and split nobody: no need to look at the old links again
    if merges.num_rows or splits.num_rows:
        cur.register("run_merges", merges)
        cur.register("run_splits", splits)
        before = cur.sql(
            """SELECT person_id, record_uid FROM old_links WHERE person_id IN (
                   SELECT survivor FROM run_merges UNION SELECT absorbed FROM run_merges
                   UNION SELECT person_id FROM run_splits) ORDER BY person_id, record_uid"""
        ).to_arrow_table()
    cur.close()
    return Assignment(links, merges, splits, next_sequence + fresh_count, before=before)
