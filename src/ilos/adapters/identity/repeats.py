"""Records linked as they are stored: a new record that repeats the identity signature of records
already linked joins their person at once, as the next incremental run will link it (ADR 13).

Signatures are the nodes scoring and clustering see (`scoring.prepare`): records equal on every
`SIGNATURE` column are one node, named by its smallest record uid and carrying the union of their
admission numbers. A new record equal to an indexed signature that brings no number the signature
lacks adds no node, no pair and no number: every pair and cluster stays as the last run left it, and
the record takes its signature's cluster, the person of the signature's representative. This is the
incremental run's own rule for such records (`incremental._repeats`), applied when the record is
stored instead of when the run links it. It is not applied to:

- a record with a smaller uid than the representative (it would rename the node, and the clustering
  breaks ties by node order);
- a record a trip may place (no birth date, A-number or admission number): members of such a signature
  can be placed apart, each by its own day (`trips`);
- a record the link state already links (a correction: its old signature and link are the run's to
  change).

The snapshot (`LinkedSignatures`) is the signature index and link state a run left, published by the
linking thread; a stored record's signature is computed in Python (`signature`, held equal to the SQL
features by its tests) and looked up by key. The store writes a link only while the representative's
link is the one the snapshot saw (`IdentityStore.link_on_storing`), and a run removes the links made on
storing that rest on a link it replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ilos.adapters.identity.blocking_keys import BlockingKeys
from ilos.adapters.identity.pair_features import SCORED
from ilos.adapters.identity.scoring import SIGNATURE, SIGNATURE_KEY
from ilos.adapters.identity.signature import signature_key, signature_of
from ilos.adapters.kept_tables import among_sorted

#: What `LinkedSignatures.find` returns, and `IdentityStore.link_on_storing` writes.
FOUND_SCHEMA = pa.schema(
    [(c, pa.string()) for c in ("record_uid", "feed", "source_system", "source_record_id", "anchor_uid",
                                "person_id", "anchor_hash")]
)  # fmt: skip


#: The columns of a signature row that `_repeats` compares.
_REPEATED = ["record_uid", *SIGNATURE, "adms"]


@dataclass(frozen=True)
class LinkedSignatures:
    """The signatures of a run's index, findable by their values, with the link state the run left."""

    keys: np.ndarray  # `signature_key` of each signature, sorted (unsigned 64-bit)
    rows: np.ndarray  # the row of `feat` each of `keys` is of
    feat: pa.Table  # record_uid (the representative), SIGNATURE, the columns scoring reads (SCORED), adms
    state: pa.Table  # record_uid (sorted), person_id, component, identity_hash: the links of the run
    #: The index's blocking index (a copy: the linking side extends its own), for new signatures'
    #: candidates (`new_signatures`); None when the index has none.
    blocking: BlockingKeys | None = None
    #: The facts of the components of `state` (`clustering.component_facts`, sorted by component), for
    #: deciding new signatures (`new_links`); None when unknown.
    facts: pa.Table | None = None
    #: The run whose links `state` holds (-1: unknown).
    run_id: int = -1

    @classmethod
    def of(
        cls,
        feat: pa.Table,
        state: pa.Table,
        blocking: BlockingKeys | None = None,
        facts: pa.Table | None = None,
        run_id: int = -1,
    ) -> LinkedSignatures:
        """The snapshot of an index's signature rows `feat` (each with its key, `SIGNATURE_KEY`, made
        with the row), the link state `state` (sorted by uid), the index's blocking index and the
        components' facts: a sort of the keys, no pass over the values."""
        keys = feat.column(SIGNATURE_KEY).to_numpy()
        order = np.argsort(keys, kind="stable")
        columns = list(dict.fromkeys(["record_uid", *SIGNATURE, *SCORED]))
        copied = None if blocking is None else blocking.copy()
        return cls(keys[order], order, feat.select(columns), state, copied, facts, run_id)

    def holds(self, key: int) -> bool:
        """Whether a signature of the snapshot has `signature_key` `key`."""
        wanted = np.uint64(key)
        return bool(np.searchsorted(self.keys, wanted, side="right") > np.searchsorted(self.keys, wanted))

    def find(self, records: pa.Table) -> pa.Table:
        """The records of `records` (resolver input) that repeat a signature of the snapshot, each with
        its anchor (the signature's representative) and the anchor's person and identity hash
        (`FOUND_SCHEMA`). Whether a record is linked already is the store's to check."""
        rows = records.to_pylist()
        mine = [signature_of(row) for row in rows]
        candidates = [i for i, m in enumerate(mine) if m is not None and usable(m) and not placeable(m)]
        keys = np.array([signature_key(mine[i]) for i in candidates], dtype=np.uint64)  # type: ignore[arg-type]
        starts, stops = np.searchsorted(self.keys, keys), np.searchsorted(self.keys, keys, side="right")
        # the signature rows under the records' keys, read out of `feat` at once (a read a row took 20 µs)
        spans = [self.rows[start:stop] for start, stop in zip(starts, stops, strict=True)]
        at = np.concatenate(spans) if spans else np.array([], np.int64)
        signatures = iter(self.feat.select(_REPEATED).take(pa.array(at, pa.int64())).to_pylist())
        found = []
        for i, start, stop in zip(candidates, starts.tolist(), stops.tolist(), strict=True):
            under_key = [next(signatures) for _ in range(stop - start)]
            anchor = _anchor(rows[i]["record_uid"], mine[i], under_key)  # type: ignore[arg-type]
            if anchor is not None:
                found.append({**{c: rows[i][c] for c in FOUND_SCHEMA.names[:4]}, "anchor_uid": anchor})
        return self._with_persons(found)

    def _with_persons(self, found: list[dict[str, Any]]) -> pa.Table:
        """`found` with each anchor's person and identity hash from the link state (anchors it does not
        link, or links on storing, are left out)."""
        anchors = pa.array(sorted({row["anchor_uid"] for row in found}), pa.string())
        links = among_sorted(self.state, "record_uid", anchors, share=0).to_pylist()  # a few among many
        of = {link["record_uid"]: link for link in links if link["identity_hash"] is not None}
        rows = [
            {
                **row,
                "person_id": of[row["anchor_uid"]]["person_id"],
                "anchor_hash": of[row["anchor_uid"]]["identity_hash"],
            }
            for row in found
            if row["anchor_uid"] in of
        ]
        return pa.Table.from_pylist(rows, FOUND_SCHEMA)


def _anchor(uid: str, mine: Mapping[str, Any], signatures: list[dict[str, Any]]) -> str | None:
    """The representative of the signature (of `signatures`: those under the record's key) that a record
    repeats."""
    for signature in signatures:
        if _repeats(uid, mine, signature):
            return str(signature["record_uid"])
    return None


def usable(features: Mapping[str, Any]) -> bool:
    """`scoring.usable_sql`: enough identity to link (a number, or a name with a birth date)."""
    numbers = any(features[c] is not None for c in ("a9", "adm", "receipt", "doc_num"))
    return numbers or (features["fam_key"] is not None and features["dob_text"] is not None)


def placeable(features: Mapping[str, Any]) -> bool:
    """`trips._placeable`: a record a trip may place (no birth date, A-number or admission number)."""
    return features["dob_text"] is None and features["a9"] is None and features["adm"] is None


def _repeats(uid: str, mine: Mapping[str, Any], signature: Mapping[str, Any]) -> bool:
    """Whether a new record (`uid`, its features `mine`) has the signature's values, no number the
    signature lacks, and a uid after the signature's representative."""
    numbers = set(signature["adms"] or [])
    return (
        all(mine[c] == signature[c] for c in SIGNATURE)
        and all(mine[c] is None or mine[c] in numbers for c in ("adm", "receipt"))
        and uid > str(signature["record_uid"])
    )
