"""Decide, set-at-a-time, which checked rows are new records, corrections, retractions or re-deliveries.

Inputs are a staged batch (see staging.py) and Arrow tables of what the store already holds for
the same keys. Outputs are DuckDB relations ready to be streamed into the store.
"""

from __future__ import annotations

import pyarrow as pa

from ilos.adapters.duck.checks import lit, q
from ilos.adapters.duck.run import one, run
from ilos.adapters.duck.staging import Staged
from ilos.domain.outcomes import Outcome
from ilos.domain.reasons import REASON_DESCRIPTIONS, Reason

KEY = "source_system, source_record_id"


def classify(staged: Staged, existing: pa.Table) -> str:
    """Create a narrow table (_row, _version) of the rows to store; return its name.

    `existing` holds (source_system, source_record_id, version, content_hash) of stored versions.
    A row whose content equals a stored version of its key, or an earlier row of the same file,
    is a re-delivery and is left out. The others get the next version numbers in file order.
    """
    con, name = staged.con, f"{staged.checked}_fresh"
    con.register("existing_versions", existing)
    unseen = (
        "firsts"
        if existing.num_rows == 0
        else f"""(SELECT f.* FROM firsts f ANTI JOIN existing_versions e
                   ON e.source_system = f.source_system AND e.source_record_id = f.source_record_id
                  AND e.content_hash = f._hash)"""
    )
    run(
        con,
        f"""
        CREATE TEMP TABLE {name} AS
        WITH firsts AS (
          SELECT {KEY}, _hash, min(_row) AS _row FROM {staged.checked} WHERE _fail IS NULL GROUP BY ALL),
        latest AS (SELECT {KEY}, max(version) AS latest FROM existing_versions GROUP BY ALL)
        SELECT u._row, coalesce(l.latest, 0) + row_number() OVER (PARTITION BY {KEY} ORDER BY u._row) AS _version
        FROM {unseen} u LEFT JOIN latest l USING ({KEY})
        """,
    )
    con.unregister("existing_versions")
    return name


def outcome_counts(staged: Staged, fresh: str) -> dict[Outcome, int]:
    """Rows of the batch by outcome."""
    con = staged.con
    row = con.execute(
        f"""
        SELECT count(*) FILTER (WHERE lower(coalesce(retracted, '')) = 'true'),
               count(*) FILTER (WHERE lower(coalesce(retracted, '')) <> 'true' AND _version = 1),
               count(*) FILTER (WHERE lower(coalesce(retracted, '')) <> 'true' AND _version > 1)
        FROM {fresh} JOIN {staged.checked} USING (_row)
        """
    ).fetchall()[0]
    con.complete()
    retracted, new, corrected = row
    valid = staged.count("_fail IS NULL")
    invalid = staged.count("_fail IS NOT NULL") + _count(staged, staged.malformed)
    return {
        Outcome.NEW: new,
        Outcome.CORRECTED: corrected,
        Outcome.RETRACTED: retracted,
        Outcome.UNCHANGED: valid - new - corrected - retracted,
        Outcome.QUARANTINED: invalid,
    }


def reason_counts(staged: Staged) -> dict[str, int]:
    """Quarantined rows of the batch by reason."""
    rows = staged.con.execute(
        f"SELECT (_fail).reason, count(*) FROM {staged.checked} WHERE _fail IS NOT NULL GROUP BY ALL"
    ).fetchall()
    counts = {str(r): int(n) for r, n in rows}
    malformed = _count(staged, staged.malformed)
    if malformed:
        counts[Reason.MALFORMED_ROW.value] = malformed
    return dict(sorted(counts.items()))


def _count(staged: Staged, table: str) -> int:
    return int(one(staged.con, f"SELECT count(*) FROM {table}"))


def records_query(staged: Staged, fresh: str, batch_id: int) -> str:
    """SQL producing the record rows to append, in key order (kind to the store's B-tree)."""
    cols = ", ".join(q(c) for c in staged.feed.column_names)
    return (
        f"SELECT {batch_id}::BIGINT AS batch_id, _row::BIGINT AS file_row, _version::INTEGER AS version, "
        f"_hash AS content_hash, _recorded_utc AS recorded_at_utc, {cols}, _extra AS extra "
        f"FROM {staged.checked} JOIN {fresh} USING (_row)"
    )


def quarantine_query(staged: Staged, batch_id: int, known_hashes: pa.Table) -> str:
    """SQL producing the quarantine rows to append: rows not already in the quarantine."""
    con = staged.con
    con.register("known_quarantine", known_hashes)
    packed = ", ".join(f"{q(c)} := {q(c)}" for c in staged.feed.column_names)
    raw = f"json_merge_patch(json_merge_patch('{{}}', to_json(struct_pack({packed}))), coalesce(_extra, '{{}}'))::VARCHAR"
    malformed_msg = lit(REASON_DESCRIPTIONS[Reason.MALFORMED_ROW])
    return f"""
        SELECT {batch_id}::BIGINT AS batch_id, {lit(staged.feed.name)} AS feed, source_system, source_record_id,
               {lit(staged.source)} AS file, _row::BIGINT AS file_row, reason, message, raw, raw_hash
        FROM (
          SELECT *, md5(raw) AS raw_hash,
                 row_number() OVER (PARTITION BY md5(raw) ORDER BY _row) AS occurrence
          FROM (
            SELECT source_system, source_record_id, _row, (_fail).reason AS reason, (_fail).message AS message,
                   {raw} AS raw
            FROM {staged.checked} WHERE _fail IS NOT NULL
            UNION ALL
            SELECT NULL, NULL, _row, {lit(Reason.MALFORMED_ROW.value)}, {malformed_msg},
                   to_json({{'_line': raw}})::VARCHAR
            FROM {staged.malformed}))
        WHERE occurrence = 1 AND raw_hash NOT IN (SELECT raw_hash FROM known_quarantine)
        ORDER BY _row
    """
