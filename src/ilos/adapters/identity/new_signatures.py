"""A stored batch's new signatures scored in plain Python against the signatures a run indexed (ADR 11).

A record that repeats no indexed signature makes a new node: its scoring with its blocking candidates
decides which person it joins, and `IdentityResolver.score_between` takes half a second to plan that in
DuckDB whatever the rows, too long for an effect to show as the record is stored. Here the records'
feature rows are `pair_features.scoring_row`, equal records of the batch are one node (named by the
smallest uid, with the union of their numbers, as `index.prepare_against` merges them), the candidates
come from the run's blocking index (`BlockingKeys.candidates_of_rows`: one statement hashing a few keys)
and the signature rows it indexed, and every pair a blocking rule joins (`pair_blocking`) is weighed,
ruled and decided (`pair_weights`, `pair_rules`), keeping the pairs the SQL keeps (a hard rule, or a
weight at least LOWER). `tests/unit/identity/test_new_signatures.py` holds the pairs to
`score_between`'s on a generated population.

What the SQL does after scoring is not done here: the twins' doubt and the ambiguity holds, which read
every decided pair of a run, and completing blocking through the links. A node with a `twins` pair, or
with a candidate whose birth date is in year 0 (a date Python's cannot hold) is therefore left out
(`Scored.undecided`): it is the run's to decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.identity import pair_rules
from ilos.adapters.identity.blocking_keys import BlockingKeys
from ilos.adapters.identity.pair_blocking import blocked
from ilos.adapters.identity.pair_features import scoring_row
from ilos.adapters.identity.pair_weights import PairWeights
from ilos.adapters.identity.repeats import usable
from ilos.adapters.identity.rules import LOWER
from ilos.adapters.identity.scoring import SIGNATURE

#: The columns of a signature row the pair scorer reads (`pair_weights`, `pair_rules`, `pair_blocking`).
SCORED = ("record_uid", "fam_key", "giv_key", "name_key", "fam_skel", "giv_skel", "fam_first_skel",
          "giv_first_skel", "giv_abjad", "giv_abjad_skel", "dob_text", "dob", "dob_y", "dob_m", "dob_d",
          "dob_year", "doc_num", "doc_country", "doc_type", "a9", "cit", "bcountry", "sex_code",
          "thin_incident", "first_lo", "first_hi", "doc_keys", "adms")  # fmt: skip

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Scored:
    """The scored pairs of a batch's new nodes (`pairs`: record_uid_l < record_uid_r, as the SQL names
    them, match_weight, match_probability, rule, decision) and the nodes left to the run (`undecided`:
    their representatives' uids)."""

    nodes: list[dict[str, Any]]
    pairs: list[dict[str, Any]]
    undecided: set[str]


def new_nodes(records: Iterable[Row]) -> list[dict[str, Any]]:
    """The nodes records make among themselves: each usable record's `scoring_row` (`repeats.usable`;
    records without one are left out), records of equal signature values one node named by the smallest uid, holding every
    number of theirs (`adms`)."""
    nodes: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in records:
        row = scoring_row(record)
        if row is None or not usable(row):
            continue
        values = tuple(row[c] for c in SIGNATURE)
        node = nodes.setdefault(values, row)
        if node is not row:
            node["adms"] = sorted(set(node["adms"]) | set(row["adms"]))
            node["record_uid"] = min(node["record_uid"], row["record_uid"])
    return list(nodes.values())


def indexed_rows(feat: pa.Table, uids: pa.Array) -> list[dict[str, Any]]:
    """The signature rows of `feat` (an index's, `IdentityIndex.feat`) named by `uids`, as the scorer
    reads them: `dob_date` from the birth date's text (None for year 0, which such a row flags in
    `year_zero`)."""
    rows: list[dict[str, Any]] = (
        feat.filter(pc.is_in(feat.column("record_uid"), uids)).select(list(SCORED)).to_pylist()
    )
    for row in rows:
        dob = row["dob"]
        row["year_zero"] = dob is not None and dob.startswith("0000")
        row["dob_date"] = None if dob is None or row["year_zero"] else date.fromisoformat(dob)
    return rows


class NewSignatureScorer:
    """Scores new nodes under a model against an index's signature rows."""

    def __init__(self, model: dict[str, Any]) -> None:
        self.weights = PairWeights(model)

    def score(
        self, cur: duckdb.DuckDBPyConnection, nodes: list[dict[str, Any]], feat: pa.Table, keys: BlockingKeys
    ) -> Scored:
        """The pairs of `nodes` with each other and with the signatures of `feat` (indexed by `keys`)
        that a blocking rule joins, kept as the SQL keeps them."""
        indexed = indexed_rows(feat, keys.candidates_of_rows(cur, nodes))
        pairs: list[dict[str, Any]] = []
        undecided: set[str] = set()
        new = {node["record_uid"] for node in nodes}
        for i, node in enumerate(nodes):
            for other in [*nodes[i + 1 :], *indexed]:
                if not blocked(node, other):
                    continue
                if other.get("year_zero"):
                    undecided.add(node["record_uid"])
                    continue
                pair = self._pair(node, other)
                if pair["rule"] == "twins":
                    undecided |= {node["record_uid"], other["record_uid"]} & new
                if pair["rule"] != "" or pair["match_weight"] >= LOWER:
                    pairs.append(pair)
        return Scored(nodes, pairs, undecided)

    def _pair(self, one: Row, other: Row) -> dict[str, Any]:
        left, right = sorted((one, other), key=lambda row: str(row["record_uid"]))
        weight = self.weights.weight(left, right)
        rule = pair_rules.rule(left, right, weight)
        return {
            "record_uid_l": left["record_uid"],
            "record_uid_r": right["record_uid"],
            "match_weight": weight,
            "match_probability": 2.0**weight / (1 + 2.0**weight),
            "rule": rule,
            "decision": pair_rules.decision(rule, weight),
        }
