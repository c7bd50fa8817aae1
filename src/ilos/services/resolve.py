"""Use case: resolve every record in force to a person, keeping person ids stable between runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ilos.services.errors import IlosError

#: Below this many records the shipped default model is used; above it the model is trained on the data.
MIN_TRAINING_RECORDS = 50_000


class Resolver(Protocol):
    """The identity-resolution engine (Splink, in the adapters)."""

    def train(self, records: Any) -> dict[str, Any]: ...

    members: Any  # record -> representative of its identity signature, from the last `score`

    def score(self, records: Any) -> Any: ...

    def cluster(self, records: Any, pairs: Any, unscored: Any = None) -> Any:
        """Clusters of `records` by `pairs`, placed among with the `unscored` records (`IdentityWork.unscored`)
        in the clusters they keep."""


class IdentityState(Protocol):
    """What persists between runs."""

    def latest_model(self) -> tuple[int, dict[str, Any]] | None: ...

    def next_sequence(self) -> int: ...

    def save_run(
        self,
        mode: str,
        model_id: int | None,
        started: str,
        records: Any,
        assignment: Any,
        review: Any,
        withdrawn: Any = None,
        new_model: tuple[dict[str, Any], int] | None = None,
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

    def withdrawn_links(
        self, records: Any, links: Any, model: dict[str, Any] | None, everything: bool = False
    ) -> Any:
        """The persons of records withdrawn (retracted) before any run linked them, from their last version
        before the retraction: kept as retired links for answers known before it."""

    def link_state(self) -> Any: ...

    def affected(self, records: Any, state: Any, resolver: Resolver) -> Any:
        """Records an incremental run must re-resolve (None: a full run is needed)."""

    def unscored(self) -> Any:
        """Records of components the incremental run under way places among as they are, not scored again
        (their `joined(subset)` are the subset and they), or None."""

    def merge_assignment(self, records: Any, state: Any, subset: Any, assignment: Any) -> Any: ...

    def saved(self, run_id: int, links: Any) -> None:
        """The run `run_id` was kept with these links (record_uid, person_id, component)."""

    def warm(self, model: dict[str, Any] | None) -> bool:
        """Read and build what a long-lived process keeps between runs, before its first; whether it did."""


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
    resolved: int = 0  # records re-resolved (all of them in a full run)


def resolve_incremental(work: IdentityWork, state: IdentityState) -> ResolutionSummary:
    """Link new and changed records to persons without re-resolving the whole population.

    Falls back to `resolve_all` when there is no earlier run to build on, or when the store has grown
    large enough to train a model and none is saved yet. Gives the same persons as `resolve_all`.
    """
    started = _now()
    records = work.records()
    saved = state.latest_model()
    if saved is None and records.num_rows >= MIN_TRAINING_RECORDS:
        return resolve_all(work, state)
    model_id, model = saved if saved else (None, None)
    resolver = work.resolver(model)
    links = work.link_state()
    subset = work.affected(records, links, resolver)
    if subset is None:
        return resolve_all(work, state)
    pairs = work.apply_decisions(resolver.score(subset), resolver.members)
    unscored = work.unscored()
    clusters = resolver.cluster(subset, pairs, unscored)
    placed = subset if unscored is None else unscored.joined(subset)
    previous = links.select(["record_uid", "person_id"])
    assignment = work.assign(clusters, previous, placed, state.next_sequence())
    merged = work.merge_assignment(records, links, placed, assignment)
    review = work.review_pairs(pairs, clusters)
    withdrawn = work.withdrawn_links(records, merged, model)
    run_id = state.save_run("incremental", model_id, started, records, merged, review, withdrawn)
    work.saved(run_id, merged.links)
    return _summary(run_id, records, merged, review, model_id, trained=False, resolved=subset.num_rows)


def warm(work: IdentityWork, state: IdentityState) -> bool:
    """Prepare a long-lived process (the stream) for its first incremental run: what that run would read
    and build from the whole store (records, links, the signature and blocking indexes, trip keys) is
    read and built now, with the saved model, so the first batch costs what later ones do. Whether the
    store was ready for it (no record pending since the last run)."""
    saved = state.latest_model()
    return work.warm(saved[1] if saved else None)


def resolve_all(work: IdentityWork, state: IdentityState, retrain: bool = False) -> ResolutionSummary:
    """Score and cluster every record in force, then carry person ids over from the last run."""
    started = _now()
    records = work.records()
    saved = state.latest_model()
    model_id, model = saved if saved else (None, None)
    trained = retrain or (saved is None and records.num_rows >= MIN_TRAINING_RECORDS)
    resolver = work.resolver(model)
    if trained:
        model = _trained(resolver, records)
    pairs = work.apply_decisions(resolver.score(records), resolver.members)
    clusters = resolver.cluster(records, pairs)
    assignment = work.assign(clusters, work.previous_links(), records, state.next_sequence())
    review = work.review_pairs(pairs, clusters)
    withdrawn = work.withdrawn_links(records, assignment, model, everything=True)
    # a new model is kept with the run it resolved, in one transaction: a failing model serves no later run
    new_model = (model, records.num_rows) if trained and model is not None else None
    run_id = state.save_run("full", model_id, started, records, assignment, review, withdrawn, new_model)
    if new_model is not None:
        saved_now = state.latest_model()
        model_id = saved_now[0] if saved_now else None
    work.saved(run_id, assignment.links)
    return _summary(run_id, records, assignment, review, model_id, trained, resolved=records.num_rows)


def _trained(resolver: Resolver, records: Any) -> dict[str, Any]:
    """A model trained on `records`, or IlosError saying why training failed (the saved model stays)."""
    try:
        return resolver.train(records)
    except Exception as exc:  # the engine's own errors (EM that cannot converge, too few pairs, ...)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise IlosError(
            f"training a model on {len(records)} records failed: {reason}; the saved model is unchanged"
        ) from None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _summary(
    run_id: int,
    records: Any,
    assignment: Any,
    review: Any,
    model_id: int | None,
    trained: bool,
    resolved: int,
) -> ResolutionSummary:
    persons = assignment.persons
    if persons is None:  # not counted by the run
        persons = len(assignment.links.column("person_id").unique())
    return ResolutionSummary(
        run_id, records.num_rows, persons, assignment.merges.num_rows, assignment.splits.num_rows,
        review.num_rows, model_id, trained, resolved,
    )  # fmt: skip
