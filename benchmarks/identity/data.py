"""Build resolver input records and the ground truth from a generator output folder."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa

from ilos.adapters.db.reader import TRIP_DAYS
from ilos.adapters.duck.checking import checked_query
from ilos.domain.feeds import FEEDS, IDENTITY_COLUMNS

_IDENTITY = tuple(
    c.name for c in IDENTITY_COLUMNS if c.name not in ("source_system", "source_record_id", "recorded_at")
)


def _feed_sql(con: duckdb.DuckDBPyConnection, folder: Path, feed: str, now_utc: str) -> str:
    """The feed's rows that pass the contract's checks (ILOS quarantines the others: they never
    reach identity resolution), with the resolver's columns."""
    raw = f"SELECT * FROM read_csv('{folder / f'{feed}.csv'}', all_varchar = true, header = true, quote = '\"', escape = '\"')"
    columns = [row[0] for row in con.sql(f"DESCRIBE {raw}").fetchall()]
    has_adm = "admission_number" in FEEDS[feed].column_names
    adm = "admission_number" if has_adm else "NULL::VARCHAR"
    incident = "incident_id" if "incident_id" in FEEDS[feed].column_names else "NULL::VARCHAR"
    receipt = "receipt_number" if "receipt_number" in FEEDS[feed].column_names else "NULL::VARCHAR"
    day = TRIP_DAYS.get(feed, "NULL::VARCHAR")
    cols = ", ".join(_IDENTITY)
    return f"""
        SELECT '{feed}/' || source_system || '/' || source_record_id AS record_uid, '{feed}' AS feed,
               source_system, source_record_id, {cols}, {adm} AS admission_number,
               {incident} AS incident_id, {receipt} AS receipt_number, {day} AS event_day, recorded_at, coalesce(retracted, '') AS retracted
        FROM ({checked_query(FEEDS[feed], columns, raw, now_utc)}) WHERE _fail IS NULL
    """


def load_records(folder: Path, con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """The latest, non-retracted version of every source record in every feed that passes the
    contract's checks, as resolver input (with the day of each arrival's and departure's trip, as the
    store reads it)."""
    con = con or duckdb.connect()
    now_utc = json.loads((folder / "truth" / "manifest.json").read_text())["now"]
    feeds = [f for f in FEEDS if (folder / f"{f}.csv").exists()]
    union = " UNION ALL ".join(_feed_sql(con, folder, f, now_utc) for f in feeds)
    sql = f"""
        WITH allrows AS ({union}),
        latest AS (
            SELECT * FROM allrows
            QUALIFY row_number() OVER (PARTITION BY source_system, source_record_id
                                       ORDER BY try_cast(recorded_at AS TIMESTAMPTZ) DESC NULLS LAST) = 1
        )
        SELECT * EXCLUDE (recorded_at, retracted, date_of_birth),
               CASE WHEN regexp_full_match(date_of_birth, '\\d{{4}}(-\\d{{2}}(-\\d{{2}})?)?')
                         AND (length(date_of_birth) < 10 OR try_cast(date_of_birth AS DATE) IS NOT NULL)
                    THEN date_of_birth END AS date_of_birth
        FROM latest WHERE lower(retracted) <> 'true'
        ORDER BY record_uid
    """
    table = con.sql(sql).to_arrow_table()
    order = [
        "record_uid",
        "feed",
        "source_system",
        "source_record_id",
        *_IDENTITY,
        "admission_number",
        "incident_id",
        "receipt_number",
        "event_day",
    ]
    return table.select(order)


def load_truth(folder: Path, con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """record_uid -> true_person_id is keyed by (source_system, source_record_id) in the truth file."""
    con = con or duckdb.connect()
    path = folder / "truth" / "persons.csv"
    return con.sql(
        f"SELECT * FROM read_csv('{path}', all_varchar = true, quote = '\"', escape = '\"')"
    ).to_arrow_table()


def load_twins(folder: Path, con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """Pairs (true_person_id, twin_of) of generated twins."""
    con = con or duckdb.connect()
    path = folder / "truth" / "identities.csv"
    sql = f"SELECT true_person_id, twin_of FROM read_csv('{path}', all_varchar = true, quote = '\"', escape = '\"') WHERE twin_of <> ''"
    return con.sql(sql).to_arrow_table()
