"""Admission-status benchmark: accuracy against the generator's truth (with ILOS's own identity links,
and with the true persons), report rates beside the truth's, and the batch engine on 5,000,000
admissions beside a bare DuckDB as-of join of the same admissions and departures."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from benchmarks.datasets import generated_world
from benchmarks.measure import fresh_postgres_schema, in_child_module

#: (persons, seed) of the world judged for accuracy, and the one replicated for the batch.
ACCURACY = (20_000, 21)
BATCH = (20_000, 21, 5_000_000)
#: Micro-batches streamed one after another, each linked before the next (`StreamPipeline.process`),
#: and lines per batch.
STREAM = ("5", "200")
#: Departures offered a second, and for how many seconds: the target's rate, and one the linking keeps
#: up with at this size (`offered`: stored at once, linked behind).
OFFERED = ("2000", "5")
OFFERED_STEADY = ("100", "30")
#: (persons, seed) of a larger world the target's rate is offered to as well, to show what grows with the
#: store (a million persons is out of reach of a benchmark run here)
OFFERED_LARGE_WORLD = (100_000, 21)
TARGETS = {
    "wrong_share": 0.001,
    "rate_pp": 0.02,
    "rate_min_expected": 100_000,
    "batch_s": 15,
    "batch_ratio": 5,
    "stream_events_per_s": 2000,
    "stream_p99_s": 0.25,
}


def _step(*args: str) -> dict[str, Any]:
    try:
        return in_child_module("benchmarks.admissions.steps", *args)
    except RuntimeError as exc:
        return {"error": str(exc).strip().splitlines()[-1][:500]}


def run() -> dict[str, Any]:
    """Every measurement; a step that fails reports its error."""
    out: dict[str, Any] = {"targets": TARGETS}
    world = str(generated_world("status", *ACCURACY))
    out["accuracy"] = _step("accuracy", world)
    persons, seed, admissions = BATCH
    with tempfile.TemporaryDirectory(prefix="ilos-status-batch-") as inputs:
        batch_world = str(generated_world("status", persons, seed))
        _step("batch_inputs", batch_world, str(admissions), inputs)
        out["batch"] = _step("batch", batch_world, inputs)
    out["offered"] = _step("offered", world, *OFFERED)
    out["offered_steady"] = _step("offered", world, *OFFERED_STEADY)
    out["offered_large"] = _step("offered", str(generated_world("status", *OFFERED_LARGE_WORLD)), *OFFERED)
    server = os.environ.get("ILOS_BENCH_POSTGRES_URL") or os.environ.get("ILOS_TEST_POSTGRES_URL")
    if server:
        with fresh_postgres_schema(server) as url:
            out["offered_postgres"] = _step("offered", world, *OFFERED, url)
    out["stream"] = _step("stream", world, *STREAM)
    return out
