"""Run one measured step in a fresh child process, so each step's peak memory is its own."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def in_child(step: str, *args: str) -> dict[str, Any]:
    """Run `python -m benchmarks.steps STEP ARGS...` and return what it reported (seconds, peak_mib, ...)."""
    return in_child_module("benchmarks.steps", step, *args)


def in_child_module(module: str, step: str, *args: str) -> dict[str, Any]:
    """Run `python -m MODULE STEP ARGS...` and return what it reported (seconds, peak_mib, ...)."""
    proc = subprocess.run(
        [sys.executable, "-m", module, step, *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"step {step} {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def report(work: Callable[[], Any]) -> None:
    """In the child: time `work`, then print seconds, peak RSS and its result as one JSON line."""
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 3), "peak_mib": round(peak_mib, 1), "result": result}))


@contextmanager
def fresh_postgres_schema(server: str) -> Iterator[str]:
    """The URL of a new, empty schema on the PostgreSQL server `server`, dropped on exit."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server)
    schema = f"ilos_bench_{uuid.uuid4().hex[:8]}"
    try:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            yield f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{schema}"
        finally:
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        engine.dispose()
