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
import pyarrow.compute as pc
from unidecode import unidecode

from ilos.adapters.kept_tables import among_sorted, gathered, parted

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


def _ascii_map(cur: duckdb.DuckDBPyConnection, names: str) -> None:
    """Register `rel_ascii`: raw -> ASCII (unidecode) for each distinct non-ASCII value of the SELECT
    `names` (one column)."""
    sql = f"SELECT DISTINCT v FROM ({names}) n(v) WHERE v IS NOT NULL AND NOT regexp_full_match(v, '[\\x00-\\x7F]*')"
    raw = [row[0] for row in cur.sql(sql).fetchall()]
    cur.register(
        "rel_ascii",
        pa.table(
            {"raw": pa.array(raw, pa.string()), "ascii": pa.array([unidecode(v) for v in raw], pa.string())}
        ),
    )


def _key(column: str) -> str:
    return name_key_sql(f"coalesce((SELECT ascii FROM rel_ascii WHERE raw = {column}), {column})")


#: Columns of `record_keys`: what a held record offers a relative's description.
KEY_COLUMNS = ("record_uid", "a9", "fam", "giv", "dob")


def record_keys(con: duckdb.DuckDBPyConnection, records: pa.Table) -> pa.Table:
    """record_uid, a9, fam, giv, dob of each identity record (record_uid, family_name, given_names,
    date_of_birth, a_number): the keys a relative's description is matched on. Each row is a function
    of its record alone."""
    cur = con.cursor()
    try:
        cur.register("rel_records", records)
        _ascii_map(cur, "SELECT family_name FROM rel_records UNION ALL SELECT given_names FROM rel_records")
        return cur.sql(
            f"""SELECT record_uid, {a_number_sql("a_number")} AS a9, {_key("family_name")} AS fam,
                       {_key("given_names")} AS giv, {birth_date_sql("date_of_birth")} AS dob
                FROM rel_records"""
        ).to_arrow_table()
    finally:
        cur.close()


def _described(cur: duckdb.DuckDBPyConnection, relationships: str) -> None:
    """Table `rel`: each relationship of `relationships` with its own record's uid, its subject's person
    (`rel_links`) and the keys its relative is described by."""
    _ascii_map(
        cur,
        f"SELECT relative_family_name FROM {relationships} UNION ALL SELECT relative_given_names FROM {relationships}",
    )
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE rel AS
            WITH r AS (SELECT *, '{FEED}/' || source_system || '/' || source_record_id AS record_uid
                       FROM {relationships})
            SELECT r.relationship_id, r.source_system, r.source_record_id, r.record_uid, r.relationship,
                   l.person_id AS subject_person_id,
                   CASE WHEN lower(trim(r.relative_us_citizen)) IN ('true', 'false')
                        THEN lower(trim(r.relative_us_citizen)) END AS relative_us_citizen,
                   {a_number_sql("r.relative_a_number")} AS a9,
                   {_key("r.relative_family_name")} AS fam,
                   {_key("r.relative_given_names")} AS giv,
                   {birth_date_sql("r.relative_date_of_birth")} AS dob
            FROM r LEFT JOIN rel_links l USING (record_uid)"""
    )


def _described_again(
    cur: duckdb.DuckDBPyConnection, described: pa.Table, uids: pa.Array, links: pa.Table
) -> pa.Table:
    """What `_described` builds from the same relationships, from what it built for the links before
    (`described`) and the records whose links changed since (`uids`): only a subject's person depends
    on the links, so only the rows whose own record is one of `uids` take it again (describing every
    relationship again joined the whole link state, 0.1 s a batch at 1,419,024 records)."""
    kept, stale = parted(described, "record_uid", uids)
    if not stale.num_rows:
        return described
    cur.register("rel_stale", stale)
    cur.register("rel_stale_links", among_sorted(links, "record_uid", uids))  # links sorted by record uid
    again = cur.sql(
        """SELECT d.* REPLACE (l.person_id AS subject_person_id)
           FROM rel_stale d LEFT JOIN rel_stale_links l USING (record_uid)"""
    ).to_arrow_table()
    return gathered(pa.concat_tables([kept, again.select(kept.column_names).cast(kept.schema)]))


_RESOLVED = """
    WITH held AS (
        SELECT DISTINCT l.person_id, k.a9, k.fam, k.giv, k.dob FROM rel_keys k JOIN rel_links l USING (record_uid)
    ),
    by_a AS (
        SELECT rel.source_system, rel.source_record_id,
               count(DISTINCT h.person_id) AS n, min(h.person_id) AS person_id
        FROM {rel} rel JOIN held h ON h.a9 = rel.a9
        WHERE h.person_id IS DISTINCT FROM rel.subject_person_id
        GROUP BY ALL
    ),
    by_name AS (
        SELECT rel.source_system, rel.source_record_id,
               count(DISTINCT h.person_id) AS n, min(h.person_id) AS person_id
        FROM {rel} rel JOIN held h ON h.fam = rel.fam AND h.giv = rel.giv AND h.dob = rel.dob
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
    FROM {rel} rel
    LEFT JOIN by_a a USING (source_system, source_record_id)
    LEFT JOIN by_name m USING (source_system, source_record_id)
    ORDER BY rel.source_system, rel.source_record_id
"""


def link_relatives(
    con: duckdb.DuckDBPyConnection,
    relationships: pa.Table,
    records: pa.Table,
    links: pa.Table,
    keys: pa.Table | None = None,
) -> pa.Table:
    """One row per relationship in force, its subject and relative resolved to persons (see the module).

    relationships: the `relationships` rows in force (source_system, source_record_id and the feed's
    columns); records: identity records in force (record_uid, family_name, given_names, date_of_birth,
    a_number), or `keys`, their `record_keys`; links: record_uid -> person_id. Sorted by source_system,
    source_record_id.
    """
    keys = keys if keys is not None else record_keys(con, records)
    cur = con.cursor()
    try:
        cur.register("rel_rows", relationships)
        cur.register("rel_keys", keys)
        cur.register("rel_links", links.select(["record_uid", "person_id"]))
        _described(cur, "rel_rows")
        result = cur.sql(_RESOLVED.format(rel="rel")).to_arrow_table()
    finally:
        cur.close()
    return result.cast(RESULT_SCHEMA)


def _near(cur: duckdb.DuckDBPyConnection, keys: pa.Table) -> pa.Table:
    """The record keys sharing an A-number or a family name with a relationship of table `redo`: every
    record that matches one of them, and a few more, found with one pass over each column (matching
    every record's three keys against theirs took 0.1 s a batch at 1,419,024 records)."""
    a9, fam = (
        pa.array(
            [r[0] for r in cur.sql(f"SELECT DISTINCT {c} FROM redo WHERE {c} IS NOT NULL").fetchall()],
            pa.string(),
        )
        for c in ("a9", "fam")
    )
    return keys.filter(pc.or_(pc.is_in(keys.column("a9"), a9), pc.is_in(keys.column("fam"), fam)))


def relink_relatives(
    con: duckdb.DuckDBPyConnection,
    before: tuple[pa.Table, pa.Table, pa.Table, pa.Table | None],
    relationships: pa.Table,
    changed: tuple[pa.Table, pa.Array],
    links: pa.Table,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """`link_relatives` after a resolution run that replaced the links of the records `changed[1]`
    (record uids: new, corrected, relinked or gone), given the result, the relationships, the
    `record_keys` and the described relationships of the run before (`before`; the last may be None)
    and the changed records in force (`changed[0]`): (the result, the record keys now, the described
    relationships now).

    A relationship's row depends only on its own row, its subject's link, and the persons of the
    records whose keys equal its relative's description. So only the relationships whose row changed,
    whose own record changed, or whose relative's keys those of a changed record (before or after)
    equal, are resolved again, against the records of those keys; the others keep their row. The same
    relationships as before (the same table) are not described again: only their subjects' persons are
    looked up again where those links changed.
    """
    result, old_relationships, old_keys, old_described = before
    records, uids = changed
    same_rows = relationships is old_relationships  # re-read only when a batch of them was stored
    cur = con.cursor()
    try:
        cur.register("gone_uids", pa.table({"record_uid": uids}))
        new_keys = record_keys(con, records)
        cur.register("new_keys", new_keys)
        # the kept rows stay slices of the old table, not sorted again with every record's keys; what
        # reads the keys joins them, in no order
        kept, old_dirty = parted(old_keys.select(list(KEY_COLUMNS)), "record_uid", uids)
        keys = gathered(pa.concat_tables([kept, new_keys.select(list(KEY_COLUMNS)).cast(kept.schema)]))
        cur.register("rel_rows", relationships)
        cur.register("old_rows", old_relationships)
        cur.register("rel_keys_all", keys)
        cur.register("rel_links", links.select(["record_uid", "person_id"]))
        if same_rows and old_described is not None:
            described = _described_again(cur, old_described, uids, links)
            edited = ""
        else:
            _described(cur, "rel_rows")
            described = cur.sql("SELECT * FROM rel").to_arrow_table()
            edited = """OR (source_system, source_record_id) IN (
                          SELECT source_system, source_record_id FROM (SELECT * FROM rel_rows EXCEPT SELECT * FROM old_rows))"""
        cur.register("rel_described", described)
        cur.register("old_dirty", old_dirty)
        cur.execute(
            f"""CREATE TEMP TABLE dirty AS
                SELECT a9, fam, giv, dob FROM old_dirty UNION ALL SELECT a9, fam, giv, dob FROM new_keys;
                CREATE TEMP TABLE redo AS
                SELECT * FROM rel_described
                WHERE record_uid IN (SELECT record_uid FROM gone_uids)
                   OR a9 IN (SELECT a9 FROM dirty)
                   OR (fam, giv, dob) IN (SELECT fam, giv, dob FROM dirty) {edited}"""
        )
        if same_rows and not cur.sql("SELECT count(*) FROM redo").fetchall()[0][0]:
            return result, keys, described  # no relationship can have changed
        cur.register("rel_keys_near", _near(cur, keys))
        cur.execute(
            """CREATE TEMP TABLE rel_keys AS
               SELECT * FROM rel_keys_near
               WHERE a9 IN (SELECT a9 FROM redo) OR (fam, giv, dob) IN (SELECT fam, giv, dob FROM redo)"""
        )
        redone = cur.sql(_RESOLVED.format(rel="redo")).to_arrow_table().cast(RESULT_SCHEMA)
        cur.register("old_result", result)
        cur.register("redone", redone)
        merged = cur.sql(
            """SELECT * FROM old_result
               SEMI JOIN rel_rows USING (source_system, source_record_id)
               ANTI JOIN redone USING (source_system, source_record_id)
               UNION ALL SELECT * FROM redone ORDER BY source_system, source_record_id"""
        ).to_arrow_table()
    finally:
        cur.close()
    return merged.cast(RESULT_SCHEMA), keys, described
