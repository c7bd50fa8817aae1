"""`make bench`: run the benchmarks, write benchmarks/results/<name>.json and the table in docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import admission_status, identity_resolution, ingest_arrivals, prioritization
from benchmarks.report import render

RESULTS = Path(__file__).parent / "results"
DOC = Path(__file__).parent.parent / "docs" / "benchmarks.md"
BENCHMARKS = {
    "admission_status": admission_status.run,
    "identity_resolution": identity_resolution.run,
    "ingest_arrivals": ingest_arrivals.run,
    "prioritization": prioritization.run,
}


def main() -> None:
    """Run the selected benchmarks and refresh the results and the documentation table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in args.only or BENCHMARKS:
        print(f"running {name} ...", flush=True)
        result: dict[str, Any] = {
            "name": name,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": _cpus(), "python": platform.python_version(), "system": platform.platform()},
            **BENCHMARKS[name](),
        }
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        print(json.dumps(result, indent=2))
    DOC.write_text(render(RESULTS))
    print(f"wrote {DOC}")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
