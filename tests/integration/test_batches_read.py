"""A long-lived process reads the ids of the batches stored since the last one it read, not every id
again (a stream stores millions of batches): batches commit in id order under the writer lock."""

from __future__ import annotations

from pathlib import Path

from ilos.bootstrap import Ilos
from ilos.config import Settings
from tests.cli import ilos
from tests.feedfiles import arrival, write_csv


def test_a_process_reads_only_the_batches_stored_after_those_it_read(store_url: str, tmp_path: Path) -> None:
    def deliver(name: str, number: str) -> None:
        path = write_csv(tmp_path / f"{name}.csv", [arrival(number)])
        assert ilos("ingest", "--no-resolve", "arrivals", str(path), db=store_url).code == 0

    deliver("first", "1")
    with Ilos(Settings(), store_url) as app:
        asked: list[int] = []
        read = app.reader.batch_feeds

        def batch_feeds(after: int = 0) -> dict[int, str]:
            asked.append(after)
            return read(after)

        app.reader.batch_feeds = batch_feeds  # type: ignore[method-assign]
        first = app.identity_work.records()
        (stored,) = read()
        deliver("second", "2")  # another process stores a batch
        second = app.identity_work.records()
        latest = max(read())
        third = app.identity_work.records()
    assert asked[0] == 0  # the first read reads every batch
    assert asked[1:] == [stored, latest]  # later ones only those above the last one read
    assert first.num_rows == 1
    assert second.num_rows == third.num_rows == 2
