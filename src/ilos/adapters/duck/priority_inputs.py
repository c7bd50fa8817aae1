"""Typed input tables of holds and facts, and the business-day calendar, in a DuckDB workspace.

Rows are the records in force (cut at the known-at time by the reader) dated on or before the as-of
date, each with `pkey` (its person, or its own uid when linked to no one) and its record `uid`.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import duckdb
import pyarrow as pa

from ilos.domain.evaluation.calendar import business_days

#: Feeds (besides admissions, departures and status events) and the columns holds and facts read.
PRIORITY_COLUMNS: dict[str, tuple[str, ...]] = {
    "status_events": ("source_system", "receipt_number", "benefit", "event", "event_date", "valid_from",
                      "valid_until", "country", "admission_number", "date_of_birth"),
    "court_events": ("case_number", "event", "event_date", "deadline", "date_of_birth"),
    "criminal_dispositions": ("incident_id", "stage", "event_date", "category", "gang_related", "date_of_birth"),
    "encounters": ("encounter_type", "agency", "outcome", "event_date", "date_of_birth"),
    "designations": ("designation_id", "event", "event_date", "date_of_birth"),
    "relationships": ("relationship", "relative_us_citizen", "date_of_birth"),
    "arrivals": ("date_of_birth",),
    "departures": ("date_of_birth",),
}  # fmt: skip


def _day(column: str) -> str:
    return f"TRY_CAST(nullif({column}, '') AS DATE)"


def load_priority_inputs(
    cur: duckdb.DuckDBPyConnection, inputs: dict[str, pa.Table], relative_links: pa.Table, as_of: date
) -> None:
    """Tables `sev`, `court`, `crim`, `enc`, `desig`, `rel` and `dob` (see the module docstring)."""
    day = f"DATE '{as_of.isoformat()}'"
    for name, table in inputs.items():
        cur.register(f"p_{name}", table)
    cur.register("p_relative_links", relative_links)
    pkey = "coalesce(person_id, uid) AS pkey, person_id, uid"
    cur.execute(
        f"""
        CREATE TABLE sev AS SELECT {pkey}, receipt_number, benefit, event, {_day("event_date")} AS day,
               {_day("valid_from")} AS valid_from, {
            _day("valid_until")
        } AS valid_until, nullif(country, '') AS country,
               source_record_id AS key
        FROM p_status_events WHERE {_day("event_date")} <= {day};
        CREATE TABLE court AS SELECT {pkey}, case_number, event, {_day("event_date")} AS day,
               {_day("deadline")} AS deadline
        FROM p_court_events WHERE {_day("event_date")} <= {day};
        CREATE TABLE crim AS SELECT {pkey}, incident_id, stage, {_day("event_date")} AS day, category,
               coalesce(lower(gang_related) = 'true', false) AS gang
        FROM p_criminal_dispositions WHERE {_day("event_date")} <= {day};
        CREATE TABLE enc AS SELECT {pkey}, encounter_type, agency, outcome, {_day("event_date")} AS day
        FROM p_encounters WHERE {_day("event_date")} <= {day};
        CREATE TABLE desig AS SELECT {pkey}, designation_id, event, {_day("event_date")} AS day
        FROM p_designations WHERE {_day("event_date")} <= {day};
        CREATE TABLE rel AS SELECT {
            pkey
        }, relationship, coalesce(lower(relative_us_citizen) = 'true', false) AS usc,
               k.relative_person_id
        FROM p_relationships r LEFT JOIN p_relative_links k USING (uid);
        CREATE TABLE dob AS
        {
            " UNION ALL ".join(
                f"SELECT person_id, uid, TRY_CAST(date_of_birth AS DATE) AS dob FROM p_{name} "
                "WHERE person_id IS NOT NULL AND length(date_of_birth) = 10"
                for name in inputs
            )
        };
        """
    )
    for name in inputs:
        cur.unregister(f"p_{name}")
    cur.unregister("p_relative_links")


@cache
def _business_days(first_year: int, last_year: int) -> pa.Table:
    """The domain's calendar (`ilos.domain.evaluation.calendar`) as a table, once per process."""
    calendar = business_days(first_year, last_year)
    return pa.table({
        "day": pa.array(calendar.days, pa.date32()), "business": pa.array(calendar.business),
        "next_business": pa.array(calendar.next_business, pa.date32()),
        "business_index": pa.array(calendar.business_index, pa.int64()),
    })  # fmt: skip


def business_calendar(cur: duckdb.DuckDBPyConnection, first_year: int, last_year: int) -> None:
    """Table `calendar(day, business, next_business, business_index)` over the years given: whether a day
    is a business day, the first business day on or after it, and a running count of business days (so
    `n business days after` is a join on the index)."""
    cur.register("calendar_arrow", _business_days(first_year, last_year))
    cur.execute("CREATE TABLE calendar AS SELECT * FROM calendar_arrow")
    cur.unregister("calendar_arrow")
