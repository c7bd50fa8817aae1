"""Use case: load feed files into the record store, each file in one atomic batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ilos.domain.feeds import feed as feed_named
from ilos.domain.outcomes import BatchResult
from ilos.services.ports import Progress, RecordStore, Stager

#: Called once a file is staged, with its path and the number of rows that will be stored or quarantined.
OnStaged = Callable[[Path, int], Progress | None]


def ingest_files(
    feed_name: str,
    paths: Sequence[Path],
    stager: Stager,
    store: RecordStore,
    on_staged: OnStaged | None = None,
) -> list[BatchResult]:
    """Check every file can be read, then stage and commit them one by one.

    A file either loads completely (valid rows stored, invalid rows quarantined) or not at all.
    """
    feed = feed_named(feed_name)
    for path in paths:
        stager.preflight(feed, path)
    results = []
    for path in paths:
        staged = stager.stage_file(feed, path)
        try:
            progress = on_staged(path, staged.count("_fail IS NULL")) if on_staged else None
            results.append(store.commit(staged, origin="file", progress=progress))
        finally:
            staged.drop()
    return results
