"""Use case: load feed files into the record store, each file in one atomic batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ilos.domain.feeds import feed as feed_named
from ilos.domain.outcomes import BatchResult
from ilos.services.ports import Loader, Progress

#: Called as each file starts loading; returns a callback told how many rows were stored.
OnFile = Callable[[Path], Progress | None]


def ingest_files(
    feed_name: str, paths: Sequence[Path], loader: Loader, on_file: OnFile | None = None
) -> list[BatchResult]:
    """Check that every file can be read, then load them one by one.

    A file either loads completely (valid rows stored, invalid rows quarantined) or not at all.
    """
    feed = feed_named(feed_name)
    for path in paths:
        loader.preflight(feed, path)
    results = []
    for path in paths:
        progress = on_file(path) if on_file else None
        results.append(loader.load(loader.open_file(feed, path), origin="file", progress=progress))
    return results
