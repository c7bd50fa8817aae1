"""`LinkBehind` and `stream_batches`: batches are accepted while a second thread links, each run taking
every batch accepted since the last, a third announces behind it, and a failed run is raised, not lost."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import cast

import pytest

from ilos.domain.outcomes import BatchResult, Outcome
from ilos.services.stream import Accepted, LinkBehind, Linked, StreamPipeline, stream_batches

TODAY = date(2026, 12, 1)


def accepted(n: int, stored: int = 1) -> Accepted:
    result = BatchResult("departures", f"batch {n}", n, {Outcome.NEW: stored})
    return Accepted(result, stored, [f"departures/APIS/{n}"] * stored, [])


class Gated:
    """A linker whose first run waits until the test opens the gate, recording what each run took."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.gate = threading.Event()
        self.running = threading.Event()
        self.runs: list[list[int]] = []
        self.released: list[str] = []
        self.fail_on = fail_on

    def link(self, batches: list[Accepted], today: date) -> Linked:
        self.running.set()
        self.gate.wait(5)
        ids = [b.result.batch_id or 0 for b in batches]
        if self.fail_on in ids:
            raise RuntimeError("store went away")
        self.runs.append(ids)
        return Linked(batches, None)

    def release_thread(self) -> object:
        self.released.append(threading.current_thread().name)
        return None


def test_batches_accepted_during_a_run_are_linked_together_by_the_next_one() -> None:
    linker, seen = Gated(), []
    behind = LinkBehind(linker, lambda: TODAY, seen.append)
    behind.submit(accepted(1))
    assert linker.running.wait(5)  # the first run is under way, holding batch 1
    for n in (2, 3, 4):
        behind.submit(accepted(n))
    linker.gate.set()
    behind.close()
    assert linker.runs == [[1], [2, 3, 4]]
    assert [[b.result.batch_id for b in run.batches] for run in seen] == linker.runs
    assert linker.released == ["ilos-link-behind"]  # its reading connection closed by the thread itself


def test_a_batch_that_stored_nothing_starts_no_run() -> None:
    linker = Gated()
    linker.gate.set()
    behind = LinkBehind(linker, lambda: TODAY, lambda run: None)
    behind.submit(accepted(1, stored=0))
    behind.close()
    assert linker.runs == []


def test_a_failed_run_is_raised_by_the_next_submit_and_by_close() -> None:
    linker = Gated(fail_on=1)
    linker.gate.set()
    behind = LinkBehind(linker, lambda: TODAY, lambda run: None)
    behind.submit(accepted(1))
    behind._thread.join(5)  # the run failed and the thread ended
    with pytest.raises(RuntimeError, match="store went away"):
        behind.submit(accepted(2))
    with pytest.raises(RuntimeError, match="store went away"):
        behind.close()
    assert linker.released == ["ilos-link-behind"]


class Announcing:
    """A pipeline for `stream_batches` whose announcements wait until the test opens the gate, recording
    which runs each announcement took and when each run's links were saved."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.announcing = threading.Event()
        self.saved: list[list[int]] = []
        self.announced: list[list[list[int]]] = []
        self.threads: set[str] = set()

    def accept(self, feed_name: str, lines: list[str], name: str, repeats: bool = True) -> Accepted:
        return accepted(int(lines[0]))

    def link_repeats(self, batches: list[Accepted]) -> Linked:
        return Linked(batches, None)

    def link_decided(self, batches: list[Accepted]) -> Linked:
        return Linked(batches, None)

    def save_links(self, batches: list[Accepted]) -> Linked:
        self.saved.append([b.result.batch_id or 0 for b in batches])
        return Linked(batches, None, saved_at=float(len(self.saved)))

    def announce(self, runs: list[Linked], today: date) -> list[Linked]:
        self.threads.add(threading.current_thread().name)
        self.announcing.set()
        self.gate.wait(5)
        self.announced.append([[b.result.batch_id or 0 for b in run.batches] for run in runs])
        runs[-1].events = [{"runs": len(runs)}]
        return runs

    def release_thread(self) -> object:
        return None


def test_runs_go_on_saving_links_while_the_thread_behind_announces_them() -> None:
    """The linking thread hands each saved run to the announcing thread and goes on; runs saved while
    an announcement is made are announced together by the next, and every run reaches `on_linked`."""
    pipeline, seen = Announcing(), []

    def batches() -> Iterator[list[str]]:
        yield ["1"]
        assert pipeline.announcing.wait(5)  # run 1 is saved and its announcement waits
        for n in (2, 3):
            yield [str(n)]
            deadline = time.monotonic() + 5
            while [n] not in pipeline.saved and time.monotonic() < deadline:
                time.sleep(0.01)
        pipeline.gate.set()

    stream_batches(cast(StreamPipeline, pipeline), "departures", batches(), lambda: TODAY,
                   lambda batch: None, seen.append)  # fmt: skip
    assert pipeline.saved == [[1], [2], [3]]  # saved while the first announcement waited
    assert pipeline.announced == [[[1]], [[2], [3]]]
    assert [[b.result.batch_id for b in run.batches] for run in seen] == [[1], [2], [3]]
    assert [run.events for run in seen] == [[{"runs": 1}], [], [{"runs": 2}]]
    assert pipeline.threads == {"ilos-announce-behind"}
