"""Child-process steps of the identity benchmark (`python -m benchmarks.identity.steps STEP ARGS`).

Each prints one JSON line (seconds, peak MiB, result) through `benchmarks.measure.report`.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.identity.baselines import run_baselines
from benchmarks.identity.data import load_truth
from benchmarks.identity.measure import accuracy, register_views
from benchmarks.identity.recall import blocking_recall
from benchmarks.measure import report
from ilos.adapters.duck.checking import connect
from ilos.adapters.identity import IdentityResolver


def _connect(memory_limit: str) -> Any:
    return connect(memory_limit, Path(tempfile.gettempdir()) / "ilos-duckdb")


def _timed(seconds: dict[str, float], stage: str, work: Any) -> Any:
    started = time.perf_counter()
    out = work()
    seconds[stage] = round(time.perf_counter() - started, 2)
    return out


def _resolve(resolver: IdentityResolver, records: pa.Table, seconds: dict[str, float]) -> tuple[Any, Any]:
    """Train, score and cluster, timing each stage."""
    _timed(seconds, "train", lambda: resolver.train(records))
    pairs = _timed(seconds, "score", lambda: resolver.score(records))
    clusters = _timed(seconds, "cluster", lambda: resolver.cluster(records, pairs))
    return pairs, clusters


def full(data: str, memory_limit: str, model_out: str, baselines: str) -> None:
    """Full resolution with training (ILOS), then the two baselines on the same records if asked."""
    con = _connect(memory_limit)
    records = register_views(con, Path(data))
    seconds: dict[str, float] = {}
    extra: dict[str, Any] = {}

    def work() -> dict[str, Any]:
        resolver = IdentityResolver(con)
        pairs, clusters = _resolve(resolver, records, seconds)
        extra.update(resolver=resolver, pairs=pairs, clusters=clusters)
        return {"records": records.num_rows, "stages": seconds}

    def after() -> dict[str, Any]:
        """Untimed: save the model, measure accuracy, run the baselines if asked."""
        resolver, pairs, clusters = extra.pop("resolver"), extra.pop("pairs"), extra.pop("clusters")
        Path(model_out).write_text(json.dumps(resolver.model))
        extra["accuracy"] = accuracy(con, clusters, pairs, resolver.members)
        if baselines != "yes":
            return {}
        extra["blocking_recall"] = blocking_recall(con, records, load_truth(Path(data), con), resolver.model)
        return run_baselines(records, con)

    report_and_more(work, extra, after)


def report_and_more(work: Any, extra: dict[str, Any], after: Any, key: str = "baselines") -> None:
    """Report `work` (timed, peak memory), with what `after` adds untimed (accuracy, baselines)."""
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        report(work)
    line = json.loads(buffer.getvalue().strip().splitlines()[-1])
    more = after()
    line["result"].update(extra)
    line["result"][key] = more
    print(json.dumps(line))


def incremental(data: str, memory_limit: str, model: str, batch: str) -> None:
    """Link a batch of records (a random sample held out) against the index of all the others
    (built before the clock starts, as a long-running linker keeps it) with a saved model."""
    con = _connect(memory_limit)
    records = register_views(con, Path(data))
    truth = con.sql(
        "SELECT r.record_uid, t.true_person_id FROM records r JOIN truth t USING (source_system, source_record_id)"
    ).to_arrow_table()
    picked = con.sql(
        f"SELECT record_uid FROM records ORDER BY hash(record_uid) LIMIT {int(batch)}"
    ).fetchall()
    is_new = pc.is_in(records.column("record_uid"), pa.array([r[0] for r in picked], pa.string()))
    existing, new = records.filter(pc.invert(is_new)), records.filter(is_new)
    resolver = IdentityResolver(con, json.loads(Path(model).read_text()))
    seconds: dict[str, float] = {}
    index = _timed(seconds, "index", lambda: resolver.index(existing))
    out: dict[str, Any] = {}
    extra: dict[str, Any] = {}

    def work() -> dict[str, Any]:
        out["pairs"] = resolver.score_between(index, new)
        return {"existing": existing.num_rows, "new": new.num_rows, "stages": seconds}

    def attach() -> dict[str, Any]:
        """Untimed: attachment, then the same batch without an index (what a one-shot ingest pays)."""
        attached = _attached(con, out["pairs"], resolver.members, new, truth)
        started = time.perf_counter()
        resolver.score_between(existing, new)
        extra["without_index_s"] = round(time.perf_counter() - started, 2)
        return attached

    report_and_more(work, extra, attach, key="attachment")


def _attached(con: Any, pairs: pa.Table, members: pa.Table, new: pa.Table, truth: pa.Table) -> dict[str, Any]:
    """Share of new records (whose person has other records) linked to a record of their true person."""
    for name, table in (("p", pairs), ("m", members), ("n", new.select(["record_uid"])), ("t", truth)):
        con.register(f"inc_{name}", table)
    row = con.sql(
        """WITH rep AS (SELECT m.record_uid, m.rep, t.true_person_id FROM inc_m m JOIN inc_t t USING (record_uid)),
           old AS (SELECT * FROM rep ANTI JOIN inc_n USING (record_uid)),
           newr AS (SELECT * FROM rep SEMI JOIN inc_n USING (record_uid)),
           links AS (SELECT record_uid_l AS a, record_uid_r AS b FROM inc_p WHERE decision = 'link'
                     UNION ALL SELECT record_uid_r, record_uid_l FROM inc_p WHERE decision = 'link'
                     UNION ALL SELECT rep, rep FROM newr),
           reachable AS (SELECT n.record_uid, o.true_person_id = n.true_person_id AS right_person
                         FROM newr n JOIN links l ON l.a = n.rep JOIN old o ON o.rep = l.b),
           eligible AS (SELECT n.record_uid FROM newr n SEMI JOIN old o USING (true_person_id))
           SELECT (SELECT count(*) FROM eligible),
                  (SELECT count(DISTINCT record_uid) FROM reachable WHERE right_person
                     AND record_uid IN (SELECT record_uid FROM eligible)),
                  (SELECT count(DISTINCT record_uid) FROM reachable WHERE NOT right_person)"""
    ).fetchall()[0]
    eligible, right, wrong = row
    return {"eligible": eligible, "attached_right": right, "attached_wrong": wrong,
            "attach_rate": round(right / eligible, 5) if eligible else None}  # fmt: skip


STEPS = {"full": full, "incremental": incremental}

if __name__ == "__main__":
    STEPS[sys.argv[1]](*sys.argv[2:])
