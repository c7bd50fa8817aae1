"""What happened to each delivered row, and the totals of one ingest batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """The fate of a delivered row."""

    NEW = "new"  # first version of a record
    CORRECTED = "corrected"  # a new version of a known record
    RETRACTED = "retracted"  # a new version withdrawing the record (retracted=true)
    UNCHANGED = "unchanged"  # an exact re-delivery: nothing stored
    QUARANTINED = "quarantined"  # broke a rule: kept in the quarantine with its reason


@dataclass(frozen=True)
class BatchResult:
    """Totals of one batch: rows by outcome, and quarantined rows by reason."""

    feed: str
    source: str
    batch_id: int | None
    outcomes: dict[Outcome, int]
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """All rows read."""
        return sum(self.outcomes.values())

    @property
    def stored(self) -> int:
        """Rows that became a new version of a record."""
        return sum(self.outcomes.get(o, 0) for o in (Outcome.NEW, Outcome.CORRECTED, Outcome.RETRACTED))


def combine(results: list[BatchResult]) -> tuple[dict[Outcome, int], dict[str, int]]:
    """Sum outcomes and reasons over several batches."""
    outcomes = dict.fromkeys(Outcome, 0)
    reasons: dict[str, int] = {}
    for r in results:
        for o, n in r.outcomes.items():
            outcomes[o] += n
        for reason, n in r.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + n
    return outcomes, dict(sorted(reasons.items()))
