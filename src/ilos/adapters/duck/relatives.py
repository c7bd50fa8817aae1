"""Relatives named in `relationships`, resolved to persons, set-at-a-time in DuckDB.

A relationship row names its subject (the row's own record, linked to a person by identity
resolution) and a relative, described by the filer. The relative is the person ILOS holds records of
that the description points to, tried in this order:

1. `a_number`: the relative's A-number (optional leading A, zero-padded to nine digits, as in
   identity resolution) is on the records of exactly one person;
2. `name_and_birth_date`: the relative's family and given names (folded to upper-case ASCII, letters
   only, so that spaces, hyphens, apostrophes and case do not matter) and full birth date are those
   of a record of exactly one person;
3. `ambiguous` when the first step that finds anyone finds more than one person; else `not_held`.

The subject is never their own relative: the subject's person is left out of the candidates.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
from unidecode import unidecode

#: Columns of the result, in order.
COLUMNS: tuple[str, ...] = (
    "relationship_id",
    "source_system",
    "source_record_id",
    "subject_person_id",
    "relationship",
    "relative_person_id",
    "relative_us_citizen",
    "match",
)

RESULT_SCHEMA = pa.schema([(name, pa.string()) for name in COLUMNS])

FEED = "relationships"


def a_number_sql(expr: str) -> str:
    """SQL for an A-number as nine digits (NULL when it is not one): `A1234567` = `001234567`."""
    digits = f"regexp_extract(upper(trim({expr})), '^A?0*([0-9]{{1,9}})$', 1)"
    return f"CASE WHEN {digits} <> '' THEN lpad({digits}, 9, '0') END"


def name_key_sql(expr: str) -> str:
    """SQL for a name's key over its ASCII spelling: upper-case letters only (NULL when none)."""
    return f"nullif(regexp_replace(upper({expr}), '[^A-Z]', '', 'g'), '')"


def birth_date_sql(expr: str) -> str:
    """SQL for a full, valid `YYYY-MM-DD` birth date (NULL when partial or invalid)."""
    d = f"trim({expr})"
    return f"CASE WHEN regexp_full_match({d}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') THEN CAST(try_cast({d} AS DATE) AS VARCHAR) END"


def _ascii_map(cur: duckdb.DuckDBPyConnection) -> pa.Table:
    """raw -> ASCII (unidecode) for each distinct non-ASCII name spelling, on either side."""
    sql = """
        SELECT DISTINCT v FROM (
            SELECT relative_family_name AS v FROM rel_rows UNION ALL SELECT relative_given_names FROM rel_rows
            UNION ALL SELECT family_name FROM rel_records UNION ALL SELECT given_names FROM rel_records)
        WHERE v IS NOT NULL AND NOT regexp_full_match(v, '[\\x00-\\x7F]*')
    """
    raw = [row[0] for row in cur.sql(sql).fetchall()]
    return pa.table(
        {"raw": pa.array(raw, pa.string()), "ascii": pa.array([unidecode(v) for v in raw], pa.string())}
    )


def link_relatives(
    con: duckdb.DuckDBPyConnection, relationships: pa.Table, records: pa.Table, links: pa.Table
) -> pa.Table:
    """One row per relationship in force, its subject and relative resolved to persons (see the module).

    relationships: the `relationships` rows in force (source_system, source_record_id and the feed's
    columns); records: identity records in force (record_uid, family_name, given_names, date_of_birth,
    a_number); links: record_uid -> person_id. Sorted by source_system, source_record_id.
    """
    cur = con.cursor()
    try:
        cur.register("rel_rows", relationships)
        cur.register("rel_records", records)
        cur.register("rel_links", links.select(["record_uid", "person_id"]))
        cur.register("rel_ascii", _ascii_map(cur))

        def key(column: str) -> str:
            return name_key_sql(f"coalesce((SELECT ascii FROM rel_ascii WHERE raw = {column}), {column})")

        result = cur.sql(
            f"""
            WITH rel AS (
                SELECT r.relationship_id, r.source_system, r.source_record_id, r.relationship,
                       l.person_id AS subject_person_id,
                       CASE WHEN lower(trim(r.relative_us_citizen)) IN ('true', 'false')
                            THEN lower(trim(r.relative_us_citizen)) END AS relative_us_citizen,
                       {a_number_sql("r.relative_a_number")} AS a9,
                       {key("r.relative_family_name")} AS fam,
                       {key("r.relative_given_names")} AS giv,
                       {birth_date_sql("r.relative_date_of_birth")} AS dob
                FROM rel_rows r
                LEFT JOIN rel_links l
                       ON l.record_uid = '{FEED}/' || r.source_system || '/' || r.source_record_id
            ),
            held AS (
                SELECT DISTINCT l.person_id, {a_number_sql("h.a_number")} AS a9,
                       {key("h.family_name")} AS fam, {key("h.given_names")} AS giv,
                       {birth_date_sql("h.date_of_birth")} AS dob
                FROM rel_records h JOIN rel_links l USING (record_uid)
            ),
            by_a AS (
                SELECT rel.source_system, rel.source_record_id,
                       count(DISTINCT h.person_id) AS n, min(h.person_id) AS person_id
                FROM rel JOIN held h ON h.a9 = rel.a9
                WHERE h.person_id IS DISTINCT FROM rel.subject_person_id
                GROUP BY ALL
            ),
            by_name AS (
                SELECT rel.source_system, rel.source_record_id,
                       count(DISTINCT h.person_id) AS n, min(h.person_id) AS person_id
                FROM rel JOIN held h ON h.fam = rel.fam AND h.giv = rel.giv AND h.dob = rel.dob
                WHERE h.person_id IS DISTINCT FROM rel.subject_person_id
                GROUP BY ALL
            )
            SELECT rel.relationship_id, rel.source_system, rel.source_record_id, rel.subject_person_id,
                   rel.relationship,
                   CASE WHEN a.n = 1 THEN a.person_id WHEN a.n > 1 THEN NULL
                        WHEN m.n = 1 THEN m.person_id END AS relative_person_id,
                   rel.relative_us_citizen,
                   CASE WHEN a.n = 1 THEN 'a_number' WHEN a.n > 1 THEN 'ambiguous'
                        WHEN m.n = 1 THEN 'name_and_birth_date' WHEN m.n > 1 THEN 'ambiguous'
                        ELSE 'not_held' END AS match
            FROM rel
            LEFT JOIN by_a a USING (source_system, source_record_id)
            LEFT JOIN by_name m USING (source_system, source_record_id)
            ORDER BY rel.source_system, rel.source_record_id
            """
        ).to_arrow_table()
    finally:
        cur.close()
    return result.cast(RESULT_SCHEMA)
