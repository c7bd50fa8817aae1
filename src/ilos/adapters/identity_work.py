"""The IdentityWork port: records from the reader, DuckDB for constraints and stable ids, the Splink engine."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.duck import decisions, stable_ids


class DuckIdentityWork:
    """Set-at-a-time steps of a resolution run."""

    def __init__(self, reader: PersonDataReader, con: duckdb.DuckDBPyConnection) -> None:
        self.reader = reader
        self.con = con

    def records(self) -> pa.Table:
        """Identity columns of every record in force."""
        return self.reader.identity_records()

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
        return stable_ids.assign(self.con, clusters, previous, ages, next_sequence)

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
