"""Measure identity resolution against the generator's ground truth.

    .venv/bin/python -m benchmarks.identity.measure --persons 15000 --seed 11 [--data DIR] [--default-model]
        [--save-model PATH]

Generates data (unless DIR already holds it), builds resolver records from the feed CSVs, trains
on them (or uses the shipped default model), scores, clusters and prints precision, recall, F1,
candidate recall (true pairs kept for clustering; over all true pairs, and over true pairs of usable records: records with too little
identity of their own are never scored, or only against their criminal matter, so they cap the first), pairs scored, the largest cluster, twins joined and the
seconds of each stage.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.identity.data import load_records, load_truth, load_twins
from ilos.adapters.duck.checking import connect
from ilos.adapters.identity import IdentityResolver, unusable
from ilos.generator import generate


class Stopwatch:
    """Seconds per named stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def run(self, name: str, work: Any, *args: Any) -> Any:
        started = time.perf_counter()
        result = work(*args)
        self.seconds[name] = round(time.perf_counter() - started, 2)
        print(f"  {name}: {self.seconds[name]} s", flush=True)
        return result


def accuracy(
    con: duckdb.DuckDBPyConnection, clusters: pa.Table, pairs: pa.Table, members: pa.Table | None = None
) -> dict[str, Any]:
    """Cluster-level pairwise precision/recall/F1, candidate recall, largest cluster, twins joined.

    `pairs` name signatures by representative records (`members`: record_uid -> rep); a true pair
    is a candidate when its records share a signature or their signatures' pair was kept (blocked
    and not separated by weight alone; `benchmarks.identity.blocking` measures blocking itself).
    """
    con.register("clusters", clusters)
    con.register("pairs", pairs)
    empty = pa.table({"record_uid": pa.array([], pa.string()), "rep": pa.array([], pa.string())})
    con.register("members", members if members is not None else empty)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE labelled AS SELECT c.record_uid, c.cluster, t.true_person_id,
                  coalesce(m.rep, c.record_uid) AS rep
           FROM clusters c JOIN records r USING (record_uid)
           JOIN truth t USING (source_system, source_record_id) LEFT JOIN members m USING (record_uid)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE rep_person AS
           SELECT rep, true_person_id, count(*) AS n FROM labelled GROUP BY ALL"""
    )
    q = """WITH
      pred AS (SELECT sum(n * (n - 1) / 2) AS v FROM (SELECT count(*) n FROM labelled GROUP BY cluster)),
      true_ AS (SELECT sum(n * (n - 1) / 2) AS v FROM (SELECT count(*) n FROM labelled GROUP BY true_person_id)),
      both_ AS (SELECT sum(n * (n - 1) / 2) AS v
                FROM (SELECT count(*) n FROM labelled GROUP BY cluster, true_person_id)),
      blocked AS (SELECT (SELECT coalesce(sum(l.n * r.n), 0) FROM pairs p
                          JOIN rep_person l ON l.rep = p.record_uid_l
                          JOIN rep_person r ON r.rep = p.record_uid_r AND r.true_person_id = l.true_person_id)
                       + (SELECT sum(n * (n - 1) / 2) FROM rep_person) AS v)
    SELECT pred.v, true_.v, both_.v, blocked.v, (SELECT max(n) FROM (SELECT count(*) n FROM labelled GROUP BY cluster))
    FROM pred, true_, both_, blocked"""
    pred, true, both, blocked, largest = con.sql(q).fetchall()[0]
    twins = con.sql(
        """SELECT count(*) FROM twins t WHERE EXISTS (SELECT 1 FROM labelled a JOIN labelled b USING (cluster)
           WHERE a.true_person_id = t.true_person_id AND b.true_person_id = t.twin_of)"""
    ).fetchall()[0][0]
    precision, recall = both / pred, both / true
    return {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(2 * precision * recall / (precision + recall), 5),
        "candidate_recall": round(blocked / true, 5),
        "true_pairs": int(true),
        "clustered_pairs": int(pred),
        "largest_cluster": int(largest),
        "twins_joined": int(twins),
    }


def usable_candidate_recall(con: duckdb.DuckDBPyConnection, unusable_records: pa.Table) -> float:
    """Candidate recall over true pairs of usable records only (the others are never scored, or only
    against their criminal matter).

    Call after `accuracy` (it reads the `labelled` and `pairs` views).
    """
    con.register("unusable_records", unusable_records)
    q = """WITH u AS (SELECT * FROM labelled ANTI JOIN unusable_records USING (record_uid)),
      rp AS (SELECT rep, true_person_id, count(*) AS n FROM u GROUP BY ALL),
      true_ AS (SELECT sum(n * (n - 1) / 2) AS v FROM (SELECT count(*) n FROM u GROUP BY true_person_id)),
      blocked AS (SELECT (SELECT coalesce(sum(l.n * r.n), 0) FROM pairs p JOIN rp l ON l.rep = p.record_uid_l
                          JOIN rp r ON r.rep = p.record_uid_r AND r.true_person_id = l.true_person_id)
                       + (SELECT sum(n * (n - 1) / 2) FROM rp) AS v)
    SELECT blocked.v / true_.v FROM blocked, true_"""
    value: float = con.sql(q).fetchall()[0][0]
    return round(value, 5)


def register_views(con: duckdb.DuckDBPyConnection, folder: Path) -> pa.Table:
    """Load the resolver records of `folder` and register the views `accuracy` reads on `con`.

    Views: `records` (returned too), `truth` and `twins`.
    """
    records = load_records(folder, con)
    con.register("records", records)
    con.register("truth", load_truth(folder, con))
    con.register("twins", load_twins(folder, con))
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--default-model", action="store_true")
    parser.add_argument("--save-model", type=Path, default=None)
    parser.add_argument("--model", type=Path, default=None, help="use this saved model (no training)")
    parser.add_argument("--pairs", type=Path, default=None, help="cache of scored pairs (Parquet)")
    parser.add_argument(
        "--memory-limit", default="2GB", help="DuckDB memory limit (ILOS_DUCKDB_MEMORY_LIMIT)"
    )
    args = parser.parse_args()
    folder = args.data or Path(tempfile.gettempdir()) / f"ilos-identity-{args.persons}-{args.seed}"
    watch = Stopwatch()
    if not (folder / "truth" / "persons.csv").exists():
        watch.run("generate", generate, args.persons, args.seed, folder)
    con = connect(args.memory_limit, Path(tempfile.gettempdir()) / "ilos-duckdb")
    records = watch.run("load", register_views, con, folder)
    saved = json.loads(args.model.read_text()) if args.model else None
    resolver = IdentityResolver(con, saved)
    if not args.default_model and saved is None:
        model = watch.run("train", resolver.train, records)
        if args.save_model:
            args.save_model.write_text(json.dumps(model, indent=2) + "\n")
    if args.pairs and args.pairs.exists():
        pairs = pq.read_table(args.pairs)
    else:
        pairs = watch.run("score", resolver.score, records)
        if args.pairs:
            pq.write_table(pairs, args.pairs)
    clusters = watch.run("cluster", resolver.cluster, records, pairs)
    unusable_records = unusable(records)
    unusable_count = unusable_records.num_rows
    decisions = dict(con.sql("SELECT decision, count(*) FROM pairs GROUP BY 1").fetchall())
    result = {
        "records": records.num_rows,
        "unusable": unusable_count,
        "pairs_scored": pairs.num_rows,
        "decisions": decisions,
        "signatures": resolver.members.select(["rep"]).group_by("rep").aggregate([]).num_rows
        if resolver.members is not None
        else None,
        **accuracy(con, clusters, pairs, resolver.members),
        "candidate_recall_usable": usable_candidate_recall(con, unusable_records),
        "seconds": watch.seconds,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
