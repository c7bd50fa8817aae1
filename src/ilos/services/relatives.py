"""Use case: resolve the relatives named in `relationships` to persons, after a resolution run.

Later rules ("U.S.-citizen spouse or child") and plans that keep families together read the result.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

#: How a relative was resolved, in the order the steps are tried.
MATCHES = ("a_number", "name_and_birth_date", "ambiguous", "not_held")


class RelativesWork(Protocol):
    """Set-at-a-time step: the relationships in force, their subjects and relatives resolved to persons."""

    def relatives(self) -> Any:
        """One row per relationship in force (columns of `ilos.adapters.duck.relatives.COLUMNS`)."""


class RelativesState(Protocol):
    """Where the result is kept."""

    def latest_run(self) -> int | None: ...

    def save_relatives(self, run_id: int, relatives: Any) -> None: ...


@dataclass(frozen=True)
class RelativesSummary:
    """What resolving relatives found."""

    run_id: int
    relationships: int
    matches: dict[str, int]


def resolve_relatives(work: RelativesWork, store: RelativesState) -> RelativesSummary | None:
    """Resolve every relationship's relative to the persons of the latest resolution run and keep
    the result; None (and nothing kept) when no resolution has run yet."""
    run_id = store.latest_run()
    if run_id is None:
        return None
    relatives = work.relatives()
    store.save_relatives(run_id, relatives)
    counts = Counter(relatives.column("match").to_pylist())
    return RelativesSummary(run_id, relatives.num_rows, {m: counts.get(m, 0) for m in MATCHES})
