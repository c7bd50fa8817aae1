"""Blocked pairs per blocking rule, and the true pairs each rule is the first to catch.

    .venv/bin/python -m benchmarks.identity.blocking DATA_DIR [RULES.json]

Prints, per rule (in order), the signature pairs it adds, the true pairs among them, and the
blocking recall over true record pairs of usable records reached so far (records of one signature
count as blocked). RULES.json, a list of Splink blocking-rule dicts, replaces the package's rules.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb
from splink import DuckDBAPI, Linker

from benchmarks.identity.data import load_records, load_truth
from ilos.adapters.identity.model import base_settings
from ilos.adapters.identity.scoring import prepare
from ilos.adapters.identity.workspace import register_records


def main() -> None:
    folder = Path(sys.argv[1])
    con = duckdb.connect()
    records = load_records(folder, con)
    register_records(con, "records", records, new=False)
    con.register("truth_arrow", load_truth(folder, con))
    feat = prepare(con, "records")
    con.execute(
        """CREATE TABLE tp AS SELECT m.rep AS record_uid, t.true_person_id, count(*) AS n FROM members m
           JOIN records r USING (record_uid) JOIN truth_arrow t USING (source_system, source_record_id)
           GROUP BY ALL"""
    )
    true_pairs, within = con.sql(
        """SELECT (SELECT sum(n * (n - 1) / 2) FROM (SELECT sum(n) n FROM tp GROUP BY true_person_id)),
                  (SELECT sum(n * (n - 1) / 2) FROM tp)"""
    ).fetchall()[0]
    settings = base_settings()
    if len(sys.argv) > 2:
        settings["blocking_rules_to_generate_predictions"] = json.loads(Path(sys.argv[2]).read_text())
    started = time.perf_counter()
    linker = Linker(DuckDBAPI(con).register(feat), settings, log_level=40)
    pairs = linker.inference.deterministic_link()
    seconds = time.perf_counter() - started
    rows = con.sql(
        f"""WITH p AS (SELECT min(match_key::INT) AS rule, record_uid_l, record_uid_r FROM {pairs.physical_name}
                       GROUP BY ALL)
            SELECT p.rule, count(*) AS pairs,
                   coalesce(sum(a.n * b.n) FILTER (WHERE a.true_person_id = b.true_person_id), 0) AS true_pairs
            FROM p JOIN tp a ON a.record_uid = p.record_uid_l
            JOIN tp b ON b.record_uid = p.record_uid_r GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    print(
        f"records {records.num_rows}, usable {con.sql(f'SELECT count(*) FROM {feat}').fetchall()[0][0]}, "
        f"true pairs {true_pairs}, blocking {seconds:.1f} s"
    )
    caught = within
    print(f"within signatures: {within:,} true pairs, recall {within / true_pairs:.5f}")
    for rule, n, t in rows:
        caught += t
        text = settings["blocking_rules_to_generate_predictions"][rule]["blocking_rule"]
        print(f"{rule:2d} {n:>11,} {t:>9,} recall {caught / true_pairs:.5f}  {text[:90]}")
    rows_out = con.sql(f"SELECT count(*) FROM {pairs.physical_name}").fetchall()[0][0]
    print(f"total pairs {sum(r[1] for r in rows):,} (rows produced by blocking: {rows_out:,})")


if __name__ == "__main__":
    main()
