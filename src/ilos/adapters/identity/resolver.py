"""IdentityResolver: the identity-resolution engine (Splink 5 on DuckDB, with hard rules)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from ilos.adapters.identity import clustering, frequencies, model, scoring, trips
from ilos.adapters.identity import explain as explaining
from ilos.adapters.identity.blocking_keys import BlockingKeys
from ilos.adapters.identity.features import INPUT_COLUMNS, build_features
from ilos.adapters.identity.index import (
    IdentityIndex,
    index_after,
    members_after,
    prepare_against,
    prepare_from,
)
from ilos.adapters.identity.rules import LOWER, UPPER
from ilos.adapters.identity.workspace import fetch, register_records, workspace

__all__ = ["LOWER", "UPPER", "IdentityIndex", "IdentityResolver", "unusable"]

UNUSABLE_SCHEMA = pa.schema([("record_uid", pa.string()), ("reason", pa.string())])


class IdentityResolver:
    """Scores, explains and clusters identity records; see the package docstring for the design."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        model: dict[str, Any] | None = None,
        on_clustered: Callable[[pa.Table], object] | None = None,
    ) -> None:
        self._con = con
        #: called with the facts of the components each `cluster` call clustered
        self._on_clustered = on_clustered
        # used as given, not copied (a copy of a trained model's frequency snapshot took 70 ms, a stream
        # batch's): nothing here changes a model in place, and `train` makes a new one
        self.model: dict[str, Any] = model if model is not None else _default()
        self._tf: dict[str, pa.Table] = {}
        #: record_uid -> representative of its identity signature (sorted by record uid), set by the last
        #: `score` or `score_between` call.
        self.members: pa.Table | None = None
        #: The facts of the linked components the last `cluster` call clustered (`clustering.FACTS_SCHEMA`).
        self.component_facts: pa.Table | None = None
        #: The records `train` last read and their index, so `score` on the same records does not
        #: build the features again.
        self._prepared: tuple[pa.Table, IdentityIndex] | None = None
        #: The index of existing + new records after the last `score_between` on an index, to link the
        #: next batch against.
        self.index_after: IdentityIndex | None = None
        #: The records the last `score` scored and their presence records' name keys, so `cluster` on
        #: the same records does not build those records' features again (`trips`).
        self._presence_keys: tuple[pa.Table, pa.Table] | None = None

    def train(self, records: pa.Table) -> dict[str, Any]:
        """Train u (random sampling) and m (EM) on `records`; the resolver uses the new model."""
        with workspace(self._con) as cur:
            self._prepared = (records, _indexed(cur, records))
            self.model = model.train(cur, "feat")
        return copy.deepcopy(self.model)

    def score(self, records: pa.Table) -> pa.Table:
        """Every blocked pair of identity signatures, scored, with hard rules and decisions.

        Pairs name each signature by its representative record; `members` maps every usable
        record to its representative. After `score_between` on an index, whose `index_after` indexes
        every record in force (an incremental run re-resolving some of them), the signatures it holds
        whole are taken from it (`prepare_from`) and only the other records' features are built.
        """
        with workspace(self._con) as cur:
            prepared, self._prepared = self._prepared, None
            if prepared is not None and prepared[0] is records:
                pairs = self._predict(cur, only_new=False, prepared=prepared[1])
            elif self.index_after is not None:
                pairs = self._score_prepared(
                    cur, prepare_from(cur, records, self.index_after), only_new=False
                )
            else:
                register_records(cur, "records", records, new=False)
                pairs = self._predict(cur, only_new=False)
            if trips.DAY in records.column_names:
                self._presence_keys = (records, trips.presence_keys(cur, "feat", "members"))
            return pairs

    def index(self, records: pa.Table) -> IdentityIndex:
        """Features and signatures of `records`, to link later batches against (`score_between`)."""
        with workspace(self._con) as cur:
            return _indexed(cur, records)

    def extended(self, index: IdentityIndex, records: pa.Table) -> IdentityIndex:
        """The index of the index's records and `records` (those `index` would build from both). When
        `index` has a blocking index that is not stale, the extended one has a copy of it with the new
        and changed signatures added (the index's own is left as it is); otherwise none."""
        with workspace(self._con) as cur:
            _, fresh, after, members = _against(cur, index, records)
            if index.keys is None or index.keys.stale:
                return IdentityIndex(after, members)
            keys = index.keys.copy()
            keys.add_rows(cur, fresh, live=after.num_rows)
            return IdentityIndex(after, members, keys)

    def score_between(
        self, existing: pa.Table | IdentityIndex, new: pa.Table, blocking_index: bool = True
    ) -> pa.Table:
        """Pairs touching a new record's signature, exactly as `score(existing + new)` scores them before
        completing blocking through the links (`completion`), which only a full scoring does: an
        incremental run re-resolves the components the batch touches with `score`.

        `existing` is the records themselves or their index (`index`): with an index only the new
        records' features are built, and `index_after` is left holding the index of existing + new.
        With an index and `blocking_index`, the new signatures are blocked through the index's blocking
        index (built when it has none), which `index_after` keeps; without, they are joined to every
        indexed signature once per rule and no blocking index is built (a few records, once).
        """
        with workspace(self._con) as cur:
            if isinstance(existing, IdentityIndex):
                feat, fresh, after, members = _against(cur, existing, new)
                keys = existing.keys if blocking_index else None
                if blocking_index and (keys is None or keys.stale):
                    keys = BlockingKeys.build(cur, "idx_feat")
                pairs = self._score_prepared(cur, feat, True, keys, after, members)
                if keys is not None:
                    keys.add_rows(cur, fresh, live=after.num_rows)
                self.index_after = IdentityIndex(after, self.members, keys)
                return pairs
            register_records(cur, "records", existing, new=False)
            register_records(cur, "records_new", new, new=True)
            cur.execute("INSERT INTO records SELECT * FROM records_new")
            return self._predict(cur, only_new=True)

    def explain(self, a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
        """Per comparison: level in plain words, the two values and the weight; then prior and total."""
        left, right = sorted((a, b), key=lambda r: str(r.get("record_uid") or ""))
        if left is right or left.get("record_uid") == right.get("record_uid"):
            right = {**right, "record_uid": f"{right.get('record_uid') or ''}~"}
        table = input_table([left, right])
        with workspace(self._con) as cur:
            register_records(cur, "records", table, new=False)
            build_features(cur, "records", "feat_one")
            cur.execute(
                "CREATE TABLE feat AS SELECT * EXCLUDE (adm, receipt), "
                "list_filter([adm, receipt], lambda x: x IS NOT NULL) AS adms FROM feat_one"
            )
            tf = self._tf or frequencies.lookups(cur, "feat", self.model)
            return explaining.explain_pair(cur, "feat", self.model, tf, (left, right))

    def cluster(
        self,
        records: pa.Table,
        pairs: pa.Table,
        unscored: trips.KeptClusters | None = None,
        members: pa.Table | None = None,
    ) -> pa.Table:
        """record_uid, cluster for every record: linked components of signatures (`members`, by
        default those of the last `score`), never two A-numbers nor two twins in one cluster; a
        name-only departure (or filing) joins the one person in the country under its name (`trips`),
        and `placed_by` names the presence record (an arrival, say) that placed it. The `unscored`
        records keep their clusters and are placed among with `records` (and theirs, placed again)."""
        members = members if members is not None else self.members
        kept, self._presence_keys = self._presence_keys, None
        present = kept[1] if kept is not None and kept[0] is records else None
        with workspace(self._con) as cur:
            found = clustering.cluster(cur, records, pairs, members)
            self.component_facts = clustering.component_facts(cur)
            if self._on_clustered is not None:
                self._on_clustered(self.component_facts)
            if unscored is not None and unscored.records.num_rows:
                records, found, present = unscored.added(records, found, present)
            return trips.attach(cur, records, found, pairs, present)

    def _predict(
        self,
        cur: duckdb.DuckDBPyConnection,
        only_new: bool,
        prepared: IdentityIndex | None = None,
    ) -> pa.Table:
        if prepared is None:
            feat = scoring.prepare(cur, "records")
        else:
            feat = scoring.restore(cur, prepared.feat, prepared.members)
        return self._score_prepared(cur, feat, only_new)

    def _score_prepared(
        self,
        cur: duckdb.DuckDBPyConnection,
        feat: str,
        only_new: bool,
        keys: BlockingKeys | None = None,
        rows: pa.Table | None = None,
        members: pa.Table | None = None,
    ) -> pa.Table:
        """Score `feat` (its `is_new` rows' pairs when `only_new`). With `keys` and `rows` (the blocking
        index of the rows not new, and every row of `feat` as a table), only the new rows and their
        candidates are scored, and only their values' term frequencies looked up (the same weights:
        a value's frequency is its own, whatever else is looked up). `members`: the signatures' members,
        when the caller has them (read from table `members` otherwise)."""
        if members is None:
            members = fetch(cur, "SELECT record_uid, rep FROM members ORDER BY record_uid")
        self.members = members
        if keys is not None and rows is not None:
            feat = scoring.blocked_side(cur, feat, keys, rows)
            self._tf = {}  # not every record's values: `explain` looks up its own
            tf = frequencies.lookups(cur, feat, self.model)
        else:
            tf = self._tf = frequencies.lookups(cur, feat, self.model)
        return scoring.predict(cur, feat, self.model, tf, only_new)


def _against(
    cur: duckdb.DuckDBPyConnection, index: IdentityIndex, new: pa.Table
) -> tuple[str, pa.Table, pa.Table, pa.Table]:
    """`new` merged into the index's signatures in `cur` (`prepare_against`): the view of every
    signature, the touched and new ones (its `is_new` rows), and the index's signature table and
    members after."""
    register_records(cur, "records_new", new, new=True)
    feat = prepare_against(cur, "records_new", index)
    fresh = fetch(cur, f"SELECT * FROM {feat} WHERE is_new")
    return feat, fresh, index_after(cur, index, fresh), members_after(cur, index)


def _indexed(cur: duckdb.DuckDBPyConnection, records: pa.Table) -> IdentityIndex:
    """Build the signature table `feat` (and `members`, sorted by record uid) of `records` in `cur`;
    return them as an index."""
    register_records(cur, "records", records, new=False)
    feat = scoring.prepare(cur, "records")
    return IdentityIndex(
        fetch(cur, f"SELECT * FROM {feat}"),
        fetch(cur, "SELECT record_uid, rep FROM members ORDER BY record_uid"),
    )


def linkable(records: pa.Table) -> pa.Table:
    """The records that can link to another on their own (`unusable` leaves the others out), or through
    their criminal matter's or filing's number: `records` filtered."""
    con = duckdb.connect()
    try:
        with workspace(con) as cur:
            register_records(cur, "records", records, new=False)
            build_features(cur, "records", "feat")
            cur.register("given", records)
            sql = f"""SELECT g.* FROM given g SEMI JOIN (SELECT record_uid FROM feat
                      WHERE {scoring.usable_sql()} OR thin_incident IS NOT NULL) f USING (record_uid)
                      ORDER BY record_uid"""
            return fetch(cur, sql)
    finally:
        con.close()


def unusable(records: pa.Table) -> pa.Table:
    """Records with too little identity to link on their own: record_uid and a reason. They link to
    nothing, but a name-only departure or filing its trip places, a criminal disposition its matter's
    other records name and a status event its filing's other events name."""
    con = duckdb.connect()
    try:
        with workspace(con) as cur:
            register_records(cur, "records", records, new=False)
            build_features(cur, "records", "feat")
            sql = f"""SELECT record_uid, {scoring.unusable_reason_sql()} AS reason FROM feat
                      WHERE NOT {scoring.usable_sql()} OR thin_incident IS NOT NULL ORDER BY record_uid"""
            return fetch(cur, sql).cast(UNUSABLE_SCHEMA)
    finally:
        con.close()


def input_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Resolver input (INPUT_COLUMNS as text) from record dicts, e.g. records read for an explanation."""
    return pa.Table.from_pylist(
        [{c: None if r.get(c) is None else str(r[c]) for c in INPUT_COLUMNS} for r in rows],
        schema=pa.schema([(c, pa.string()) for c in INPUT_COLUMNS]),
    )


def _default() -> dict[str, Any]:
    return model.default_model()
