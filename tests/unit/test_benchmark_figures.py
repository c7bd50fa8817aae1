"""How the benchmarks turn measurements into the figures `docs/benchmarks.md` shows."""

from __future__ import annotations

from benchmarks.admission_status import TARGETS
from benchmarks.admissions.steps import nearest_rank
from benchmarks.report import _status_stream
from benchmarks.report_stream import offered_section


def test_nearest_rank_percentiles() -> None:
    latencies = [0.3] * 990 + [4.0] * 10
    assert nearest_rank(latencies, 0.99) == 0.3
    assert nearest_rank([*latencies, 4.0], 0.99) == 4.0
    assert nearest_rank([2.0, 1.0, 3.0], 0.5) == 2.0
    assert nearest_rank([5.0], 0.99) == 5.0


def _run(**figures: float) -> dict[str, object]:
    base = {"records": 14_000_000, "persons": 1_000_000, "batches": 5, "batch_size": 200, "events": 900,
            "events_per_s": 2500.0, "p50_s": 0.1, "max_s": 0.4, "seconds": 300.0}  # fmt: skip
    return {"result": {**base, **figures}}


def _table(*runs: dict[str, object]) -> str:
    return "\n".join(_status_stream(list(runs), TARGETS))


def test_the_stream_target_is_judged_on_the_event_p99_not_the_batch_maximum() -> None:
    met = _table(_run(event_p50_s=0.1, event_p99_s=0.2))
    assert "| 0.10 | 0.20 (≤ 0.25) | 0.40 | yes |" in met
    assert "| 0.10 | 0.30 (≤ 0.25) | 0.40 | **no** |" in _table(_run(event_p50_s=0.1, event_p99_s=0.3))
    assert "streamed for 300 s against 1,000,000 persons" in met


def test_the_stream_target_needs_five_minutes_against_a_million_persons() -> None:
    fast = {"event_p50_s": 0.1, "event_p99_s": 0.2}
    assert "| 0.40 | **no** |" in _table(_run(**fast, seconds=299.0))
    assert "| 0.40 | **no** |" in _table(_run(**fast, persons=20_000))


def test_results_from_before_the_latencies_were_kept_say_so_and_miss_the_target() -> None:
    old = _table({"result": {k: v for k, v in _run()["result"].items() if k not in ("seconds", "persons")}})
    assert "| not kept | not kept (≤ 0.25) | 0.40 | **no** |" in old
    assert "streamed for" not in old


def test_the_first_batch_and_the_events_after_it_are_shown_apart() -> None:
    text = _table(_run(event_p50_s=3.0, event_p99_s=10.0, first_s=10.0, warm_event_p99_s=4.5))
    assert "embedded 5 × 200: 10.00 s, then p99 4.50 s" in text
    assert "built its indexes" not in text
    warmed = _table(
        _run(event_p50_s=3.0, event_p99_s=4.0, first_s=3.5, warm_event_p99_s=4.0, warmed=True, warm_s=7.46)
    )
    assert "built its indexes (7.5 s)" in warmed
    assert "then p99" not in _table(_run(event_p50_s=3.0, event_p99_s=10.0))


def _offered(**figures: float) -> dict[str, object]:
    base = {"store": "embedded", "records": 14_000_000, "persons": 1_000_000, "offered_per_s": 2000,
            "seconds": 300, "events": 600_000, "visible_on_storing": 0.37, "link_runs": 900,
            "run_lines_p50": 400, "run_lines_max": 900, "stored_per_s": 2000.0, "linked_per_s": 2000.0,
            "store_p50_s": 0.05, "store_p99_s": 0.1, "link_p50_s": 0.1, "link_p99_s": 0.2,
            "link_max_s": 0.3, "linked_on_storing": 0.35, "decided_on_storing": 0.05, "visible_p50_s": 0.08,
            "visible_p99_s": 0.2, "visible_max_s": 0.3}  # fmt: skip
    return {"result": {**base, **figures}}


def _offered_table(*runs: dict[str, object]) -> str:
    return "\n".join(offered_section(list(runs), TARGETS))


def test_the_offered_stream_is_judged_on_the_time_to_its_effect_not_to_store_or_link() -> None:
    assert "| 35% (5%) | 0.08 | 0.20 (≤ 0.25) | 0.30 | yes |" in _offered_table(_offered())
    slow_effect = _offered_table(_offered(store_p99_s=0.1, link_p99_s=0.2, visible_p99_s=0.3))
    assert "| 0.30 (≤ 0.25) | 0.30 | **no** |" in slow_effect
    assert "| yes |" in _offered_table(_offered(link_p99_s=9.0))  # the run behind: effects shown before


def test_the_offered_stream_needs_the_rate_linked_for_five_minutes_against_a_million_persons() -> None:
    for short in ({"linked_per_s": 1999.0}, {"offered_per_s": 1000}, {"seconds": 299}, {"persons": 20_000}):
        assert "| **no** |" in _offered_table(_offered(**short)), short


def test_a_failed_offered_run_is_named_beside_those_measured() -> None:
    text = _offered_table(_offered(), {"error": "store went away"})
    assert "Not measured: store went away." in text
    assert "(37% of these)" in text
