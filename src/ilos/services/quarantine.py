"""Use case: re-check quarantined rows after a fix, loading those that now pass."""

from __future__ import annotations

from typing import Any, Protocol

from ilos.domain.feeds import FEEDS, Feed
from ilos.domain.outcomes import BatchResult
from ilos.services.ports import Loader


class QuarantineSource(Protocol):
    """Where open quarantined rows come from."""

    def replayable_quarantine(self, feed: Feed) -> Any:
        """Open rows of `feed` as (`_row` = quarantine id, `line` = the row as delivered, JSON)."""


def replay_quarantine(
    feeds: list[str] | None, quarantine: QuarantineSource, loader: Loader
) -> list[BatchResult]:
    """Re-check every open quarantined row (unparseable rows excepted); load the ones that pass.

    Rows that pass are marked resolved by the replay's batch; the others stay open, unchanged.
    """
    results = []
    for name in feeds or list(FEEDS):
        feed = FEEDS[name]
        rows = quarantine.replayable_quarantine(feed)
        if rows.num_rows == 0:
            continue
        source = loader.open_json_rows(feed, rows, f"quarantine replay of {name}")
        resolves = rows.select(["_row"]).rename_columns(["quarantine_id"])
        results.append(loader.load(source, origin="replay", resolves=resolves))
    return results
