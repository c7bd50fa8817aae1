"""Completing blocking through the links: the pairs blocking missed, found two links apart.

Blocking pairs signatures that share a key. A signature carrying two or three errors at once (a
misspelt surname, no birth date, another citizenship) shares no key with most of its person's other
signatures, though it shares one with, and links to, some of them. After the blocked pairs are
scored, signatures are grouped by their links (connected components), and a signature compared with
fewer than all of its group is compared with its links' links that it was not compared with
(iterative blocking: a match found in one block carries the record into the others). A group whose
members were all compared adds nothing, and the walk is a sparse matrix product in SciPy, so the
cost follows the records with errors and their links, not the square of the population.

A group is closed under links, and an incremental run re-resolves whole link components, so it
compares the same pairs inside them as a full run does, but across a reviewer's `separate` of two
records the model links, which can split a component the group still spans (ADR 5).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components


def group_pairs(cur: duckdb.DuckDBPyConnection, decided: str, nfeat: str) -> str:
    """Table `group_pairs(a, b)`: signature id pairs (a < b) two links apart that `decided` does not
    hold, with at least one side compared (by `decided`) with fewer than all of its linked group."""
    links = _links(cur, decided, nfeat)
    # links is symmetric, so its strong components are its groups, found without the transposed
    # copy that an undirected search builds (tens of millions of entries at 3M records)
    _, group = connected_components(links, directed=True, connection="strong")
    size = np.bincount(group)[group]
    compared = np.diff(links.indptr) + _compared_besides_links(cur, decided, group)
    short = np.flatnonzero((size > 1) & (compared < size - 1))
    reached = (links[short] @ links).tocoo()  # row i: the signatures two links from short[i]
    del links
    near, far = short[reached.row], reached.col.astype(np.int64)
    keep = near != far
    cur.register("hops", pa.table({"x": near[keep], "z": far[keep]}))
    cur.register("short_ids", pa.table({"nid": short}))
    # the pairs already decided are looked up among those touching a short signature only
    cur.execute(
        f"""CREATE TABLE group_pairs AS
            WITH done AS (SELECT a, b FROM {decided} WHERE a IN (SELECT nid FROM short_ids)
                          UNION ALL SELECT a, b FROM {decided} WHERE b IN (SELECT nid FROM short_ids))
            SELECT DISTINCT least(x, z) AS a, greatest(x, z) AS b FROM hops
            EXCEPT SELECT a, b FROM done"""
    )
    cur.unregister("hops")
    cur.unregister("short_ids")
    return "group_pairs"


def _links(cur: duckdb.DuckDBPyConnection, decided: str, nfeat: str) -> csr_matrix:
    """The links of `decided` as a symmetric boolean sparse matrix over signature ids, built in CSR form
    from DuckDB's sorted output: the links are most of the decided pairs, tens of millions at 3M records,
    and a coordinate list, its mirror and their sum would hold them several times over (measured: 220 MiB
    more at the peak of a 3M-record run)."""
    nodes = int(cur.sql(f"SELECT coalesce(max(nid), 0) + 1 FROM {nfeat}").fetchall()[0][0])
    cur.execute(
        f"""CREATE TABLE link_ends AS SELECT a::INTEGER AS x, b::INTEGER AS y FROM {decided} WHERE decision = 'link'
            UNION ALL SELECT b::INTEGER, a::INTEGER FROM {decided} WHERE decision = 'link'"""
    )
    degree = cur.sql("SELECT x, count(*) AS n FROM link_ends GROUP BY x").fetchnumpy()
    index = np.int32 if int(np.sum(degree["n"])) < np.iinfo(np.int32).max else np.int64  # one type for both
    indptr = np.zeros(nodes + 1, dtype=index)
    indptr[np.asarray(degree["x"], dtype=np.int64) + 1] = np.asarray(degree["n"], dtype=index)
    np.cumsum(indptr, out=indptr)
    indices = np.asarray(cur.sql("SELECT y FROM link_ends ORDER BY x, y").fetchnumpy()["y"], dtype=index)
    cur.execute("DROP TABLE link_ends")
    return csr_matrix((np.ones(len(indices), dtype=np.bool_), indices, indptr), shape=(nodes, nodes))


def _compared_besides_links(cur: duckdb.DuckDBPyConnection, decided: str, group: np.ndarray) -> np.ndarray:
    """Per signature, its decided pairs that are not links (review, or a hard rule) inside its group."""
    pairs = cur.sql(
        f"SELECT a::INTEGER AS a, b::INTEGER AS b FROM {decided} WHERE decision <> 'link'"
    ).fetchnumpy()
    left, right = np.asarray(pairs["a"], dtype=np.int64), np.asarray(pairs["b"], dtype=np.int64)
    inside = group[left] == group[right]
    ends = np.concatenate([left[inside], right[inside]])
    return np.bincount(ends, minlength=len(group))
