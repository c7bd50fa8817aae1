"""How the benchmarks turn measurements into the figures `docs/benchmarks.md` shows."""

from __future__ import annotations

from benchmarks.admission_status import TARGETS
from benchmarks.admissions.steps import nearest_rank
from benchmarks.report import _status_stream


def test_nearest_rank_percentiles() -> None:
    latencies = [0.3] * 990 + [4.0] * 10
    assert nearest_rank(latencies, 0.99) == 0.3
    assert nearest_rank([*latencies, 4.0], 0.99) == 4.0
    assert nearest_rank([2.0, 1.0, 3.0], 0.5) == 2.0
    assert nearest_rank([5.0], 0.99) == 5.0


def _run(**figures: float) -> dict[str, object]:
    base = {"records": 1000, "batches": 5, "batch_size": 200, "events": 900, "events_per_s": 2500.0,
            "p50_s": 0.1, "max_s": 0.4}  # fmt: skip
    return {"result": {**base, **figures}}


def test_the_stream_target_is_judged_on_the_event_p99_not_the_batch_maximum() -> None:
    met = "\n".join(_status_stream([_run(event_p50_s=0.1, event_p99_s=0.2, seconds=20.0)], TARGETS))
    missed = "\n".join(_status_stream([_run(event_p50_s=0.1, event_p99_s=0.3, seconds=20.0)], TARGETS))
    assert "| 0.20 (≤ 0.25) | 0.40 | yes |" in met
    assert "| 0.30 (≤ 0.25) | 0.40 | **no** |" in missed
    assert "stream for 20 s" in met


def test_results_from_before_the_p99_was_kept_say_so_and_are_judged_on_the_maximum() -> None:
    old = "\n".join(_status_stream([_run()], TARGETS))
    assert "| not kept (≤ 0.25) | 0.40 | **no** |" in old
