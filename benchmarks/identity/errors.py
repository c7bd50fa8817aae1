"""Scratch: which clusters join different people (and which twins), from cached pairs."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from benchmarks.identity.data import load_records, load_truth, load_twins
from ilos.adapters.identity import IdentityResolver

folder, pairs_path = Path(sys.argv[1]), Path(sys.argv[2])
con = duckdb.connect()
records = load_records(folder, con)
pairs = pq.read_table(pairs_path)
clusters = IdentityResolver(con).cluster(records, pairs)
con.register("r", records)
con.register("t", load_truth(folder, con))
con.register("tw", load_twins(folder, con))
con.register("c", clusters)
con.register("p", pairs)
con.execute(
    "CREATE TABLE l AS SELECT r.*, c.cluster, t.true_person_id FROM r JOIN c USING (record_uid) JOIN t USING (source_system, source_record_id)"
)
con.execute("""CREATE TABLE mixed AS SELECT cluster, true_person_id, count(*) n, sum(count(*)) OVER (PARTITION BY cluster) total,
    count(*) OVER (PARTITION BY cluster) persons FROM l GROUP BY cluster, true_person_id QUALIFY persons > 1""")
print("false pairs by cluster (top)")
con.sql(
    """SELECT cluster, list(n ORDER BY n DESC) sizes, (sum(n) * sum(n) - sum(n * n)) / 2 AS false_pairs FROM mixed GROUP BY 1 ORDER BY 3 DESC LIMIT 12"""
).show()
con.sql(
    "SELECT sum(fp) FROM (SELECT (sum(n) * sum(n) - sum(n * n)) / 2 AS fp FROM mixed GROUP BY cluster)"
).show()
cl = con.sql(
    "SELECT cluster FROM mixed GROUP BY 1 ORDER BY (sum(n) * sum(n) - sum(n * n)) DESC LIMIT 3"
).fetchall()
for (c,) in cl:
    con.sql(f"""SELECT true_person_id, family_name, given_names, date_of_birth, document_number, citizenship, a_number, admission_number, source_system, record_uid
        FROM l WHERE cluster = {c} AND true_person_id IN (SELECT true_person_id FROM mixed WHERE cluster = {c} QUALIFY n < max(n) OVER ())
        ORDER BY true_person_id LIMIT 12""").show(max_width=250)
print("twins joined")
con.sql("""SELECT a.cluster, a.true_person_id, a.given_names, a.family_name, a.date_of_birth, a.document_number, a.record_uid FROM l a
    WHERE a.cluster IN (SELECT x.cluster FROM l x JOIN tw ON tw.true_person_id = x.true_person_id JOIN l y ON y.true_person_id = tw.twin_of AND y.cluster = x.cluster)
    ORDER BY a.cluster, a.true_person_id LIMIT 40""").show(max_width=250, max_rows=40)
