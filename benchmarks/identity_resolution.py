"""Identity-resolution benchmark: accuracy against the generator's truth beside two baselines, speed
and memory at 1M and 3M source records, and incremental linking of a 10,000-record batch."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.datasets import generated_world

#: (persons, seed) of each dataset: about 14 source records per person.
ACCURACY = (15_000, 11)
SCALE = ((75_000, 3, "2.5GB"), (225_000, 4, "5GB"))
BATCH = 10_000
TARGETS = {"precision": 0.999, "recall": 0.99, "seconds_1m": 60, "peak_mib_1m": 4096, "seconds_3m": 180,
           "peak_mib_3m": 8192, "incremental_s": 5, "attach_rate": 0.995}  # fmt: skip


def _child(*args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.identity.steps", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1][:500] if proc.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run() -> dict[str, Any]:
    """Every measurement; figures a step could not produce carry its error instead."""
    with tempfile.TemporaryDirectory(prefix="ilos-identity-models-") as models:
        return _measured(Path(models))


def _measured(models: Path) -> dict[str, Any]:
    """`run`'s measurements, the trained models kept in `models`."""
    out: dict[str, Any] = {"targets": TARGETS}
    persons, seed = ACCURACY
    out["accuracy"] = _child(
        "full", str(generated_world("identity", persons, seed)), "3GB", str(models / "acc.json"), "yes"
    )
    for persons, seed, limit in SCALE:
        folder = generated_world("identity", persons, seed)
        model = models / f"{persons}.json"
        out[f"scale_{persons}"] = _child("full", str(folder), limit, str(model), "no")
        if persons == SCALE[0][0] and model.exists():
            out["incremental"] = _child("incremental", str(folder), limit, str(model), str(BATCH))
    return out
