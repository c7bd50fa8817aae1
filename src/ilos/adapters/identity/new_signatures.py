"""A stored batch's new signatures scored against the signatures a run indexed, set-at-a-time, in
statements prepared once (ADR 11).

A record that repeats no indexed signature makes a new node: its pairs with its blocking candidates
decide which person it joins. `IdentityResolver.score_between` builds the same pairs, but plans its
feature, blocking and comparison statements for every batch (half a second whatever the rows), too
long for an effect to show as the record is stored. Here:

- the records' feature rows are `pair_features.scoring_row` (held equal to the SQL features), and equal
  records of the batch are one node (named by the smallest uid, with the union of their numbers, as
  `index.prepare_against` merges them);
- their candidates come from the run's blocking index (`BlockingKeys`), whose keys DuckDB hashes;
- the nodes and the candidates' signature rows (the index's own) are blocked, weighed, ruled and
  decided by the SQL itself (`comparisons.blocking_rules`, `scoring.decided_sql`), in statements this
  scorer's connection prepared once, over a table it refills.

`tests/unit/identity/test_new_signatures.py` holds the pairs to `score_between`'s. What the SQL does
after scoring is not done here: the twins' doubt and the ambiguity holds, which read every decided pair
of a run, and completing blocking through the links. A node with a `twins` pair is therefore left out
(`Scored.undecided`): it is the run's to decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.identity import weights
from ilos.adapters.identity.blocking_keys import BlockingKeys
from ilos.adapters.identity.clustering import DOB_COLUMNS, apart_sql, support_sql
from ilos.adapters.identity.comparisons import blocking_rules
from ilos.adapters.identity.frequencies import TF_COLUMNS, TermFrequencies
from ilos.adapters.identity.pair_features import SCORED, scoring_row
from ilos.adapters.identity.repeats import usable
from ilos.adapters.identity.rules import paired_columns
from ilos.adapters.identity.scoring import PAIR_SCHEMA, RULE_COLUMNS, SIGNATURE, decided_sql, exploded

Row = Mapping[str, Any]
#: The pairs `NewSignatureScorer` gives: `score_between`'s, with whether each supports a merge and keeps
#: its records apart, as the clustering reads it (`clustering.support_sql`, `apart_sql`).
SCORED_PAIRS = pa.schema([*PAIR_SCHEMA, pa.field("support", pa.bool_()), pa.field("apart", pa.bool_())])


@dataclass(frozen=True)
class Scored:
    """The nodes scored, their pairs as `score_between` gives them (`SCORED_PAIRS`, before the twins'
    doubt and the ambiguity holds) and the nodes left to the run (`undecided`: representatives' uids)."""

    nodes: list[dict[str, Any]]
    pairs: pa.Table
    undecided: set[str]


def new_nodes(records: Iterable[Row]) -> list[dict[str, Any]]:
    """The nodes records make among themselves: each usable record's `scoring_row` (`repeats.usable`;
    records without one are left out), records of equal signature values one node named by the smallest
    uid, holding every number of theirs (`adms`)."""
    return nodes_of(records)[0]


def nodes_of(records: Iterable[Row]) -> tuple[list[dict[str, Any]], dict[str, tuple[Any, ...]]]:
    """`new_nodes`, and the signature values (`SIGNATURE`) of each record they hold, by record uid."""
    nodes: dict[tuple[Any, ...], dict[str, Any]] = {}
    members: dict[str, tuple[Any, ...]] = {}
    for record in records:
        row = scoring_row(record)
        if row is None or not usable(row):
            continue
        values = tuple(row[c] for c in SIGNATURE)
        members[record["record_uid"]] = values
        node = nodes.setdefault(values, row)
        if node is not row:
            node["adms"] = sorted(set(node["adms"]) | set(row["adms"]))
            node["record_uid"] = min(node["record_uid"], row["record_uid"])
    return list(nodes.values()), members


class NewSignatureScorer:
    """Scores new nodes under a model against an index's signature rows, on a DuckDB connection of its
    own (one thread's: the storing side's)."""

    def __init__(self, model: dict[str, Any]) -> None:
        self.model = model
        self._frequencies = TermFrequencies(model)
        self._con = duckdb.connect()
        self._columns: list[str] | None = None  # of the table `side`, once prepared

    def close(self) -> None:
        self._con.close()

    def score(self, nodes: list[dict[str, Any]], feat: pa.Table, keys: BlockingKeys) -> Scored:
        """The pairs of `nodes` with each other and with the signature rows of `feat` (an index's,
        `SCORED` columns at least, indexed by `keys`) that a blocking rule joins, kept and decided as
        the SQL keeps and decides them."""
        if not nodes:
            return Scored(nodes, SCORED_PAIRS.empty_table(), set())
        columns = self._prepared(feat, keys)
        new = self._rows(nodes, feat.schema)
        self._fill("new_keys", new.append_column("row", pa.array(np.arange(len(nodes), dtype=np.int64))))
        keyed = self._con.sql("EXECUTE ilos_keyed").fetchnumpy()
        candidates = keys.candidates_of_keyed(keyed, len(nodes))
        wanted = pa.array(sorted({uid for found in candidates for uid in found}), pa.string())
        indexed = feat.filter(pc.is_in(feat.column("record_uid"), wanted)).select(columns)
        pairs = self._pairs(new, indexed, everyone_new=False)
        return Scored(nodes, pairs, twinned(pairs, {node["record_uid"] for node in nodes}))

    def score_with(
        self, nodes: list[dict[str, Any]], others: list[dict[str, Any]], feat: pa.Table
    ) -> pa.Table:
        """The pairs of `nodes` with the nodes `others` (of earlier batches, not in the index) that a blocking
        rule joins, kept and decided as `score` keeps and decides them (after `score`)."""
        if not nodes or not others:
            return SCORED_PAIRS.empty_table()
        pairs = self._pairs(
            self._rows(nodes, feat.schema), self._rows(others, feat.schema), everyone_new=True
        )
        mine = pa.array([node["record_uid"] for node in nodes], pa.string())
        left, right = (pc.is_in(pairs.column(c), mine) for c in ("record_uid_l", "record_uid_r"))
        return pairs.filter(pc.xor(left, right))  # not those among `others`, nor among `nodes` (`score`'s)

    def _rows(self, nodes: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
        if self._columns is None:
            raise RuntimeError("the scorer's statements are prepared by its first `score`")
        columns = self._columns
        return pa.Table.from_pylist(
            [{c: node[c] for c in columns} for node in nodes], pa.schema([schema.field(c) for c in columns])
        )

    def _pairs(self, new: pa.Table, indexed: pa.Table, everyone_new: bool) -> pa.Table:
        self._fill("side", self._side(new, indexed, everyone_new))
        return self._con.sql("EXECUTE ilos_scored").to_arrow_table().cast(SCORED_PAIRS)

    def _side(self, new: pa.Table, indexed: pa.Table, everyone_new: bool) -> pa.Table:
        """New and indexed rows with their term frequencies, `is_new` (the new rows', or every row's),
        and ids in record-uid order (the order `scoring` pairs them in: a pair's left row is its smaller
        uid)."""
        rows = pa.concat_tables([new, indexed.cast(new.schema)])
        for column in TF_COLUMNS:
            values = rows.column(column).to_pylist()
            rows = rows.append_column(
                f"tf_{column}", pa.array([self._frequencies(column, v) for v in values], pa.float64())
            )
        is_new = np.full(rows.num_rows, everyone_new, dtype=np.bool_)
        is_new[: new.num_rows] = True
        rows = rows.append_column("is_new", pa.array(is_new))
        order = pc.sort_indices(rows.column("record_uid"))
        rows = rows.take(order)
        return rows.append_column("nid", pa.array(np.arange(rows.num_rows, dtype=np.int64)))

    def _fill(self, table: str, rows: pa.Table) -> None:
        self._con.register("ilos_rows_in", rows)
        try:
            self._con.execute(f"DELETE FROM {table}; INSERT INTO {table} BY NAME SELECT * FROM ilos_rows_in")
        finally:
            self._con.unregister("ilos_rows_in")

    def _prepared(self, feat: pa.Table, keys: BlockingKeys) -> list[str]:
        """The columns of the rows scored; the tables and statements, prepared on first use."""
        if self._columns is not None:
            return self._columns
        used = sorted(weights.columns_used(self.model) | set(RULE_COLUMNS))
        columns = list(dict.fromkeys([*SCORED, *(c for c in used if not c.startswith("tf_"))]))
        con = self._con
        con.register("ilos_feat_schema", feat.slice(0, 0).select(columns))
        tfs = ", ".join(f"NULL::DOUBLE AS tf_{c}" for c in TF_COLUMNS)
        con.execute(
            f"""CREATE TABLE new_keys AS SELECT *, 0::BIGINT AS row FROM ilos_feat_schema;
                CREATE TABLE side AS SELECT *, {tfs}, false AS is_new, 0::BIGINT AS nid FROM ilos_feat_schema"""
        )
        con.unregister("ilos_feat_schema")
        con.execute(f"PREPARE ilos_keyed AS {keys.keyed_sql('new_keys')}")
        con.execute(f"PREPARE ilos_scored AS {_scored_sql(used, self.model)}")
        self._columns = columns
        return columns


def _scored_sql(used: list[str], model: dict[str, Any]) -> str:
    """The pairs of table `side` touching an `is_new` row that a blocking rule joins (`scoring.block_new`),
    kept and decided (`scoring.decided_sql`), named by record uids."""
    joins = []
    for rule in blocking_rules(only_new=True):
        rows = exploded("side", rule)
        joins.append(
            f"SELECT least(l.nid, r.nid) AS a, greatest(l.nid, r.nid) AS b FROM (SELECT * FROM {rows} WHERE is_new) l"
            f" JOIN {rows} r ON {rule['blocking_rule']} AND l.nid <> r.nid"
        )
    blocked = f"(SELECT DISTINCT a, b FROM ({' UNION ALL '.join(joins)}))"
    return f"""SELECT record_uid_l, record_uid_r, match_weight, match_probability, rule, decision,
                      {support_sql()} AS support, {apart_sql()} AS apart
               FROM (SELECT d.*, l.record_uid AS record_uid_l, r.record_uid AS record_uid_r,
                            {paired_columns(DOB_COLUMNS)}
                     FROM ({decided_sql(blocked, "side", used, model)}) d
                     JOIN side l ON l.nid = d.a JOIN side r ON r.nid = d.b)"""


def twinned(pairs: pa.Table, new: set[str]) -> set[str]:
    """The new nodes with a `twins` pair."""
    twins = pairs.filter(pc.equal(pairs.column("rule"), "twins"))
    return {
        uid for column in ("record_uid_l", "record_uid_r") for uid in twins.column(column).to_pylist()
    } & new
