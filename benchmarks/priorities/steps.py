"""Measured steps of the prioritization benchmark, each run in a child process:
`python -m benchmarks.priorities.steps world|rank ...`."""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.admissions.steps import _store
from benchmarks.measure import report

FEEDS = ("arrivals", "departures", "status_events", "court_events", "criminal_dispositions", "encounters",
         "designations", "relationships")  # fmt: skip
PACKS = ("priorities-2014", "guidelines-2021")
RERANKED = 30


def _as_of(world: Path) -> date:
    manifest = json.loads((world / "truth" / "manifest.json").read_text())
    return date.fromisoformat(manifest["end"])


def world(world_dir: str, out_dir: str) -> None:
    """Load and resolve the world; per pack the worklist (timed) judged against the true holds; holds
    agreement; re-ranking one person at a time; the facts and holds saved for the `rank` step."""
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.priorities import pack_named

    folder, out = Path(world_dir), Path(out_dir)
    as_of = _as_of(folder)

    def work() -> dict[str, Any]:
        started = time.perf_counter()
        url = _store(folder, FEEDS, resolve=True)
        loaded_s = time.perf_counter() - started
        result: dict[str, Any] = {"as_of": as_of.isoformat(), "load_resolve_s": round(loaded_s, 1)}
        with Ilos(Settings(), url) as app:
            con = duckdb.connect()
            _truth_tables(con, folder, app.reader.links(), as_of)
            result["packs"] = {}
            for name in PACKS:
                pack = pack_named(name)
                t0 = time.perf_counter()
                listed, _ = app.priority_work.worklist(pack, as_of, None, include_held=False)
                seconds = time.perf_counter() - t0
                result["packs"][name] = {"seconds": round(seconds, 2), "listed": listed.num_rows,
                                         **_held_on_list(con, listed)}  # fmt: skip
            facts, holds = app.priority_work.facts_and_holds(as_of, None)
            result["persons"] = facts.num_rows
            result["holds"] = _holds_agreement(con, holds, as_of)
            pq.write_table(facts, out / "facts.parquet")
            pq.write_table(holds, out / "holds.parquet")
            result["rerank"] = _rerank(app, pack_named(PACKS[1]), listed, as_of)
        return result

    report(work)


def _truth_tables(con: duckdb.DuckDBPyConnection, world: Path, links: pa.Table, as_of: date) -> None:
    """`lk` (person_id, true_person_id) of every linked record and `true_held` the true holds in force."""
    con.register("links_arrow", links)
    truth = con.read_csv(
        str(world / "truth" / "persons.csv"), all_varchar=True, quotechar='"', escapechar='"'
    ).to_arrow_table()
    con.register("truth_arrow", truth)
    con.execute(
        """CREATE TABLE lk AS SELECT DISTINCT l.person_id, t.true_person_id FROM links_arrow l
           JOIN truth_arrow t USING (source_system, source_record_id)"""
    )
    holds = con.read_csv(
        str(world / "truth" / "holds.csv"), all_varchar=True, quotechar='"', escapechar='"'
    ).to_arrow_table()
    con.register("holds_arrow", holds)
    con.execute(
        f"""CREATE TABLE true_held AS SELECT DISTINCT true_person_id, hold FROM holds_arrow
            WHERE start <= '{as_of}' AND (coalesce("end", '') = '' OR "end" >= '{as_of}')
              AND split_part(hold, ':', 1) NOT IN ('COUNTRY_BAR', 'DACA', 'U_VISA_PENDING', 'T_VISA_PENDING')"""
    )


def _held_on_list(con: duckdb.DuckDBPyConnection, listed: pa.Table) -> dict[str, int]:
    """Listed persons any of whose records belongs to a true person with a blocking hold in force."""
    con.register("listed_arrow", listed)
    row = con.sql(
        """SELECT count(DISTINCT w.person_id), count(DISTINCT w.person_id) FILTER (WHERE h.hold = 'DEPARTED')
           FROM listed_arrow w JOIN lk USING (person_id) JOIN true_held h USING (true_person_id)"""
    ).fetchall()[0]
    con.unregister("listed_arrow")
    return {"held_listed": int(row[0]), "departed_listed": int(row[1])}


def _holds_agreement(con: duckdb.DuckDBPyConnection, holds: pa.Table, as_of: date) -> list[dict[str, Any]]:
    """Per hold code in force: true persons holding it per ILOS and per the truth (each ILOS person stands
    for the true person most of its records belong to)."""
    con.register("ilos_holds", holds)
    day = f"DATE '{as_of}'"
    return [
        {"code": c, "both": b, "only_ilos": i, "only_truth": t}
        for c, b, i, t in con.sql(
            f"""WITH maj AS (SELECT l.person_id, mode(t.true_person_id) AS tp FROM links_arrow l
                             JOIN truth_arrow t USING (source_system, source_record_id) GROUP BY 1),
                o AS (SELECT DISTINCT m.tp, split_part(h.code, ':', 1) AS code FROM ilos_holds h JOIN maj m
                      ON m.person_id = h.pkey WHERE h.start <= {day} AND (h.last_day IS NULL OR h.last_day >= {day})),
                t AS (SELECT DISTINCT true_person_id AS tp, split_part(hold, ':', 1) AS code FROM holds_arrow
                      WHERE start <= '{as_of}' AND (coalesce("end", '') = '' OR "end" >= '{as_of}'))
                SELECT coalesce(o.code, t.code), count(*) FILTER (WHERE o.tp IS NOT NULL AND t.tp IS NOT NULL),
                       count(*) FILTER (WHERE t.tp IS NULL), count(*) FILTER (WHERE o.tp IS NULL)
                FROM o FULL JOIN t USING (tp, code) GROUP BY 1 ORDER BY 1"""
        ).fetchall()
    ]


def _rerank(app: Any, pack: Any, listed: pa.Table, as_of: date) -> dict[str, Any]:
    """One person's place recomputed from the store (the records of the person, their relatives and any
    person sharing their admission numbers), for persons of the list: what a re-rank after a new record costs once the record is stored and linked.
    The same persons by the set-at-a-time SQL on the same records are the baseline; and every person of
    the world is placed by both, the evaluator's answer checked against the whole worklist's SQL."""
    work = app.priority_work
    persons = listed.column("person_id").to_pylist()[:: max(1, listed.num_rows // RERANKED)][:RERANKED]
    times, baseline = (
        _timed(lambda p: work.person(pack, p, as_of, None), persons),
        _timed(lambda p: work.places_by_sql(pack, as_of, None, [p]), persons),
    )
    whole = work.places_by_sql(pack, as_of, None)
    empty = {"facts": {}, "ranked": {}, "fired": [], "holds": []}
    everyone = sorted(set(app.reader.links().column("person_id").to_pylist()))
    t0 = time.perf_counter()
    differ = [p for p in everyone if work.person(pack, p, as_of, None) != whole.get(p, empty)]
    return {"persons": len(times), "median_s": round(statistics.median(times), 4),
            "p95_s": round(times[int(0.95 * (len(times) - 1))], 4), "max_s": round(times[-1], 4),
            "sql_median_s": round(statistics.median(baseline), 4),
            "checked": len(everyone), "checked_s": round(time.perf_counter() - t0, 1),
            "differ": len(differ), "differ_first": differ[:5]}  # fmt: skip


def _timed(run: Any, persons: list[str]) -> list[float]:
    """Seconds of `run(person)` per person, sorted (each person run once before, untimed)."""
    times = []
    for person in persons:
        run(person)
        t0 = time.perf_counter()
        run(person)
        times.append(time.perf_counter() - t0)
    return sorted(times)


def rank(inputs_dir: str, persons: str, as_of_text: str) -> None:
    """The saved facts and holds copied to `persons` persons; each pack ranked beside a floor: the same
    facts scored by a fixed expression and sorted, in the same process."""
    from ilos.adapters.duck.ranking import rank as rank_pack
    from ilos.adapters.duck.ranking import worklist_query
    from ilos.adapters.duck.workspace import workspace
    from ilos.services.priorities import pack_named

    folder, as_of = Path(inputs_dir), date.fromisoformat(as_of_text)
    facts, holds = pq.read_table(folder / "facts.parquet"), pq.read_table(folder / "holds.parquet")
    copies = -(-int(persons) // facts.num_rows)

    def work() -> dict[str, Any]:
        con = duckdb.connect()
        con.register("f_in", facts)
        con.register("h_in", holds)
        big_facts = con.sql(
            f"SELECT * REPLACE (person_id || '~' || k AS person_id) FROM f_in, range({copies}) r(k)"
        ).to_arrow_table()
        big_holds = con.sql(
            f"SELECT * REPLACE (pkey || '~' || k AS pkey) FROM h_in, range({copies}) r(k)"
        ).to_arrow_table()
        out: dict[str, Any] = {"persons": big_facts.num_rows, "holds": big_holds.num_rows}
        with workspace(con, "ilos_rank_floor") as cur:
            cur.register("big", big_facts)
            t0 = time.perf_counter()
            cur.execute(
                """CREATE TABLE floor AS SELECT person_id, 30 * convictions_aggravated_felony
                   + 20 * convictions_violent_felony + 10 * convictions_felony + 5 * final_order::INTEGER AS s
                   FROM big WHERE s > 0 ORDER BY s DESC, person_id"""
            )
            out["floor_s"] = round(time.perf_counter() - t0, 3)
        for name in PACKS:
            with workspace(con, "ilos_rank") as cur:
                cur.register("big_f", big_facts)
                cur.register("big_h", big_holds)
                cur.execute(
                    "CREATE TABLE facts AS SELECT * FROM big_f; CREATE TABLE holds AS SELECT * FROM big_h"
                )
                t0 = time.perf_counter()
                rank_pack(cur, pack_named(name), as_of)
                listed = cur.sql(worklist_query(False)).to_arrow_table()
                out[name] = {"seconds": round(time.perf_counter() - t0, 3), "listed": listed.num_rows}
        return out

    report(work)


if __name__ == "__main__":
    step, *args = sys.argv[1:]
    if step == "world":
        world(*args)
    elif step == "rank":
        rank(*args)
    else:
        raise SystemExit(f"unknown step {step}")
