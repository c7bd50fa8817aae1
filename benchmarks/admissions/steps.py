"""Measured steps of the admission-status benchmark, each run in a child process:
`python -m benchmarks.admissions.steps accuracy|batch DIR ...`."""

from __future__ import annotations

import atexit
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.measure import report

FEEDS = ("arrivals", "departures", "status_events")
#: The batch and its floor run this many times, interleaved; the medians are reported.
BATCH_RUNS = 3


def _scratch(prefix: str) -> Path:
    """A new temporary folder, removed when this step's process exits (a store is some 200 MB)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _store(world: Path, feeds: tuple[str, ...], resolve: bool, url: str = "") -> str:
    """A store holding the world's feeds (resolved when asked, and then every verified departure
    announced, as `ilos resolve` leaves it): at `url` (an empty database), or a fresh embedded one."""
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.resolve import resolve_all
    from ilos.services.stream import announce_every_departure

    url = url or f"sqlite:///{_scratch('ilos-status-bench-')}/ilos.db"
    with Ilos(Settings(), url) as app:
        for feed in feeds:
            ingest_files(feed, [world / f"{feed}.csv"], app.loader)
        if resolve:
            resolve_all(app.identity_work, app.identity_store)
            announce_every_departure(app.admission_work, app.event_store, app.settings.today())
    return url


def with_true_persons(
    con: duckdb.DuckDBPyConnection, world: Path, inputs: dict[str, pa.Table]
) -> dict[str, pa.Table]:
    """Admission-status inputs with each record's true person (`truth/persons.csv`) as its person_id."""
    con.register(
        "true_person",
        con.read_csv(
            str(world / "truth" / "persons.csv"), all_varchar=True, quotechar='"', escapechar='"'
        ).to_arrow_table(),
    )
    out = {}
    for name, table in inputs.items():
        con.register("t", table)
        out[name] = con.sql(
            "SELECT t.* REPLACE (p.true_person_id AS person_id) FROM t "
            "LEFT JOIN true_person p USING (source_system, source_record_id)"
        ).to_arrow_table()
        con.unregister("t")
    return out


def _judge(con: duckdb.DuckDBPyConnection, inputs: dict[str, pa.Table], as_of: date) -> pa.Table:
    """The engine's `status` rows (with mode and group columns for the report)."""
    from ilos.adapters.duck.admission_status import export_query, judged
    from ilos.domain.admission_rules import admission_rules

    with judged(con, inputs, as_of, admission_rules()) as cur:
        return cur.sql(
            f"SELECT e.*, s.mode, s.until FROM ({export_query(as_of)}) e JOIN status s USING (admission_number)"
        ).to_arrow_table()


def _export(con: duckdb.DuckDBPyConnection, inputs: dict[str, pa.Table], as_of: date) -> pa.Table:
    """What `ilos export admissions` computes: every status, sorted, as Arrow."""
    from ilos.adapters.duck.admission_status import export_query, judged
    from ilos.domain.admission_rules import admission_rules

    with judged(con, inputs, as_of, admission_rules()) as cur:
        return cur.sql(export_query(as_of)).to_arrow_table()


def accuracy(world_dir: str) -> None:
    """ILOS's statuses (its own identity links) and the engine's with the true persons, against the truth."""
    world = Path(world_dir)
    manifest = json.loads((world / "truth" / "manifest.json").read_text())
    os.environ["ILOS_NOW"] = manifest["now"]
    as_of = date.fromisoformat(manifest["end"])

    def work() -> dict[str, Any]:
        from ilos.bootstrap import Ilos
        from ilos.config import Settings

        started = time.perf_counter()
        url = _store(world, tuple(json.loads((world / "truth" / "manifest.json").read_text())["feeds"]), True)
        load_s = time.perf_counter() - started
        con = duckdb.connect()
        with Ilos(Settings(), url) as app:
            inputs = app.reader.admission_inputs()
        started = time.perf_counter()
        ilos_rows = _judge(con, inputs, as_of)
        judge_s = time.perf_counter() - started
        true_rows = _judge(con, with_true_persons(con, world, inputs), as_of)
        return {"load_and_resolve_s": round(load_s, 1), "judge_s": round(judge_s, 2),
                **_compare(con, world, ilos_rows, true_rows, manifest["end"])}  # fmt: skip

    report(work)


def _compare(
    con: duckdb.DuckDBPyConnection, world: Path, ilos_rows: pa.Table, true_rows: pa.Table, end: str
) -> dict[str, Any]:
    from ilos.adapters.duck.overstay_report import GROUPS, group_sql

    con.register("ilos_rows", ilos_rows)
    con.register("true_rows", true_rows)
    con.register(
        "truth",
        con.read_csv(
            str(world / "truth" / "admissions.csv"), all_varchar=True, quotechar='"', escapechar='"'
        ).to_arrow_table(),
    )
    wrong = (
        con.sql(
            """SELECT t.true_status AS status, count(*) AS admissions,
                  count(*) FILTER (WHERE i.status IS DISTINCT FROM t.true_status) AS wrong_ilos,
                  count(*) FILTER (WHERE e.status IS DISTINCT FROM t.true_status
                                   OR coalesce(e.authorized_until, '') <> coalesce(t.true_authorized_until, '')
                                   OR coalesce(CAST(e.overstay_days AS VARCHAR), '') <> coalesce(t.true_overstay_days, ''))
                      AS wrong_true_persons
           FROM truth t LEFT JOIN ilos_rows i USING (admission_number) LEFT JOIN true_rows e USING (admission_number)
           GROUP BY ALL ORDER BY 1"""
        )
        .to_arrow_table()
        .to_pylist()
    )
    by_group = (
        con.sql(
            f"""SELECT CASE WHEN i.admission_number IS NULL THEN 'not in ILOS'
                           ELSE {group_sql("i.class_of_admission", "i.citizenship")} END AS "group",
                      count(*) AS admissions,
                      count(*) FILTER (WHERE i.status IS DISTINCT FROM t.true_status) AS wrong_ilos
               FROM truth t LEFT JOIN ilos_rows i USING (admission_number) GROUP BY ALL ORDER BY 1"""
        )
        .to_arrow_table()
        .to_pylist()
    )
    fy = int(end[:4]) - (0 if end[5:] >= "10-01" else 1)  # the last fiscal year wholly inside the window
    rates = []
    for year in (fy - 1, fy):
        ilos_report = _report(con, "ilos_rows", "i.status", year)
        truth_report = _report(con, "ilos_rows", "t.true_status", year)
        for group in (*GROUPS, "ALL"):
            mine, true = ilos_report.get(group), truth_report.get(group)
            if true:
                rates.append({"fiscal_year": year, "group": group, "expected": true[0],
                              "rate": round(mine[1] if mine else 0, 5), "true_rate": round(true[1], 5)})  # fmt: skip
    return {"statuses": wrong, "by_group": by_group, "rates": rates}


def _report(
    con: duckdb.DuckDBPyConnection, table: str, status: str, year: int
) -> dict[str, tuple[int, float]]:
    """(expected departures, total overstay rate) by report group, with the status taken from `status`."""
    from ilos.adapters.duck.overstay_report import overstay_rows

    judged = con.sql(
        f"""SELECT i.admission_number, {status} AS status, i.class_of_admission AS klass, i.citizenship, i.mode,
                   CAST(coalesce(t.true_authorized_until, i.authorized_until) AS DATE) AS until
            FROM {table} i JOIN truth t USING (admission_number)"""
    ).to_arrow_table()
    with duckdb.connect() as cur:
        cur.register("status", judged)
        rows = overstay_rows(cur, year).to_pylist()
    return {r["group"]: (r["expected_departures"], r["total"] / r["expected_departures"])
            for r in rows if r["country"] in ("TOTAL", "GRAND TOTAL") and r["expected_departures"]}  # fmt: skip


def batch_inputs(world_dir: str, target_admissions: str, out_dir: str) -> None:
    """The world's admissions, departures and filings (with their true persons) replicated to
    `target_admissions`, written as Parquet files to `out_dir` for `batch` to read in a fresh process:
    a process that has just written a store runs DuckDB markedly slower (about a quarter, measured
    here), and `ilos export` reads a store, it does not write one."""
    world = Path(world_dir)
    from ilos.bootstrap import Ilos
    from ilos.config import Settings

    url = _store(world, FEEDS, False)
    con = duckdb.connect()
    with Ilos(Settings(), url) as app:
        inputs = with_true_persons(con, world, app.reader.admission_inputs())
    copies = -(-int(target_admissions) // inputs["arrivals"].num_rows)
    for name, table in inputs.items():
        pq.write_table(_replicate(con, table, copies), Path(out_dir) / f"{name}.parquet")
    con.close()
    report(lambda: {"copies": copies})


def batch(world_dir: str, inputs_dir: str) -> None:
    """The engine on the replicated inputs (`batch_inputs`), beside a bare DuckDB as-of join of the
    same admissions and departures, in this fresh process."""
    manifest = json.loads((Path(world_dir) / "truth" / "manifest.json").read_text())
    as_of = date.fromisoformat(manifest["end"])
    big = {
        name: pq.read_table(Path(inputs_dir) / f"{name}.parquet")
        for name in ("arrivals", "departures", "status_events")
    }

    def work() -> dict[str, Any]:
        con = duckdb.connect()
        floors, runs = [], []
        for _ in range(BATCH_RUNS):  # interleaved, so a slow spell of the machine hits both
            started = time.perf_counter()
            floor = _asof_floor(con, big)
            floors.append(time.perf_counter() - started)
            started = time.perf_counter()
            rows = _export(con, big, as_of).num_rows
            runs.append(time.perf_counter() - started)
        floor_s, ilos_s = statistics.median(floors), statistics.median(runs)
        return {"admissions": rows, "departures": big["departures"].num_rows,
                "status_events": big["status_events"].num_rows, "floor_rows": floor, "runs": BATCH_RUNS,
                "floor_s": round(floor_s, 3), "ilos_s": round(ilos_s, 3), "ratio": round(ilos_s / floor_s, 2),
                "ilos_runs_s": [round(x, 3) for x in runs]}  # fmt: skip

    report(work)


def _replicate(con: duckdb.DuckDBPyConnection, table: pa.Table, copies: int) -> pa.Table:
    """`copies` disjoint copies: every id (record, person, admission, receipt) suffixed with the copy."""
    con.register("t", table)
    ids = [
        c
        for c in ("uid", "person_id", "source_record_id", "admission_number", "receipt_number")
        if c in table.column_names
    ]
    replaced = ", ".join(f"{c} || '~' || k AS {c}" for c in ids)
    out = con.sql(f"SELECT t.* REPLACE ({replaced}) FROM t, range({copies}) r(k)").to_arrow_table()
    con.unregister("t")
    return out


def _asof_floor(con: duckdb.DuckDBPyConnection, big: dict[str, pa.Table]) -> int:
    """Each admission with the person's first departure on or after its admission date."""
    con.register("a_in", big["arrivals"])
    con.register("d_in", big["departures"])
    con.execute(
        """CREATE OR REPLACE TABLE a AS SELECT admission_number, person_id, CAST(admitted_on AS DATE) AS admitted_on FROM a_in;
           CREATE OR REPLACE TABLE d AS SELECT person_id, CAST(departure_date AS DATE) AS day FROM d_in;
           CREATE OR REPLACE TABLE j AS SELECT a.admission_number, d.day FROM a
               ASOF LEFT JOIN d ON a.person_id = d.person_id AND d.day >= a.admitted_on"""
    )
    return int(con.sql("SELECT count(*) FROM j").fetchall()[0][0])


def stream(world_dir: str, batches: str, batch_size: str, store_url: str = "") -> None:
    """The world's latest departures, held back from a resolved store of everything else (at `store_url`,
    an empty database, or a fresh embedded store), streamed into it in micro-batches by a process
    prepared as `ilos stream` prepares it (`warm`, timed apart): time from a batch's acceptance to its
    effect being visible (statuses are derived on read, so: until `process` returns)."""
    world = Path(world_dir)
    manifest = json.loads((world / "truth" / "manifest.json").read_text())
    os.environ["ILOS_NOW"] = manifest["now"]
    from ilos.bootstrap import Ilos
    from ilos.config import Settings

    held_back = int(batches) * int(batch_size)
    store_world, lines = _hold_back_departures(world, held_back)
    url = _store(store_world, tuple(manifest["feeds"]), True, store_url)
    size = int(batch_size)
    today = date.fromisoformat(manifest["end"])

    def work() -> dict[str, Any]:
        seconds, latencies, events, resolved = [], [], 0, 0
        with Ilos(Settings(), url) as app:
            pipeline = app.stream_pipeline
            started = time.perf_counter()
            warmed = pipeline.warm()  # as `ilos stream` does before it reads its first line
            warm_s = time.perf_counter() - started
            for i in range(0, len(lines), size):
                done = pipeline.process("departures", lines[i : i + size], f"bench {i}", today)
                seconds.append(done.seconds)
                # every line of a batch is accepted when the batch starts and visible when it returns
                latencies += [done.seconds] * len(lines[i : i + size])
                events += len(done.events)
                resolved += done.resolution.resolved if done.resolution else 0
            warm = latencies[len(lines[:size]) :]  # the events of the batches after the first
            records = app.reader.identity_records().num_rows
            persons = len(app.reader.link_state().column("person_id").unique())
        first = seconds[0]
        seconds.sort()
        return {"store": "postgres" if store_url else "embedded", "records": records, "persons": persons,
                "batches": len(seconds),
                "batch_size": size, "events": events,
                "records_re_resolved": resolved, "p50_s": round(seconds[len(seconds) // 2], 3),
                "event_p50_s": round(nearest_rank(latencies, 0.50), 3),
                "event_p99_s": round(nearest_rank(latencies, 0.99), 3),
                "first_s": round(first, 3), "warmed": warmed, "warm_s": round(warm_s, 3),
                "warm_event_p99_s": round(nearest_rank(warm, 0.99), 3) if warm else None,
                "max_s": round(seconds[-1], 3), "events_per_s": round(len(lines) / sum(seconds), 1),
                "seconds": round(sum(seconds), 1)}  # fmt: skip

    report(work)


def nearest_rank(values: list[float], share: float) -> float:
    """The `share` percentile of `values` by the nearest-rank method: the smallest value at or below
    which lie at least that share of them."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def _hold_back_departures(world: Path, count: int) -> tuple[Path, list[str]]:
    """A copy of the world without its `count` most recently recorded departure rows (every version of
    those records), and those rows as JSON lines in recorded order. Only rows recorded at a valid time
    up to the world's `now` count: the generator's rows recorded in the future or at a malformed time
    (some 190 of them, made to be quarantined) would otherwise sort last and fill the last batches with
    lines the load only quarantines."""
    now = json.loads((world / "truth" / "manifest.json").read_text())["now"]
    out = _scratch("ilos-stream-world-")
    for item in world.iterdir():
        if item.name != "departures.csv":
            (out / item.name).symlink_to(item)
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE d AS SELECT * FROM read_csv('{world / 'departures.csv'}', all_varchar=true, quote='\"', escape='\"')"
    )
    con.execute(
        "CREATE TABLE v AS SELECT * FROM (SELECT *, TRY_CAST(recorded_at AS TIMESTAMPTZ) AS recorded FROM d) "
        "WHERE recorded <= CAST(? AS TIMESTAMPTZ)",
        [now],
    )
    con.execute(
        f"""CREATE TABLE late AS SELECT DISTINCT source_system, source_record_id FROM v
            WHERE recorded >= (SELECT recorded FROM v ORDER BY recorded DESC LIMIT 1 OFFSET {count - 1})"""
    )
    kept = "SELECT * FROM d ANTI JOIN late USING (source_system, source_record_id)"
    con.execute(f"COPY ({kept}) TO '{out / 'departures.csv'}' (HEADER)")
    rows = con.sql(
        "SELECT * FROM d SEMI JOIN late USING (source_system, source_record_id) "
        "ORDER BY TRY_CAST(recorded_at AS TIMESTAMPTZ) NULLS LAST, recorded_at, source_record_id"
    ).to_arrow_table()
    con.close()
    return out, [json.dumps({k: v for k, v in r.items() if v}) for r in rows.to_pylist()]


if __name__ == "__main__":
    from benchmarks.admissions.decided import decided
    from benchmarks.admissions.offered import offered

    steps = {"accuracy": accuracy, "batch_inputs": batch_inputs, "batch": batch, "stream": stream,
             "offered": offered, "decided": decided}  # fmt: skip
    steps[sys.argv[1]](*sys.argv[2:])
