"""Stored batches' new signatures linked as the next run will link them, when that is certain (ADR 11).

Called for stored batches in storing order, on the snapshot the linking side published
(`LinkedSignatures`): the batches' records that repeat no indexed signature are nodes
(`new_signatures`), scored against the index and against the nodes of earlier batches no run has linked
yet (the pending ones: the next run resolves them with these), and `new_links.decide` names the nodes
whose person is certain. A pending node counts as a node of the batch: one with a pair to a new node
keeps it undecided, and two that touch one component leave both to the run. Only a node whose records
are all new (no correction of a linked record) and whose signature the index does not hold is linked,
each record resting on the signature of its component it matches best (its anchor): the store writes
the link only while no run has been saved since the snapshot's and the anchor's link is the snapshot's
(`IdentityStore.link_on_storing`). Past MAX_PENDING nodes, without the run's facts, or under a new
model, batches are not scored: nothing is decided then until a run has linked their records.

What the pending nodes cannot show: records a run links that were stored by another process (not
through this stream), whose pairs with the pending nodes were never scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.identity.new_links import decide
from ilos.adapters.identity.new_signatures import SCORED_PAIRS, NewSignatureScorer, Scored, nodes_of, twinned
from ilos.adapters.identity.repeats import FOUND_SCHEMA, LinkedSignatures, placeable
from ilos.adapters.identity.scoring import SIGNATURE
from ilos.adapters.identity.signature import signature_key
from ilos.adapters.kept_tables import among_sorted

#: Most nodes pending and new at once: past it a batch is left to the runs (scoring and deciding against
#: thousands of pending nodes would make the thread that links repeats fall behind the stream).
MAX_PENDING = 2_000


@dataclass
class _Pending:
    """A node of an earlier batch no run has linked: its records, and whether it has a twins pair."""

    node: dict[str, Any]
    records: list[str]
    twinned: bool


@dataclass
class DecidedOnStoring:
    """The links of new signatures decided as their batches are stored (one storing thread's)."""

    _scorer: NewSignatureScorer | None = None
    _model_id: int | None = None
    _pending: dict[str, _Pending] = field(default_factory=dict)
    #: The pairs of the pending nodes (each once), with the index's signatures and with each other.
    _pairs: pa.Table = field(default_factory=SCORED_PAIRS.empty_table)
    #: Records of earlier batches whose nodes were not scored (too many pending, no facts, a new model):
    #: nothing is decided until a run has linked every one of them.
    _unscored: set[str] = field(default_factory=set)

    def close(self) -> None:
        if self._scorer is not None:
            self._scorer.close()

    def found(
        self,
        snapshot: LinkedSignatures,
        model: tuple[int | None, dict[str, Any]],
        records: list[dict[str, Any]],
        repeats: set[str],
    ) -> pa.Table:
        """The links (`FOUND_SCHEMA`) of the batch's `records` (resolver input) the run will certainly
        make, given the uids of those linked as repeats; `model`: the saved model (id, model) the runs use.
        None (an empty table) while records of earlier batches left unscored wait for a run."""
        scorer = self._scorer_for(*model)
        self._forget_linked(snapshot)
        nodes, members = nodes_of(r for r in records if r["record_uid"] not in repeats)
        if (
            self._unscored
            or snapshot.blocking is None
            or snapshot.facts is None
            or (len(self._pending) + len(nodes) > MAX_PENDING)
        ):  # left to the runs: until they have linked these, no node can be known to be alone
            self._unscored |= set(members)
            return FOUND_SCHEMA.empty_table()
        scored = scorer.score(nodes, snapshot.feat, snapshot.blocking)
        pending = list(self._pending.values())
        with_pending = scorer.score_with(nodes, [p.node for p in pending], snapshot.feat)
        together = Scored(
            nodes + [p.node for p in pending],
            pa.concat_tables([scored.pairs, with_pending, self._pairs]),
            scored.undecided
            | twinned(with_pending, {n["record_uid"] for n in nodes} | set(self._pending))
            | {p.node["record_uid"] for p in pending if p.twinned},
        )
        linked = _linked_uids(snapshot, [r["record_uid"] for r in records])
        of_node = _records_of_nodes(nodes, members)
        decidable = {
            uid
            for node in nodes
            if not placeable(node)
            and not snapshot.holds(signature_key(node))
            and not linked & set(of_node[uid := node["record_uid"]])
        }
        persons = decide(
            together, lambda uids: _links(snapshot, uids), lambda cs: _facts(snapshot, cs), decidable
        )
        self._remember(nodes, of_node, scored, with_pending)
        return _found(snapshot, together.pairs, persons, of_node, {r["record_uid"]: r for r in records})

    def _scorer_for(self, model_id: int | None, model: dict[str, Any]) -> NewSignatureScorer:
        """The scorer of the runs' model; under a new one, the pending nodes' pairs are unknown: their records
        are left to the runs (`_unscored`)."""
        if self._scorer is None or model_id != self._model_id:
            self.close()
            self._scorer, self._model_id = NewSignatureScorer(model), model_id
            self._unscored |= {uid for pending in self._pending.values() for uid in pending.records}
            self._pending, self._pairs = {}, SCORED_PAIRS.empty_table()
        return self._scorer

    def _forget_linked(self, snapshot: LinkedSignatures) -> None:
        """Drop the pending nodes a run has linked (a record of theirs is in the snapshot's link state), and
        the pairs that touch no pending node any more (a pending node's pair with one linked since stays:
        it touches that node's component now)."""
        self._unscored -= _linked_uids(snapshot, list(self._unscored))
        if not self._pending:
            return
        linked = _linked_uids(
            snapshot, [uid for pending in self._pending.values() for uid in pending.records]
        )
        self._pending = {
            uid: pending for uid, pending in self._pending.items() if not linked & set(pending.records)
        }
        still = pa.array(sorted(self._pending), pa.string())
        pairs = self._pairs
        self._pairs = pairs.filter(
            pc.or_(
                pc.is_in(pairs.column("record_uid_l"), still), pc.is_in(pairs.column("record_uid_r"), still)
            )
        )

    def _remember(
        self,
        nodes: list[dict[str, Any]],
        of_node: Mapping[str, list[str]],
        scored: Scored,
        with_pending: pa.Table,
    ) -> None:
        """Keep the batch's nodes as pending, with their pairs."""
        for node in nodes:
            uid = node["record_uid"]
            self._pending[uid] = _Pending(node, of_node[uid], uid in scored.undecided)
        self._pairs = pa.concat_tables([self._pairs, scored.pairs, with_pending])


def _records_of_nodes(
    nodes: list[dict[str, Any]], members: Mapping[str, tuple[Any, ...]]
) -> dict[str, list[str]]:
    """The records each node holds, by node uid."""
    uid_of = {tuple(node[c] for c in SIGNATURE): node["record_uid"] for node in nodes}
    of_node: dict[str, list[str]] = {node["record_uid"]: [] for node in nodes}
    for record_uid, values in members.items():
        of_node[uid_of[values]].append(record_uid)
    return of_node


def _state_rows(snapshot: LinkedSignatures, uids: list[str]) -> list[dict[str, Any]]:
    """The snapshot's links of `uids` (those it has)."""
    rows = among_sorted(snapshot.state, "record_uid", pa.array(sorted(set(uids)), pa.string()), share=0)
    return list(rows.to_pylist())


def _linked_uids(snapshot: LinkedSignatures, uids: list[str]) -> set[str]:
    return {row["record_uid"] for row in _state_rows(snapshot, uids)}


def _links(snapshot: LinkedSignatures, uids: list[str]) -> dict[str, tuple[str, str] | None]:
    found = {row["record_uid"]: (row["person_id"], row["component"]) for row in _state_rows(snapshot, uids)}
    return {uid: found.get(uid) for uid in uids}


def _facts(snapshot: LinkedSignatures, components: list[str]) -> dict[str, dict[str, Any]]:
    facts = snapshot.facts
    if facts is None:
        return {}
    rows = among_sorted(facts, "component", pa.array(components, pa.string()), share=0).to_pylist()
    return {row["component"]: row for row in rows}


def _found(
    snapshot: LinkedSignatures,
    pairs: pa.Table,
    persons: Mapping[str, str],
    of_node: Mapping[str, list[str]],
    records: Mapping[str, Mapping[str, Any]],
) -> pa.Table:
    """Each decided node's records, resting on the signature of its person it is linked to most strongly."""
    if not persons:
        return FOUND_SCHEMA.empty_table()
    best: dict[str, tuple[float, str]] = {}
    for pair in pairs.to_pylist():
        if pair["decision"] != "link":
            continue
        for mine, other in (
            (pair["record_uid_l"], pair["record_uid_r"]),
            (pair["record_uid_r"], pair["record_uid_l"]),
        ):
            if (
                mine in persons
                and other not in of_node
                and pair["match_weight"] > best.get(mine, (-1e300, ""))[0]
            ):
                best[mine] = (pair["match_weight"], other)
    anchors = {
        row["record_uid"]: row for row in _state_rows(snapshot, [anchor for _, anchor in best.values()])
    }
    rows = []
    for uid, (_, anchor) in sorted(best.items()):
        link = anchors[anchor]
        for record_uid in of_node[uid]:
            record = records[record_uid]
            rows.append({
                "record_uid": record_uid, "feed": record["feed"], "source_system": record["source_system"],
                "source_record_id": record["source_record_id"], "anchor_uid": anchor,
                "person_id": link["person_id"], "anchor_hash": link["identity_hash"],
            })  # fmt: skip
    return pa.Table.from_pylist(rows, FOUND_SCHEMA)
