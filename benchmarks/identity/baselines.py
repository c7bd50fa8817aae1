"""Two baseline entity-resolution methods, measured on the same records and truth as ILOS's resolver.

    .venv/bin/python -m benchmarks.identity.baselines DATA_DIR

prints JSON: for each baseline, precision, recall and F1 (cluster-level pairwise, as `measure.accuracy`
counts them), the other figures of `accuracy`, the seconds it took and the records count.

exact_match
    One cluster per (document number, issuing country, birth date), all three present. The document
    number is upper-cased with everything but A-Z and 0-9 dropped; the country is upper-cased; the birth
    date is the string as loaded (YYYY-MM-DD, YYYY-MM or YYYY; partial dates only equal partial dates).
    Every other record is a singleton. One key means grouping by it is the connected components.

recordlinkage_ecm
    The `recordlinkage` toolkit's classic pipeline, unsupervised:
    - normalise (in DuckDB): names upper-cased, accents stripped, only A-Z and single spaces kept;
      codes upper-cased; document number as above;
    - index: the union of three blocks (`Index().block`): same birth date; same surname and birth year;
      same document number. On 15,000 persons (213,807 records) that is about 8 million candidate
      pairs; blocking on surname alone would be about 49 million (surnames like GARCIA hold thousands
      of records), too many for the few minutes and few GB this baseline may take;
    - compare: Jaro-Winkler at 0.85 on surname and on given names, exact on birth date, sex,
      citizenship, document number, A-number and admission number. Each comparison gives 1 or 0 (a
      missing value gives 0), so the vectors are binary, as the ECM classifier requires. Pairs are
      compared in chunks to bound memory. Birth country and document country are left out: ECM is
      naive Bayes (fields independent given match status) and both mostly repeat citizenship. With
      them in, on 15,000 persons the fitted model took "same nationality" for "same person": 85% of
      its matched pairs were true, against 99% without them;
    - classify: `ECMClassifier` (Fellegi-Sunter weights fitted by expectation-conditional
      maximisation, initialised the toolkit's default way), `fit_predict` on all candidate pairs;
    - cluster: connected components of the matched pairs (scipy); unmatched records are singletons.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from benchmarks.identity.measure import accuracy, register_views

with warnings.catch_warnings():
    # Imported here only; pandas and the toolkit are dev dependencies of the benchmarks.
    warnings.simplefilter("ignore", DeprecationWarning)
    import pandas as pd
    import recordlinkage

CLUSTER_SCHEMA = pa.schema([("record_uid", pa.string()), ("cluster", pa.int64())])
PAIR_SCHEMA = pa.schema([("record_uid_l", pa.string()), ("record_uid_r", pa.string())])
#: Jaro-Winkler similarity at or above which two names agree.
NAME_AGREES = 0.85
#: Candidate pairs compared at a time (bounds the memory of the comparison frames).
CHUNK = 1_000_000


def _doc_number(column: str) -> str:
    return f"nullif(regexp_replace(upper({column}), '[^A-Z0-9]', '', 'g'), '')"


def _code(column: str) -> str:
    return f"nullif(upper(trim({column})), '')"


def _name(column: str) -> str:
    letters = f"regexp_replace(upper(strip_accents({column})), '[^A-Z]+', ' ', 'g')"
    return f"nullif(trim({letters}), '')"


def _exact(records: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Clusters and the pairs that share the key (the pairs are what exact match 'compares')."""
    con = duckdb.connect()
    con.register("input", records)
    con.execute(
        f"""CREATE TABLE keyed AS
            SELECT record_uid, row_number() OVER (ORDER BY record_uid) AS rn,
                   CASE WHEN {_doc_number("document_number")} IS NOT NULL
                             AND {_code("document_country")} IS NOT NULL AND date_of_birth IS NOT NULL
                        THEN {_doc_number("document_number")} || '|' || {_code("document_country")}
                             || '|' || date_of_birth END AS k
            FROM input"""
    )
    clusters = con.sql(
        """SELECT record_uid, CASE WHEN k IS NULL THEN rn ELSE min(rn) OVER (PARTITION BY k) END AS cluster
           FROM keyed ORDER BY record_uid"""
    ).to_arrow_table()
    pairs = con.sql(
        """SELECT l.record_uid AS record_uid_l, r.record_uid AS record_uid_r
           FROM keyed l JOIN keyed r ON l.k = r.k AND l.rn < r.rn"""
    ).to_arrow_table()
    return clusters.cast(CLUSTER_SCHEMA), pairs.cast(PAIR_SCHEMA)


def exact_match(records: pa.Table) -> pa.Table:
    """Clusters (record_uid, cluster) of records sharing document number, issuing country and birth date."""
    return _exact(records)[0]


def _prepared(records: pa.Table) -> pd.DataFrame:
    """The records normalised for the toolkit, one row per record in input order (index 0..n-1)."""
    con = duckdb.connect()
    con.register("input", records.append_column("rn", pa.array(np.arange(records.num_rows))))
    sql = f"""SELECT {_name("family_name")} AS fam, {_name("given_names")} AS giv,
                     date_of_birth AS dob, left(date_of_birth, 4) AS dob_year, {_code("sex")} AS sex,
                     {_code("citizenship")} AS cit, {_doc_number("document_number")} AS doc_num,
                     {_code("a_number")} AS a_number, {_code("admission_number")} AS adm
              FROM input ORDER BY rn"""
    frame: pd.DataFrame = con.sql(sql).to_arrow_table().to_pandas()
    return frame


def _comparison() -> recordlinkage.Compare:
    compare = recordlinkage.Compare()
    compare.string("fam", "fam", method="jarowinkler", threshold=NAME_AGREES, label="fam")
    compare.string("giv", "giv", method="jarowinkler", threshold=NAME_AGREES, label="giv")
    for column in ("dob", "sex", "cit", "doc_num", "a_number", "adm"):
        compare.exact(column, column, label=column)
    return compare


def _ecm(records: pa.Table, stages: dict[str, float] | None = None) -> tuple[pa.Table, pa.Table]:
    """Clusters and candidate pairs of the recordlinkage pipeline; `stages` gets seconds per stage."""
    stages = {} if stages is None else stages
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        stages[name] = round(now - started, 2)
        started = now

    frame = _prepared(records)
    lap("prepare")
    indexer = recordlinkage.Index()
    indexer.block(left_on="dob")
    indexer.block(left_on=["fam", "dob_year"])
    indexer.block(left_on="doc_num")
    candidates = indexer.index(frame)
    lap("index")
    compare = _comparison()
    vectors = pd.concat(
        [compare.compute(candidates[i : i + CHUNK], frame) for i in range(0, len(candidates), CHUNK)]
    )
    lap("compare")
    classifier = recordlinkage.ECMClassifier(binarize=None)
    matches = classifier.fit_predict(vectors.astype(np.int8))
    lap("classify")
    n = records.num_rows
    left, right = matches.get_level_values(0).to_numpy(), matches.get_level_values(1).to_numpy()
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    uids = records.column("record_uid")
    clusters = pa.table({"record_uid": uids, "cluster": pa.array(labels, pa.int64())}, schema=CLUSTER_SCHEMA)
    lap("cluster")
    pairs = pa.table(
        {
            "record_uid_l": pc.take(uids, candidates.get_level_values(0).to_numpy()),
            "record_uid_r": pc.take(uids, candidates.get_level_values(1).to_numpy()),
        },
        schema=PAIR_SCHEMA,
    )
    stages["candidate_pairs"] = len(candidates)
    stages["matched_pairs"] = len(matches)
    return clusters, pairs


def recordlinkage_ecm(records: pa.Table) -> pa.Table:
    """Clusters (record_uid, cluster) from the toolkit's blocking, comparison and ECM classifier."""
    return _ecm(records)[0]


def _timed(work: Callable[[], tuple[pa.Table, pa.Table]]) -> tuple[pa.Table, pa.Table, float]:
    started = time.perf_counter()
    clusters, pairs = work()
    return clusters, pairs, round(time.perf_counter() - started, 2)


def run_baselines(records: pa.Table, con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Each baseline's accuracy and seconds; `con` must hold the views `measure.register_views` makes."""
    results: dict[str, dict[str, Any]] = {}
    clusters, pairs, seconds = _timed(lambda: _exact(records))
    results["exact_match"] = {**accuracy(con, clusters, pairs), "seconds": seconds}
    stages: dict[str, float] = {}
    clusters, pairs, seconds = _timed(lambda: _ecm(records, stages))
    results["recordlinkage_ecm"] = {**accuracy(con, clusters, pairs), "seconds": seconds, "stages": stages}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", type=Path, help="a generator output folder (ilos generate --out)")
    args = parser.parse_args()
    con = duckdb.connect()
    records = register_views(con, args.data)
    print(json.dumps({"records": records.num_rows, **run_baselines(records, con)}, indent=2))


if __name__ == "__main__":
    main()
