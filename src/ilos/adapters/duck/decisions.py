"""Apply reviewers' decisions to scored pairs: a decided pair is a constraint for every later run."""

from __future__ import annotations

import duckdb
import pyarrow as pa


def apply_decisions(con: duckdb.DuckDBPyConnection, pairs: pa.Table, decisions: pa.Table) -> pa.Table:
    """Pairs with each reviewer's decision replacing the model's (`rule` = 'reviewer'); a decided link
    that the model did not propose is added."""
    cur = con.cursor()
    cur.register("scored_pairs", pairs)
    cur.register("reviewer_decisions", decisions)
    result = cur.sql(
        """
        SELECT coalesce(p.record_uid_l, d.record_uid_l) AS record_uid_l,
               coalesce(p.record_uid_r, d.record_uid_r) AS record_uid_r,
               coalesce(p.match_weight, 0.0)::DOUBLE AS match_weight,
               coalesce(p.match_probability, 0.0)::DOUBLE AS match_probability,
               CASE WHEN d.decision IS NULL THEN p.rule ELSE 'reviewer' END AS rule,
               coalesce(d.decision, p.decision) AS decision
        FROM scored_pairs p FULL JOIN reviewer_decisions d USING (record_uid_l, record_uid_r)
        WHERE p.record_uid_l IS NOT NULL OR d.decision = 'link'
        ORDER BY 1, 2
        """
    ).to_arrow_table()
    cur.close()
    return result
