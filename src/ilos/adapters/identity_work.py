"""The IdentityWork port: records from the reader, DuckDB for constraints and stable ids, the Splink engine."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.duck import decisions, incremental, stable_ids
from ilos.domain.feeds import IDENTITY_COLUMNS

#: Columns whose change makes a record's identity change (what the resolver reads).
_HASHED = (*(c.name for c in IDENTITY_COLUMNS if c.name != "recorded_at"), "admission_number")


class DuckIdentityWork:
    """Set-at-a-time steps of a resolution run."""

    def __init__(self, reader: PersonDataReader, con: duckdb.DuckDBPyConnection) -> None:
        self.reader = reader
        self.con = con

    def records(self) -> pa.Table:
        """Identity columns of every record in force, with a hash of the columns the resolver reads."""
        records = self.reader.identity_records()
        cur = self.con.cursor()
        cur.register("identity_input", records)
        parts = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '\x01')" for c in _HASHED)
        hashed = cur.sql(
            f"SELECT *, md5(concat_ws('\x02', {parts})) AS identity_hash FROM identity_input ORDER BY record_uid"
        ).to_arrow_table()
        cur.close()
        return hashed

    def link_state(self) -> pa.Table:
        """record_uid, person_id, component, identity_hash as the last run left them."""
        return self.reader.link_state()

    def affected(self, records: pa.Table, state: pa.Table, resolver: Any) -> pa.Table | None:
        """The records an incremental run must re-resolve, or None when a full run is needed.

        Changed records (new, corrected, retracted) are scored against the rest; the re-resolved set
        is every changed record plus every record of each linked component that a changed record
        belonged to or now touches (by a link, a review pair, a hard-rule pair or a shared identity
        signature), and every component an open `ambiguous` review pair joins to those (that hold
        depends on a twins pair elsewhere). Components are closed under links, so resolving this set
        alone gives the same persons as resolving everything.
        """
        if state.num_rows == 0 or pc.any(pc.is_null(state.column("component"))).as_py():
            return None
        cur = self.con.cursor()
        try:
            decided, held = self.reader.review_decisions(), self.reader.held_pairs()
            return incremental.affected(cur, records, state, resolver, decided, held)
        finally:
            cur.close()

    def merge_assignment(self, records: pa.Table, state: pa.Table, subset: pa.Table, assignment: Any) -> Any:
        """The run's links: the last run's for records left alone, the new assignment's for the rest."""
        return incremental.merge(self.con, records, state, subset, assignment)

    def previous_links(self) -> pa.Table:
        """record_uid → person_id from the last run."""
        return self.reader.links().select(["record_uid", "person_id"])

    def apply_decisions(self, pairs: pa.Table, members: pa.Table | None = None) -> pa.Table:
        """Reviewers' decisions override the model's. Pairs the model separates on weight alone are
        dropped first (most blocked pairs): they add no edge, and a reviewer's `link` is added back
        by the join; pairs a hard rule keeps apart stay, for clustering to respect."""
        rule = pairs.column("rule")
        apart = pc.is_in(rule, pa.array(["twins", "different_a_number"]))
        kept = pairs.filter(pc.or_(pc.not_equal(pairs.column("decision"), "separate"), apart))
        return decisions.apply_decisions(self.con, kept, self.reader.review_decisions(), members)

    def assign(self, clusters: pa.Table, previous: pa.Table, records: pa.Table, next_sequence: int) -> Any:
        """Stable person ids for this run's clusters."""
        ages = records.select(["record_uid", "first_recorded_utc"]).rename_columns(
            ["record_uid", "recorded_at"]
        )
        assignment = stable_ids.assign(self.con, clusters, previous, ages, next_sequence)
        if "component" in clusters.column_names:
            links = assignment.links.join(clusters.select(["record_uid", "component"]), "record_uid")
            assignment = replace(assignment, links=links.sort_by([("record_uid", "ascending")]))
        return assignment

    def review_pairs(self, pairs: pa.Table, clusters: pa.Table) -> pa.Table:
        """Pairs the model could not decide, where a decision would matter: records now in different clusters."""
        cur = self.con.cursor()
        cur.register("scored_pairs", pairs.filter(pc.equal(pairs.column("decision"), "review")))
        cur.register("run_clusters", clusters)
        review = cur.sql(
            """SELECT p.* FROM scored_pairs p
               JOIN run_clusters l ON l.record_uid = p.record_uid_l
               JOIN run_clusters r ON r.record_uid = p.record_uid_r
               WHERE l.cluster <> r.cluster ORDER BY p.record_uid_l, p.record_uid_r"""
        ).to_arrow_table()
        cur.close()
        return review

    def unusable(self) -> pa.Table:
        """Records in force with too little identity to link: feed, source_system, source_record_id, reason."""
        from ilos.adapters.identity import unusable

        records = self.records()
        reasons = unusable(records)
        listed = records.select(["record_uid", "feed", "source_system", "source_record_id"]).join(
            reasons, "record_uid", join_type="inner"
        )
        columns = ["feed", "source_system", "source_record_id", "reason"]
        return listed.select(columns).sort_by([(c, "ascending") for c in columns[:3]])

    def resolver(self, model: dict[str, Any] | None) -> Any:
        """The Splink engine with this model (None: the default model shipped in the package)."""
        from ilos.adapters.identity.resolver import IdentityResolver

        return IdentityResolver(self.con, model)
