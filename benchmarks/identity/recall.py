"""Blocking recall against the generator's truth, pairwise and through the compared graph.

Pairwise: the share of true record pairs whose records share an identity signature or whose
signatures ILOS compares: a blocking rule pairs them, or they are two links apart and one of them was
compared with fewer than all of its linked group (`completion`). Connected: the share of true
record pairs joined by a chain of compared true pairs, that is, that clustering can still link
however the pairs in between are scored (records of a person reach each other through the records
in between).
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ilos.adapters.identity import frequencies
from ilos.adapters.identity.scoring import compare, prepare
from ilos.adapters.identity.workspace import register_records, workspace


def blocking_recall(
    con: duckdb.DuckDBPyConnection, records: pa.Table, truth: pa.Table, model: dict[str, Any]
) -> dict[str, Any]:
    """Pairwise and connected recall of the pairs ILOS compares on `records` with `model`."""
    with workspace(con) as cur:
        register_records(cur, "records", records, new=False)
        cur.register("truth_arrow", truth)
        feat = prepare(cur, "records")
        nfeat = compare(
            cur, feat, model, frequencies.lookups(cur, feat, model), only_new=False, keep_compared=True
        )
        cur.execute(f"CREATE TABLE ids AS SELECT nid, record_uid FROM {nfeat}")
        cur.execute("CREATE TABLE blocked AS SELECT DISTINCT a, b FROM compared")
        cur.execute(
            """CREATE TABLE sig AS SELECT i.nid, t.true_person_id, count(*) AS n FROM members m
               JOIN records r USING (record_uid) JOIN truth_arrow t USING (source_system, source_record_id)
               JOIN ids i ON i.record_uid = m.rep GROUP BY ALL"""
        )
        cur.execute(
            """CREATE TABLE true_blocked AS SELECT b.a, b.b, x.n * y.n AS w FROM blocked b
               JOIN sig x ON x.nid = b.a JOIN sig y ON y.nid = b.b AND y.true_person_id = x.true_person_id"""
        )
        true_pairs, within, blocked = cur.sql(
            """SELECT (SELECT sum(n * (n - 1) / 2) FROM (SELECT sum(n) AS n FROM sig GROUP BY true_person_id)),
                      (SELECT sum(n * (n - 1) / 2) FROM sig), (SELECT coalesce(sum(w), 0) FROM true_blocked)"""
        ).fetchall()[0]
        nodes = int(cur.sql("SELECT coalesce(max(nid), 0) + 1 FROM ids").fetchall()[0][0])
        edges = cur.sql("SELECT a, b FROM true_blocked").fetchnumpy()
        graph = coo_matrix(
            (
                np.ones(len(edges["a"]), dtype=np.int8),
                (edges["a"].astype(np.int64), edges["b"].astype(np.int64)),
            ),
            shape=(nodes, nodes),
        )
        _, labels = connected_components(graph, directed=False)
        cur.register("labels", pa.table({"nid": np.arange(nodes, dtype=np.int64), "part": labels}))
        connected = cur.sql(
            """SELECT sum(n * (n - 1) / 2) FROM (SELECT sum(s.n) AS n FROM sig s JOIN labels USING (nid)
               GROUP BY s.true_person_id, labels.part)"""
        ).fetchall()[0][0]
        pairs = cur.sql("SELECT count(*) FROM blocked").fetchall()[0][0]
    return {
        "pairwise": round(float((within + blocked) / true_pairs), 5),
        "connected": round(float(connected / true_pairs), 5),
        "signature_pairs": int(pairs),
    }
