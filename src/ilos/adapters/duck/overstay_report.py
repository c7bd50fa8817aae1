"""The DHS Entry/Exit Overstay Report from table `status`, set-at-a-time.

Scope: `AIR` and `SEA` admissions whose class family (the letters before the first digit: `A1` → `A`,
`C1D` → `C`, `CW1` → `CW`) is not `A`, `G`, `C` or `D`, and whose authorized-until falls in the fiscal
year. Out of country: `DEPARTED_OVERSTAY`; suspected in country: `SUSPECTED_IN_COUNTRY_OVERSTAY` and
`DEPARTURE_UNVERIFIED`. Citizens of Canada and Mexico form groups of their own; a missing
citizenship is reported as `XXX` (unspecified). Every group has its TOTAL row, with zeros when none of
its admissions is in scope; with no expected departures the rates are empty.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

#: Report groups in the contract's order.
GROUPS: tuple[str, ...] = ("VWP", "B1B2", "FMJ", "OTHER", "CANADA", "MEXICO")
EXCLUDED_FAMILIES = ("A", "G", "C", "D")
COLUMNS: tuple[str, ...] = (
    "group",
    "country",
    "expected_departures",
    "out_of_country",
    "suspected_in_country",
    "total",
    "total_rate",
    "in_country_rate",
)


def fiscal_year_bounds(year: int) -> tuple[date, date]:
    """First and last day of fiscal year `year` (1 October of the year before to 30 September)."""
    return date(year - 1, 10, 1), date(year, 9, 30)


def group_sql(klass: str = "klass", citizenship: str = "citizenship") -> str:
    """The report group of an admission of class `klass` held by a citizen of `citizenship` (SQL)."""
    family = f"regexp_extract({klass}, '^[A-Z]+')"
    return f"""CASE WHEN {citizenship} = 'CAN' THEN 'CANADA' WHEN {citizenship} = 'MEX' THEN 'MEXICO'
                    WHEN {klass} IN ('WB', 'WT') THEN 'VWP' WHEN {family} = 'B' THEN 'B1B2'
                    WHEN {family} IN ('F', 'M', 'J') THEN 'FMJ' ELSE 'OTHER' END"""


def overstay_rows(cur: duckdb.DuckDBPyConnection, fiscal_year: int) -> pa.Table:
    """One row per group and country, a TOTAL row per group and the GRAND TOTAL, in report order."""
    first, last = fiscal_year_bounds(fiscal_year)
    families = ", ".join(f"'{f}'" for f in EXCLUDED_FAMILIES)
    order = " ".join(f"WHEN '{g}' THEN {i}" for i, g in enumerate(GROUPS))
    groups = ", ".join(f"('{g}')" for g in GROUPS)
    return cur.sql(
        f"""
        WITH scoped AS (
            SELECT {group_sql()} AS "group",
                   coalesce(citizenship, 'XXX') AS country,
                   status = 'DEPARTED_OVERSTAY' AS out_of_country,
                   status IN ('SUSPECTED_IN_COUNTRY_OVERSTAY', 'DEPARTURE_UNVERIFIED') AS in_country
            FROM status
            WHERE mode IN ('AIR', 'SEA') AND regexp_extract(klass, '^[A-Z]+') NOT IN ({families})
              AND until BETWEEN DATE '{first}' AND DATE '{last}'
        ),
        counted AS (
            SELECT CASE WHEN GROUPING("group") = 1 THEN 'ALL' ELSE "group" END AS "group",
                   CASE WHEN GROUPING("group") = 1 THEN 'GRAND TOTAL'
                        WHEN GROUPING(country) = 1 THEN 'TOTAL' ELSE country END AS country,
                   GROUPING("group") AS g_all, GROUPING(country) AS g_total,
                   count(*) AS expected_departures,
                   count(*) FILTER (WHERE out_of_country) AS out_of_country,
                   count(*) FILTER (WHERE in_country) AS suspected_in_country
            FROM scoped GROUP BY ROLLUP ("group", country)
        ),
        filled AS (  -- every group has its TOTAL row, zero when none of its admissions is in scope
            SELECT * FROM counted
            UNION ALL
            SELECT g, 'TOTAL', 0, 1, 0, 0, 0 FROM (VALUES {groups}) t(g)
            WHERE g NOT IN (SELECT "group" FROM counted WHERE g_all = 0)
        )
        SELECT "group", country, expected_departures, out_of_country, suspected_in_country,
               out_of_country + suspected_in_country AS total,
               CASE WHEN expected_departures > 0
                    THEN printf('%.4f', (out_of_country + suspected_in_country) / expected_departures) END AS total_rate,
               CASE WHEN expected_departures > 0
                    THEN printf('%.4f', suspected_in_country / expected_departures) END AS in_country_rate
        FROM filled
        ORDER BY g_all, CASE "group" {order} END, g_total, country
        """
    ).to_arrow_table()
