"""`ilos stream FEED`: JSON Lines on stdin, applied in micro-batches as they arrive; `ilos events`."""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from typing import Annotated, TextIO

import typer

from ilos.entrypoints.cli.common import Db, app_for, failures_exit
from ilos.entrypoints.cli.data import FEED_HELP, check_feed
from ilos.services.relatives import resolve_relatives
from ilos.services.stream import StreamPipeline

_EOF = object()


def stream(
    feed_name: Annotated[str, typer.Argument(metavar="FEED", help=FEED_HELP)],
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Most lines applied together.")
    ] = 1000,
    batch_ms: Annotated[
        int, typer.Option("--batch-ms", min=0, help="How long to wait for more lines after the first, in ms.")
    ] = 50,
    db: Db = None,
) -> None:
    """Read events as JSON Lines on stdin (a line may also hold a JSON array of objects, the streaming
    API's body) and apply each micro-batch at once: validated, stored (invalid rows quarantined), linked
    to persons; `departure:verified` events are emitted for the admissions whose ending departure the
    batch verifies (once per admission and departure).
    Prints one JSON line per batch and per event; ends at end of input."""
    with failures_exit(), app_for(db) as app:
        check_feed(feed_name)
        pipeline = StreamPipeline(
            app.loader, app.identity_work, app.identity_store, app.admission_work, app.event_store,
            lambda: resolve_relatives(app.relatives_work, app.relative_store),
        )  # fmt: skip
        pipeline.warm()  # before the first line is read: the first batch costs what later ones do
        lines: queue.Queue[object] = queue.Queue()
        threading.Thread(target=_pump, args=(sys.stdin, lines), daemon=True).start()
        n = 0
        while batch := _next_batch(lines, batch_size, batch_ms / 1000):
            n += 1
            today = app.settings.today()
            done = pipeline.process(feed_name, batch, f"stdin batch {n}", today)
            r = done.result
            typer.echo(json.dumps({
                "type": "batch", "batch_id": r.batch_id, "lines": len(batch),
                "outcomes": {o.value: c for o, c in r.outcomes.items()}, "quarantined": r.reasons,
                "seconds": round(done.seconds, 4),
            }))  # fmt: skip
            for event in done.events:
                typer.echo(json.dumps({"type": "event", **event}))


def _pump(source: TextIO, lines: queue.Queue[object]) -> None:
    for line in source:
        if line.strip():
            lines.put(line.rstrip("\n"))
    lines.put(_EOF)


def _next_batch(lines: queue.Queue[object], size: int, wait_s: float) -> list[str]:
    """Lines for the next batch: blocks for the first, then takes what arrives within `wait_s`."""
    first = lines.get()
    if first is _EOF:
        return []
    batch = [str(first)]
    deadline = time.monotonic() + wait_s
    while len(batch) < size:
        try:
            item = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if item is _EOF:
            lines.put(_EOF)  # end after this batch
            break
        batch.append(str(item))
    return batch


def events(
    kind: Annotated[str | None, typer.Option("--kind", help="Only events of this kind.")] = None,
    after: Annotated[int, typer.Option("--after", help="Only events after this event id.")] = 0,
    db: Db = None,
) -> None:
    """Events ILOS recorded (e.g. departure:verified), oldest first, as JSON Lines."""
    with failures_exit(), app_for(db) as app:
        for row in app.reader.events(kind, after).to_pylist():
            typer.echo(
                json.dumps({**{k: v for k, v in row.items() if k != "payload"}, **json.loads(row["payload"])})
            )
