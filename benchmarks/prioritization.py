"""Prioritization benchmark: worklists of a generated world judged against its true holds, re-ranking one
person, and ranking 1,000,000 persons under each pack beside a floor in the same process."""

from __future__ import annotations

import tempfile
from typing import Any

from benchmarks.datasets import generated_world
from benchmarks.measure import in_child_module

#: (persons, seed) of the world (the admission benchmark's), and the persons ranked at scale.
WORLD = (20_000, 21)
RANKED = 1_000_000
TARGETS = {"rank_s": 10, "rerank_s": 0.02, "held_listed": 0}


def _step(*args: str) -> dict[str, Any]:
    try:
        return in_child_module("benchmarks.priorities.steps", *args)
    except RuntimeError as exc:
        return {"error": str(exc).strip().splitlines()[-1][:500]}


def run() -> dict[str, Any]:
    """Every measurement; a step that fails reports its error."""
    out: dict[str, Any] = {"targets": TARGETS}
    world = str(generated_world("status", *WORLD))
    with tempfile.TemporaryDirectory(prefix="ilos-priorities-") as saved:
        out["world"] = _step("world", world, saved)
        as_of = out["world"].get("result", {}).get("as_of")
        if as_of:
            out["rank"] = _step("rank", saved, str(RANKED), as_of)
    return out
