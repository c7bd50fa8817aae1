"""Two processes announcing the same verified departure at the same moment keep one event: the check
for an event already kept and the append are one write transaction under the store's writer lock."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

from ilos.bootstrap import Ilos
from ilos.config import Settings
from ilos.domain.events import DEPARTURE_VERIFIED
from ilos.services.stream import _announce_new
from tests.cli import ilos
from tests.feedfiles import arrival, write_csv

VERIFIED = [{"person_id": "P0000000001", "admission_number": "12345678901", "departure_date": "2026-01-02",
             "evidence": "MANIFEST", "status": "DEPARTED_TIMELY", "sources": "departures/APIS/D1"}]  # fmt: skip


def test_two_announcers_at_once_keep_a_departure_once(store_url: str, tmp_path: Path) -> None:
    assert (
        ilos("ingest", "arrivals", str(write_csv(tmp_path / "a.csv", [arrival("1")])), db=store_url).code == 0
    )
    with Ilos(Settings(), store_url) as app:
        sink = app.event_store
        read_kept = sink.about
        both_read = threading.Barrier(2)

        def about(kind: str, subjects: list[str], after: int = 0) -> list[dict[str, Any]]:
            # each announcer waits (a second at most) for the other to look too: announcers that look
            # before either keeps its event would both keep one
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait(timeout=1)
            return read_kept(kind, subjects, after)

        sink.about = about  # type: ignore[method-assign]
        announced: list[int] = []

        def announce() -> None:
            try:
                announced.append(len(_announce_new(sink, VERIFIED)))
            finally:
                app.reader.close()

        announcers = [threading.Thread(target=announce) for _ in range(2)]
        for t in announcers:
            t.start()
        for t in announcers:
            t.join()
        assert sorted(announced) == [0, 1]
        assert len(read_kept(DEPARTURE_VERIFIED, ["12345678901"])) == 1


def test_an_event_kept_by_another_writer_after_the_first_look_is_not_kept_again(
    store_url: str, tmp_path: Path
) -> None:
    """The first look at what is kept happens before the writer lock is taken; an event another writer
    keeps right after it is found under the lock (by its id, above the greatest one seen before)."""
    assert (
        ilos("ingest", "arrivals", str(write_csv(tmp_path / "a.csv", [arrival("1")])), db=store_url).code == 0
    )
    with Ilos(Settings(), store_url) as app, Ilos(Settings(), store_url) as other:
        sink = app.event_store
        read_kept = sink.about
        looks: list[int] = []

        def about(kind: str, subjects: list[str], after: int = 0) -> list[dict[str, Any]]:
            kept = read_kept(kind, subjects, after)
            looks.append(after)
            if len(looks) == 1:  # another process keeps the same announcement just after the first look
                assert len(_announce_new(other.event_store, VERIFIED)) == 1
            return kept

        sink.about = about  # type: ignore[method-assign]
        assert _announce_new(sink, VERIFIED) == []
        assert len(looks) == 2  # the second look, under the lock, read only what was kept since
        assert len(read_kept(DEPARTURE_VERIFIED, ["12345678901"])) == 1
