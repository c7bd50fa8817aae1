"""Decide, set-at-a-time, which checked rows are new records, corrections, retractions or re-deliveries,
and shape what goes into the store.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.duck.checks import lit, q
from ilos.domain.feeds import Feed
from ilos.domain.outcomes import Outcome
from ilos.domain.reasons import REASON_DESCRIPTIONS, Reason

KEY = "source_system, source_record_id"


def new_versions(
    con: duckdb.DuckDBPyConnection, feed: Feed, checked: str, existing: str, batch_id: int
) -> pa.Table:
    """The chunk's rows to store, as the records table's columns, with their version numbers.

    `existing` names a relation of stored versions (source_system, source_record_id, version,
    content_hash). A row whose content equals a stored version of its key, or an earlier row of
    the chunk, is a re-delivery and is left out. The others get the next versions in the order
    of their recorded_at (then content hash), so a correction delivered in the same file before
    the row it corrects is still numbered after it.
    """
    cols = ", ".join(f"c.{q(c)}" for c in feed.column_names)
    return con.sql(
        f"""
        WITH firsts AS MATERIALIZED (
          SELECT {KEY}, _hash, any_value(_recorded_utc) AS _recorded_utc, min(_row) AS _row
          FROM {checked} WHERE _fail IS NULL GROUP BY ALL),
        relevant AS MATERIALIZED (  -- stored versions of this chunk's keys only (the chunk is the hash side)
          SELECT e.* FROM {existing} e SEMI JOIN firsts f
            ON e.source_system = f.source_system AND e.source_record_id = f.source_record_id),
        unseen AS (
          SELECT f.* FROM firsts f ANTI JOIN relevant e
            ON e.source_system = f.source_system AND e.source_record_id = f.source_record_id
           AND e.content_hash = f._hash),
        latest AS (SELECT {KEY}, max(version) AS latest FROM relevant GROUP BY ALL),
        numbered AS (
          SELECT u._row, (coalesce(l.latest, 0)
                 + row_number() OVER (PARTITION BY {KEY} ORDER BY u._recorded_utc, u._hash))::INTEGER AS version
          FROM unseen u LEFT JOIN latest l USING ({KEY}))
        SELECT {batch_id}::BIGINT AS batch_id, c._row AS file_row, n.version,
               c._hash AS content_hash, c._recorded_utc AS recorded_at_utc, {cols}, c._extra AS extra
        FROM {checked} c JOIN numbered n USING (_row)
        """
    ).to_arrow_table()


def outcome_counts(chunk: pa.Table, stored: pa.Table) -> dict[Outcome, int]:
    """Rows of a checked chunk by outcome, given the versions `new_versions` returned for it."""
    invalid = chunk.num_rows - chunk.column("_fail").null_count
    retracted_flags = pc.equal(pc.utf8_lower(pc.fill_null(stored.column("retracted"), "")), "true")
    first = pc.equal(stored.column("version"), 1)
    retracted = int(pc.sum(retracted_flags).as_py() or 0)
    new = int(pc.sum(pc.and_(first, pc.invert(retracted_flags))).as_py() or 0)
    corrected = stored.num_rows - retracted - new
    return {
        Outcome.NEW: new,
        Outcome.CORRECTED: corrected,
        Outcome.RETRACTED: retracted,
        Outcome.UNCHANGED: chunk.num_rows - invalid - stored.num_rows,
        Outcome.QUARANTINED: invalid,
    }


def invalid_rows(con: duckdb.DuckDBPyConnection, feed: Feed, checked: str, chunk: pa.Table) -> pa.Table:
    """The chunk's invalid rows: key, row, reason, message and the row as delivered (JSON). `chunk` is
    the table registered as `checked` (a chunk without one asks DuckDB nothing)."""
    if chunk.column("_fail").null_count == chunk.num_rows:
        return QUARANTINE_SCHEMA.empty_table()
    packed = ", ".join(f"{q(c)} := {q(c)}" for c in feed.column_names)
    raw = f"json_merge_patch(json_merge_patch('{{}}', to_json(struct_pack({packed}))), coalesce(_extra, '{{}}'))"
    return con.sql(
        f"SELECT source_system, source_record_id, _row, (_fail).reason AS reason, (_fail).message AS message, "
        f"{raw}::VARCHAR AS raw FROM {checked} WHERE _fail IS NOT NULL"
    ).to_arrow_table()


QUARANTINE_SCHEMA = pa.schema(
    [("source_system", pa.string()), ("source_record_id", pa.string()), ("_row", pa.int64()),
     ("reason", pa.string()), ("message", pa.string()), ("raw", pa.string())]
)  # fmt: skip


def quarantine_rows(
    con: duckdb.DuckDBPyConnection, feed: Feed, file: str, batch_id: int, invalid: pa.Table, malformed: pa.Table,
    shifts: pa.Table,
) -> pa.Table:  # fmt: skip
    """Quarantine rows to append: invalid and malformed rows, renumbered, each kept with its row number
    (identical rows of one file too), with the hash of the raw row (`raw_hash`) that tells whether an
    earlier delivery quarantined it already."""
    if not invalid.num_rows and not malformed.num_rows:
        return QUARANTINED_SCHEMA.empty_table()
    con.register("q_invalid", invalid)
    con.register("q_malformed", malformed)
    con.register("q_shifts", shifts)
    message = lit(REASON_DESCRIPTIONS[Reason.MALFORMED_ROW])
    table = con.sql(
        f"""
        WITH invalid AS (
          SELECT i.* REPLACE (i._row + coalesce(s.k, 0) AS _row)
          FROM q_invalid i ASOF LEFT JOIN q_shifts s ON i._row > s.good_before),
        everything AS (
          SELECT * FROM invalid
          UNION ALL
          SELECT NULL, NULL, _row, {lit(Reason.MALFORMED_ROW.value)}, {message}, to_json({{'_line': raw}})::VARCHAR
          FROM q_malformed),
        hashed AS (SELECT *, md5(raw) AS raw_hash FROM everything)
        SELECT {batch_id}::BIGINT AS batch_id, {lit(feed.name)} AS feed, source_system, source_record_id,
               {lit(file)} AS file, _row AS file_row, reason, message, raw, raw_hash
        FROM hashed
        ORDER BY _row
        """
    ).to_arrow_table()
    for name in ("q_invalid", "q_malformed", "q_shifts"):
        con.unregister(name)
    return table


#: What `quarantine_rows` returns.
QUARANTINED_SCHEMA = pa.schema(
    [("batch_id", pa.int64()), ("feed", pa.string()), ("source_system", pa.string()),
     ("source_record_id", pa.string()), ("file", pa.string()), ("file_row", pa.int64()), ("reason", pa.string()),
     ("message", pa.string()), ("raw", pa.string()), ("raw_hash", pa.string())]
)  # fmt: skip


def reason_counts(invalid: pa.Table, malformed: pa.Table) -> dict[str, int]:
    """Quarantined rows by reason."""
    counts: dict[str, int] = {}
    for reason in invalid.column("reason").to_pylist():
        counts[reason] = counts.get(reason, 0) + 1
    if malformed.num_rows:
        counts[Reason.MALFORMED_ROW.value] = malformed.num_rows
    return dict(sorted(counts.items()))
