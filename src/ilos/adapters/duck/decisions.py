"""Apply reviewers' decisions to scored pairs: a decided pair is a constraint for every later run."""

from __future__ import annotations

import duckdb
import pyarrow as pa


def apply_decisions(
    con: duckdb.DuckDBPyConnection, pairs: pa.Table, decisions: pa.Table, members: pa.Table | None = None
) -> pa.Table:
    """Pairs with each reviewer's decision replacing the model's (`rule` = 'reviewer'); a decided pair
    the model did not propose is added (a link to join, a separation to keep apart: a name-only
    departure is never scored, yet a reviewer may separate it from the person its trip placed it with).

    Pairs name identity signatures by their representative records (`members`: record_uid -> rep);
    a decision on two records applies to their signatures. When decisions on several record pairs
    meet on one signature pair, `separate` wins: a cannot-link is the safer constraint.
    """
    cur = con.cursor()
    cur.register("scored_pairs", pairs)
    cur.register("decided_records", decisions)
    if members is None:
        members = pa.table({"record_uid": pa.array([], pa.string()), "rep": pa.array([], pa.string())})
    cur.register("signature_members", members)
    cur.execute(
        """CREATE OR REPLACE TEMP TABLE reviewer_decisions AS
           WITH mapped AS (
               SELECT coalesce(ml.rep, d.record_uid_l) AS a, coalesce(mr.rep, d.record_uid_r) AS b, d.decision
               FROM decided_records d
               LEFT JOIN signature_members ml ON ml.record_uid = d.record_uid_l
               LEFT JOIN signature_members mr ON mr.record_uid = d.record_uid_r)
           SELECT least(a, b) AS record_uid_l, greatest(a, b) AS record_uid_r,
                  CASE WHEN bool_or(decision = 'separate') THEN 'separate' ELSE 'link' END AS decision
           FROM mapped WHERE a <> b GROUP BY 1, 2"""
    )
    result = cur.sql(
        """
        SELECT coalesce(p.record_uid_l, d.record_uid_l) AS record_uid_l,
               coalesce(p.record_uid_r, d.record_uid_r) AS record_uid_r,
               coalesce(p.match_weight, 0.0)::DOUBLE AS match_weight,
               coalesce(p.match_probability, 0.0)::DOUBLE AS match_probability,
               CASE WHEN d.decision IS NULL THEN p.rule ELSE 'reviewer' END AS rule,
               coalesce(d.decision, p.decision) AS decision
        FROM scored_pairs p FULL JOIN reviewer_decisions d USING (record_uid_l, record_uid_r)
        ORDER BY 1, 2
        """
    ).to_arrow_table()
    cur.execute("DROP TABLE reviewer_decisions")
    cur.close()
    return result
