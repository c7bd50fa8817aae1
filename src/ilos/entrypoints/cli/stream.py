"""`ilos stream FEED`: JSON Lines on stdin, applied in micro-batches as they arrive; `ilos events`."""

from __future__ import annotations

import json
import queue
import sys
import threading
from typing import Annotated, TextIO

import typer

from ilos.entrypoints.cli.common import Db, app_for, failures_exit
from ilos.entrypoints.cli.data import FEED_HELP, check_feed
from ilos.services.stream import END_OF_INPUT, Accepted, Linked, next_batch, stream_batches


def stream(
    feed_name: Annotated[str, typer.Argument(metavar="FEED", help=FEED_HELP)],
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Most lines stored together.")
    ] = 1000,
    batch_ms: Annotated[
        int, typer.Option("--batch-ms", min=0, help="How long to wait for more lines after the first, in ms.")
    ] = 50,
    db: Db = None,
) -> None:
    """Read events as JSON Lines on stdin (a line may also hold a JSON array of objects, the streaming
    API's body) and apply each micro-batch at once: validated and stored (invalid rows quarantined), and
    visible to every reader from then on; a record that repeats the identity of one already linked is
    linked to its person as it is stored, the others behind it, with every batch stored since the
    last linking run, by a second thread; `departure:verified` events are emitted, by a third, for the
    admissions whose ending departure the linked records verify (once per admission and departure).
    Prints one JSON line per stored batch and per event; ends at end of input, once everything is linked."""
    with failures_exit(), app_for(db) as app:
        check_feed(feed_name)
        pipeline = app.stream_pipeline
        pipeline.warm()  # before the first line is read: the first run costs what later ones do
        lines: queue.Queue[object] = queue.Queue()
        threading.Thread(target=_pump, args=(sys.stdin, lines), daemon=True).start()
        printing = threading.Lock()  # the stored batches and the linked events print from two threads

        def stored(batch: Accepted) -> None:
            r = batch.result
            with printing:
                typer.echo(json.dumps({
                    "type": "batch", "batch_id": r.batch_id, "lines": batch.lines,
                    "outcomes": {o.value: c for o, c in r.outcomes.items()}, "quarantined": r.reasons,
                    "seconds": round(batch.seconds, 4),
                }))  # fmt: skip

        def linked(run: Linked) -> None:
            with printing:
                for event in run.events:
                    typer.echo(json.dumps({"type": "event", **event}))

        batches = iter(lambda: next_batch(lines, batch_size, batch_ms / 1000), [])
        stream_batches(pipeline, feed_name, batches, app.settings.today, stored, linked, "stdin batch")


def _pump(source: TextIO, lines: queue.Queue[object]) -> None:
    for line in source:
        if line.strip():
            lines.put(line.rstrip("\n"))
    lines.put(END_OF_INPUT)


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
