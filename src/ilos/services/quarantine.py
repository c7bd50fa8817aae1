"""Use case: re-validate quarantined rows after a fix, loading those that now pass."""

from __future__ import annotations

from typing import Any, Protocol

from ilos.domain.feeds import FEEDS
from ilos.domain.outcomes import BatchResult
from ilos.services.ports import RecordStore, Stager


class QuarantineSource(Protocol):
    """Where open quarantined rows come from."""

    def replayable_quarantine(self, feed: Any) -> Any: ...


def replay_quarantine(
    feeds: list[str] | None, source: QuarantineSource, stager: Stager, store: RecordStore
) -> list[BatchResult]:
    """Re-check every open quarantined row (malformed rows excepted) and load the ones that pass.

    Rows that pass are marked resolved by the replay batch; the others stay open, unchanged.
    """
    results = []
    for name in feeds or list(FEEDS):
        feed = FEEDS[name]
        rows = source.replayable_quarantine(feed)
        if rows.num_rows == 0:
            continue
        staged = stager.stage_json(feed, rows, source=f"quarantine replay of {name}")
        try:
            results.append(
                store.commit(
                    staged, origin="replay", resolves=rows.select(["_row"]).rename_columns(["quarantine_id"])
                )
            )
        finally:
            staged.drop()
    return results
