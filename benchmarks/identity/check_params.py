"""Learned m probabilities against the share of each level among truly matching blocked pairs.

.venv/bin/python -m benchmarks.identity.check_params DATA_DIR MODEL.json
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import duckdb
from splink import DuckDBAPI, Linker

from benchmarks.identity.data import load_records, load_truth
from ilos.adapters.identity.model import with_blocking
from ilos.adapters.identity.scoring import prepare
from ilos.adapters.identity.workspace import register_records


def main() -> None:
    folder, model_path = Path(sys.argv[1]), Path(sys.argv[2])
    model = json.loads(model_path.read_text())
    con = duckdb.connect()
    register_records(con, "records", load_records(folder, con), new=False)
    con.register("truth", load_truth(folder, con))
    feat = prepare(con, "records")
    con.execute(
        f"CREATE TABLE tp AS SELECT record_uid, true_person_id FROM {feat} JOIN truth USING (source_system, source_record_id)"
    )
    pred = Linker(DuckDBAPI(con).register(feat), with_blocking(model), log_level=40).inference.predict(
        warning_mode="never"
    )
    names = [c["output_column_name"] for c in model["comparisons"]]
    con.execute(
        f"""CREATE TABLE matches AS SELECT {", ".join(f"round(mw_{n}, 4) AS {n}" for n in names)}
            FROM {pred.physical_name} p JOIN tp a ON a.record_uid = p.record_uid_l JOIN tp b ON b.record_uid = p.record_uid_r
            WHERE a.true_person_id = b.true_person_id"""
    )
    total = con.sql("SELECT count(*) FROM matches").fetchall()[0][0]
    print(f"{'comparison / level':<78} {'learned m':>10} {'true m':>10}")
    for comp in model["comparisons"]:
        name = comp["output_column_name"]
        counts = dict(con.sql(f"SELECT {name}, count(*) FROM matches GROUP BY 1").fetchall())
        non_null = sum(v for k, v in counts.items() if k != 0.0) or 1
        print(name)
        for level in comp["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level") or m is None or u is None:
                continue
            weight = round(math.log2(m / u), 4)
            share = counts.get(weight, 0) / non_null
            print(f"   {level['label_for_charts']:<75} {m:>10.5f} {share:>10.5f}")
    print(f"{total} matching blocked pairs")


if __name__ == "__main__":
    main()
