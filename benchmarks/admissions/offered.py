"""The stream at an offered rate: departures offered at a fixed rate by a producer thread, taken in
micro-batches as `ilos stream` takes them by default (`next_batch`: 50 ms after the first line, at
most 1,000 lines), stored at once and linked behind by a second thread (`stream_batches`); each
event's latency from being offered to being stored, and to being linked."""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.measure import report

#: `ilos stream`'s defaults: most lines a micro-batch stores, and how long it waits for more after the
#: first (--batch-size, --batch-ms)
BATCH_LINES = 1000
BATCH_WAIT_S = 0.05
#: The producer offers the events due every this many seconds at once.
TICK_S = 0.005


def offered(world_dir: str, rate: str, seconds: str, store_url: str = "") -> None:
    """`rate` departures a second for `seconds` seconds (the world's latest ones, held back from a
    resolved store of everything else, at `store_url` or a fresh embedded store), offered to a process
    prepared as `ilos stream` prepares it. An event's times run from when it was offered (not from when
    the acceptance loop took it), to the commit that stored it (from then on a departure carrying the
    admission number it ends shows in that admission's status), to its effect on that admission showing
    (`_visible_at`), and to the end of the linking run that linked it (links and relatives saved, then
    its `departure:verified` events announced by the thread behind: every effect visible)."""
    from benchmarks.admissions.steps import _hold_back_departures, _store, nearest_rank

    world = Path(world_dir)
    manifest = json.loads((world / "truth" / "manifest.json").read_text())
    os.environ["ILOS_NOW"] = manifest["now"]
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.stream import Accepted, Linked, stream_batches

    per_s = int(rate)
    store_world, lines = _hold_back_departures(world, per_s * int(seconds))
    url = _store(store_world, tuple(manifest["feeds"]), True, store_url)
    today = date.fromisoformat(manifest["end"])

    def work() -> dict[str, Any]:
        offered_at: deque[list[tuple[float, str]]] = deque()  # per batch handed to the acceptance, in order
        stored: list[tuple[Accepted, list[tuple[float, str]]]] = []
        linked: dict[int, float] = {}  # id(Accepted) -> when the run linking it was announced (its end)
        saved: dict[int, float] = {}  # id(Accepted) -> when the run linking it had saved its links
        runs: list[Linked] = []

        def on_accepted(batch: Accepted) -> None:
            stored.append((batch, offered_at.popleft()))

        def on_linked(run: Linked) -> None:
            runs.append(run)
            linked.update((id(b), run.linked_at) for b in run.batches)
            saved.update((id(b), run.saved_at) for b in run.batches)

        with Ilos(Settings(), url) as app:
            pipeline = app.stream_pipeline
            started = time.perf_counter()
            warmed = pipeline.warm()
            warm_s = time.perf_counter() - started
            arrivals: queue.Queue[Any] = queue.Queue()
            threading.Thread(target=_produce, args=(lines, per_s, arrivals), daemon=True).start()
            batches = _batches(arrivals, offered_at)
            stream_batches(pipeline, "departures", batches, lambda: today, on_accepted, on_linked)
            records = app.reader.identity_records().num_rows
            persons = len(app.reader.link_state().column("person_id").unique())
        to_store = [b.stored_at - t for b, taken in stored for t, _ in taken]
        to_link = [linked.get(id(b), b.stored_at) - t for b, taken in stored for t, _ in taken]
        to_see = [
            _visible_at(b, line, saved.get(id(b), b.stored_at)) - t
            for b, taken in stored
            for t, line in taken
        ]
        first = min(t for _, taken in stored for t, _ in taken)
        last_stored = max(b.stored_at for b, _ in stored)
        last_linked = max(r.linked_at for r in runs) if runs else last_stored
        sizes = sorted(sum(b.result.rows for b in r.batches) for r in runs)
        return {"store": "postgres" if store_url else "embedded", "records": records, "persons": persons,
                "offered_per_s": per_s, "seconds": int(seconds), "events": len(to_store),
                "visible_on_storing": _visible_on_storing(lines),
                "linked_on_storing": round(
                    sum(len(b.linked_on_storing) + len(b.decided_on_storing) for b, _ in stored) / len(to_store), 3
                ),
                "decided_on_storing": round(sum(len(b.decided_on_storing) for b, _ in stored) / len(to_store), 3),
                "batches": len(stored), "link_runs": len(runs),
                "run_lines_p50": sizes[len(sizes) // 2] if sizes else 0, "run_lines_max": sizes[-1] if sizes else 0,
                "events_verified": sum(len(r.events) for r in runs),
                "stored_per_s": round(len(to_store) / (last_stored - first), 1),
                "linked_per_s": round(len(to_link) / (last_linked - first), 1),
                "store_p50_s": round(nearest_rank(to_store, 0.5), 3),
                "store_p99_s": round(nearest_rank(to_store, 0.99), 3), "store_max_s": round(max(to_store), 3),
                "link_p50_s": round(nearest_rank(to_link, 0.5), 3),
                "link_p99_s": round(nearest_rank(to_link, 0.99), 3), "link_max_s": round(max(to_link), 3),
                "visible_p50_s": round(nearest_rank(to_see, 0.5), 3),
                "visible_p99_s": round(nearest_rank(to_see, 0.99), 3), "visible_max_s": round(max(to_see), 3),
                "warmed": warmed, "warm_s": round(warm_s, 3)}  # fmt: skip

    report(work)


def _produce(lines: list[str], per_s: int, out: queue.Queue[Any]) -> None:
    """Put each line on `out` at its due time (line i is due i / per_s seconds after the start), with that
    time, every `TICK_S`; then the end."""
    start, sent = time.perf_counter(), 0
    while sent < len(lines):
        due = min(len(lines), int((time.perf_counter() - start) * per_s) + 1)
        for i in range(sent, due):
            out.put((start + i / per_s, lines[i]))
        sent = due
        time.sleep(TICK_S)
    from ilos.services.stream import END_OF_INPUT

    out.put(END_OF_INPUT)


def _batches(arrivals: queue.Queue[Any], offered_at: deque[list[tuple[float, str]]]) -> Iterator[list[str]]:
    """Micro-batches as `ilos stream` takes them, each batch's (offered time, line) pairs appended to
    `offered_at`."""
    from ilos.services.stream import next_batch

    while taken := next_batch(arrivals, BATCH_LINES, BATCH_WAIT_S):
        offered_at.append(taken)
        yield [line for _, line in taken]


def _visible_at(batch: Any, line: str, saved_at: float) -> float:
    """When a stored line's effect on the admission it ends showed: once stored for a departure carrying
    that admission's number (`_visible_on_storing`), once linked on storing for one repeating an identity
    already linked (ADR 13) or decided (ADR 11; not a self-report, which waits for another source's
    record), else once its
    run had saved its links (`saved_at`; statuses are derived on read, and its announcement comes after)."""
    row = json.loads(line)
    if row.get("evidence") == "SELF_REPORTED":
        return saved_at
    if _ends_by_number(row):
        return float(batch.stored_at)
    uid = f"departures/{row['source_system']}/{row['source_record_id']}"
    if uid in batch.linked_on_storing:
        return float(batch.linked_on_storing_at)
    if uid in batch.decided_on_storing:
        return float(batch.decided_on_storing_at)
    return saved_at


def _visible_on_storing(lines: list[str]) -> float:
    """Share of the lines whose effect on the admission they end shows once stored, before any link:
    departures carrying that admission's number, of evidence verified on its own (not a self-report,
    which waits for another source's record of the same person)."""
    rows = [json.loads(line) for line in lines]
    return round(sum(map(_ends_by_number, rows)) / len(rows), 3) if rows else 0.0


def _ends_by_number(row: dict[str, Any]) -> bool:
    """A departure that ends its admission by the number it carries once stored: not a self-report."""
    return bool(row.get("admission_number")) and row.get("evidence") != "SELF_REPORTED"
