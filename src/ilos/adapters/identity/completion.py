"""Completing blocking inside linked groups: the pairs blocking missed, found through the links.

Blocking pairs signatures that share a key. A signature carrying two or three errors at once (a
misspelt surname, no birth date, another citizenship) shares no key with most of its person's other
signatures, though it shares one with, and links to, some of them. After the blocked pairs are
scored, signatures are grouped by their links (connected components), and a signature compared with
fewer than all of its group is compared with the rest of it (iterative blocking: a match found in
one block carries the record into the others). Only such signatures pay: a group whose members were
all blocked together adds nothing, so the cost follows the records with errors, not the square of
the population.

A group is closed under links, and an incremental run re-resolves whole link components, so it
compares the same pairs inside them as a full run does.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def group_pairs(cur: duckdb.DuckDBPyConnection, decided: str, nfeat: str) -> str:
    """Table `group_pairs(a, b)`: signature id pairs (a < b) of one linked group that `decided` does not
    hold, with at least one side compared (by `decided`) with fewer than all of its group."""
    _groups(cur, decided, nfeat)
    # pairs compared inside a group, counted per side; a group's pairs are few beside all the decided ones
    cur.execute(
        f"""CREATE TABLE short AS
            WITH inside AS (SELECT d.a, d.b FROM {decided} d JOIN grouped x ON x.nid = d.a
                            JOIN grouped y ON y.nid = d.b AND y.grp = x.grp),
            compared AS (SELECT nid, count(*) AS n FROM (SELECT a AS nid FROM inside UNION ALL SELECT b FROM inside)
                         GROUP BY nid)
            SELECT g.nid, g.grp FROM grouped g LEFT JOIN compared c USING (nid)
            WHERE coalesce(c.n, 0) < g.size - 1"""
    )
    # the pairs already decided are looked up among those touching a short signature only
    cur.execute(
        f"""CREATE TABLE group_pairs AS
            WITH done AS (SELECT a, b FROM {decided} WHERE a IN (SELECT nid FROM short)
                          UNION ALL SELECT a, b FROM {decided} WHERE b IN (SELECT nid FROM short))
            SELECT DISTINCT least(s.nid, g.nid) AS a, greatest(s.nid, g.nid) AS b
            FROM short s JOIN grouped g ON g.grp = s.grp AND g.nid <> s.nid
            EXCEPT SELECT a, b FROM done"""
    )
    cur.execute("DROP TABLE short; DROP TABLE grouped")
    return "group_pairs"


def _groups(cur: duckdb.DuckDBPyConnection, decided: str, nfeat: str) -> None:
    """Table `grouped(nid, grp, size)`: every signature with a link, its linked group and the group's
    size (SciPy's connected components over the link edges)."""
    nodes = int(cur.sql(f"SELECT coalesce(max(nid), 0) + 1 FROM {nfeat}").fetchall()[0][0])
    # 32-bit ids straight into NumPy: the link edges are most of the decided pairs, tens of millions at
    # 3M records, and every copy of them counts against the memory target
    edges = cur.sql(
        f"SELECT a::INTEGER AS a, b::INTEGER AS b FROM {decided} WHERE decision = 'link'"
    ).fetchnumpy()
    left, right = np.asarray(edges["a"]), np.asarray(edges["b"])
    del edges
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(nodes, nodes))
    del left, right
    _, labels = connected_components(graph, directed=False)
    cur.register("group_labels", pa.table({"nid": np.arange(nodes, dtype=np.int64), "grp": labels}))
    cur.execute(
        """CREATE TABLE grouped AS SELECT nid, grp, size FROM (
               SELECT nid, grp, count(*) OVER (PARTITION BY grp) AS size FROM group_labels) WHERE size > 1"""
    )
    cur.unregister("group_labels")
