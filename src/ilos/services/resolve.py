"""Use case: resolve every record in force to a person, keeping person ids stable between runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

#: Below this many records the shipped default model is used; above it the model is trained on the data.
MIN_TRAINING_RECORDS = 50_000


class Resolver(Protocol):
    """The identity-resolution engine (Splink, in the adapters)."""

    def train(self, records: Any) -> dict[str, Any]: ...

    members: Any  # record -> representative of its identity signature, from the last `score`

    def score(self, records: Any) -> Any: ...

    def cluster(self, records: Any, pairs: Any) -> Any: ...


class IdentityState(Protocol):
    """What persists between runs."""

    def latest_model(self) -> tuple[int, dict[str, Any]] | None: ...

    def save_model(self, model: dict[str, Any], trained_on: int) -> int: ...

    def next_sequence(self) -> int: ...

    def save_run(
        self, mode: str, model_id: int | None, started: str, records: Any, assignment: Any, review: Any
    ) -> int: ...


class IdentityWork(Protocol):
    """Set-at-a-time steps around the engine: reading records, constraints, stable ids."""

    def records(self) -> Any: ...

    def previous_links(self) -> Any: ...

    def apply_decisions(self, pairs: Any, members: Any) -> Any:
        """Reviewers' decisions, kept from earlier runs, replace the model's."""

    def assign(self, clusters: Any, previous: Any, records: Any, next_sequence: int) -> Any: ...

    def review_pairs(self, pairs: Any, clusters: Any) -> Any:
        """Undecided pairs whose records the run left apart: a reviewer's decision would change a person."""

    def resolver(self, model: dict[str, Any] | None) -> Resolver: ...


@dataclass(frozen=True)
class ResolutionSummary:
    """What a run did."""

    run_id: int
    records: int
    persons: int
    merges: int
    splits: int
    review_pairs: int
    model_id: int | None
    trained: bool


def resolve_all(work: IdentityWork, state: IdentityState, retrain: bool = False) -> ResolutionSummary:
    """Score and cluster every record in force, then carry person ids over from the last run."""
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    records = work.records()
    saved = state.latest_model()
    model_id, model = saved if saved else (None, None)
    trained = retrain or (saved is None and records.num_rows >= MIN_TRAINING_RECORDS)
    if trained:
        model = work.resolver(model).train(records)
        model_id = state.save_model(model, records.num_rows)
    resolver = work.resolver(model)
    pairs = work.apply_decisions(resolver.score(records), resolver.members)
    clusters = resolver.cluster(records, pairs)
    assignment = work.assign(clusters, work.previous_links(), records, state.next_sequence())
    review = work.review_pairs(pairs, clusters)
    run_id = state.save_run("full", model_id, started, records, assignment, review)
    persons = len(set(assignment.links.column("person_id").to_pylist()))
    return ResolutionSummary(
        run_id, records.num_rows, persons, assignment.merges.num_rows, assignment.splits.num_rows,
        review.num_rows, model_id, trained,
    )  # fmt: skip
