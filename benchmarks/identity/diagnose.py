"""Scratch: false links and missed links by comparison pattern (needs a saved model and a data dir)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
from splink import DuckDBAPI, Linker

from benchmarks.identity.data import load_records, load_truth
from ilos.adapters.identity.model import with_blocking
from ilos.adapters.identity.rules import UPPER
from ilos.adapters.identity.scoring import prepare
from ilos.adapters.identity.workspace import register_records

folder, model_path = Path(sys.argv[1]), Path(sys.argv[2])
con = duckdb.connect()
records = load_records(folder, con)
truth = load_truth(folder, con)
register_records(con, "records", records, new=False)
con.register("truth_arrow", truth)
con.execute("CREATE TABLE truth AS SELECT * FROM truth_arrow")
feat = prepare(con, "records")
con.execute(
    "CREATE TABLE tp AS SELECT f.record_uid, t.true_person_id FROM feat f JOIN truth t USING (source_system, source_record_id)"
)
model = json.loads(model_path.read_text())
linker = Linker(DuckDBAPI(con).register(feat), with_blocking(model), log_level=40)
pred = linker.inference.predict(warning_mode="never")
names = [c["output_column_name"] for c in model["comparisons"]]
mws = ", ".join(
    f"round(mw_{n} + coalesce(mw_tf_adj_{n}, 0), 1) AS {n[:4]}"
    if n in ("name", "dob")
    else f"round(mw_{n}, 1) AS {n[:4]}"
    for n in names
)
short = ", ".join(n[:4] for n in names)
con.execute(f"""CREATE TABLE d AS SELECT p.record_uid_l, p.record_uid_r, p.match_weight, {mws},
    a.true_person_id = b.true_person_id AS same FROM {pred.physical_name} p
    JOIN tp a ON a.record_uid = p.record_uid_l JOIN tp b ON b.record_uid = p.record_uid_r""")
print("false links by pattern")
con.sql(
    f"SELECT {short}, round(any_value(match_weight), 1) w, count(*) n FROM d WHERE NOT same AND match_weight >= {UPPER} GROUP BY ALL ORDER BY n DESC LIMIT 25"
).show(max_rows=30)
print("true pairs not linked by pattern")
con.sql(
    f"SELECT {short}, round(any_value(match_weight), 1) w, count(*) n FROM d WHERE same AND match_weight < {UPPER} GROUP BY ALL ORDER BY n DESC LIMIT 25"
).show(max_rows=30)
con.sql(f"SELECT same, match_weight >= {UPPER} AS link, count(*) FROM d GROUP BY ALL ORDER BY ALL").show()
cols = "fam_key, giv_key, dob_text, doc_type, doc_num, cit, bcountry, sex_code"
con.sql(f"""SELECT round(d.match_weight, 1) w, {", ".join("l." + c for c in cols.split(", "))}, {", ".join("r." + c for c in cols.split(", "))}
    FROM (SELECT * FROM d WHERE NOT same AND match_weight >= {UPPER} ORDER BY hash(record_uid_l) LIMIT 25) d
    JOIN feat l ON l.record_uid = d.record_uid_l JOIN feat r ON r.record_uid = d.record_uid_r""").show(
    max_width=300, max_rows=30
)
