"""How many new signatures could be decided as they are stored, at what cost, and whether the run agrees.

`python -m benchmarks.admissions.steps decided WORLD BATCHES`: a resolved embedded store of the world
without its latest BATCHES * 1,000 departures, then, batch after batch, those departures stored; their
records that repeat no indexed signature scored (`identity.new_signatures`) and decided
(`identity.new_links`) against the snapshot and the component facts it publishes; then the
incremental run, whose links are compared with the decisions. Prints one JSON line a batch and the
totals. Not part of `make bench` (ADR 11 amendments of 2026-12-07, sixth and seventh: the stream links
them on storing since, `identity.decided_on_storing`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pyarrow as pa


def decided(world_dir: str, batches: str) -> None:
    from benchmarks.admissions.steps import _hold_back_departures, _store

    world = Path(world_dir)
    manifest = json.loads((world / "truth" / "manifest.json").read_text())
    os.environ["ILOS_NOW"] = manifest["now"]
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.resolve import resolve_all, resolve_incremental, warm

    count = int(batches)
    store_world, lines = _hold_back_departures(world, 1_000 * count)
    url = _store(store_world, tuple(manifest["feeds"]), True)
    with Ilos(Settings(), url) as app:
        work = app.identity_work
        work.publishing = True
        totals = {"records": 0, "new_signatures": 0, "decided": 0, "records_decided": 0, "linked_so": 0}
        resolve_all(work, app.identity_store)  # again, in this process: the facts of every component
        warm(work, app.identity_store)
        saved = app.identity_store.latest_model()
        scorer = _scorer(saved[1] if saved else None)
        for number in range(count):
            row = _batch(app, work, scorer, lines[number * 1_000 : (number + 1) * 1_000], number)
            resolve_incremental(work, app.identity_store)
            after = {r["record_uid"]: r["person_id"] for r in app.reader.link_state().to_pylist()}
            persons = row.pop("persons")
            row["linked_so"] = sum(after.get(uid) == person for uid, person in persons.items())
            row["otherwise"] = [[uid, p, after.get(uid)] for uid, p in persons.items() if after.get(uid) != p]
            print(json.dumps(row), flush=True)
            for key in totals:
                totals[key] += row[key]
        print(json.dumps({"totals": totals}))


def _scorer(model: dict[str, Any] | None) -> Any:
    from ilos.adapters.identity.model import default_model
    from ilos.adapters.identity.new_signatures import NewSignatureScorer

    return NewSignatureScorer(model if model is not None else default_model())


def _batch(app: Any, work: Any, scorer: Any, lines: list[str], number: int) -> dict[str, Any]:
    """Store a batch, decide its new signatures; the figures, and the person of each record decided."""
    from ilos.adapters.identity.new_links import decide
    from ilos.adapters.identity.new_signatures import new_nodes
    from ilos.adapters.identity.repeats import placeable
    from ilos.adapters.identity.signature import signature_key
    from ilos.domain.feeds import feed as feed_named

    snapshot = work.linked_signatures
    facts = {} if snapshot.facts is None else {row["component"]: row for row in snapshot.facts.to_pylist()}
    rows = pa.table({"_row": pa.array(range(1, len(lines) + 1), pa.int64()), "line": pa.array(lines)})
    result = app.loader.load(
        app.loader.open_json_rows(feed_named("departures"), rows, f"b{number}"), origin="stream"
    )
    records = app.reader.identity_records_of_batch(feed_named(result.feed), result.batch_id).to_pylist()
    repeats = set(snapshot.find(pa.Table.from_pylist(records)).column("record_uid").to_pylist())
    rest = [r for r in records if r["record_uid"] not in repeats]
    state = {r["record_uid"]: (r["person_id"], r["component"]) for r in snapshot.state.to_pylist()}
    started = time.perf_counter()
    nodes = new_nodes(rest)  # every one: a record carrying a number touches components as much
    fresh = {n["record_uid"] for n in nodes if not snapshot.holds(signature_key(n)) and not placeable(n)}
    scored = scorer.score(nodes, snapshot.feat, snapshot.blocking)
    scored_at = time.perf_counter()
    persons = decide(
        scored,
        lambda uids: {u: state.get(u) for u in uids},
        lambda cs: {c: facts[c] for c in cs if c in facts},
        fresh,
    )
    decided_at = time.perf_counter()
    node_of = {_values(n): n["record_uid"] for n in nodes}
    of_record = {
        r["record_uid"]: persons.get(node_of.get(_values(found[0]), ""))
        for r in rest
        if (found := new_nodes([r]))
    }
    return {
        "batch": number, "records": len(records), "new_signatures": len(fresh), "decided": len(persons),
        "records_decided": sum(p is not None for p in of_record.values()),
        "scoring_ms": round(1e3 * (scored_at - started)), "deciding_ms": round(1e3 * (decided_at - scored_at)),
        "persons": {uid: p for uid, p in of_record.items() if p is not None},
    }  # fmt: skip


def _values(node: dict[str, Any]) -> tuple[Any, ...]:
    from ilos.adapters.identity.scoring import SIGNATURE

    return tuple(node[c] for c in SIGNATURE)
