"""The business-day calendar and each condition operator, compiled to SQL and run in DuckDB."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from ilos.adapters.duck.priority_inputs import business_calendar
from ilos.adapters.duck.ranking import condition_sql
from ilos.domain.policy import Condition


@pytest.fixture(scope="module")
def cal() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    business_calendar(con, 2020, 2026)
    return con


@pytest.mark.parametrize(
    ("order", "window_end"),
    [
        ("2025-01-30", "2025-03-03"),  # + 30 days is Saturday 1 March: moved to Monday
        ("2025-06-04", "2025-07-07"),  # Friday 4 July, then the weekend
        ("2021-12-01", "2022-01-03"),  # New Year's Day 2022 (a Saturday) observed on Friday 31 December
        ("2025-10-15", "2025-11-14"),  # an ordinary Friday stays
    ],
)
def test_appeal_window_moves_to_the_next_business_day(
    cal: duckdb.DuckDBPyConnection, order: str, window_end: str
) -> None:
    day = date.fromisoformat(order) + timedelta(days=30)
    found = cal.execute("SELECT next_business FROM calendar WHERE day = ?", [day]).fetchall()
    assert found == [(date.fromisoformat(window_end),)]


def test_fifth_business_day_skips_weekends_and_holidays(cal: duckdb.DuckDBPyConnection) -> None:
    fifth = cal.execute(
        """SELECT b.day FROM calendar g JOIN calendar b ON b.business AND b.business_index = g.business_index + 5
           WHERE g.day = DATE '2025-06-30'"""
    ).fetchall()
    assert fifth == [(date(2025, 7, 8),)]


FACTS = """SELECT * FROM (VALUES
    ('young', 16, DATE '2024-01-01', NULL::DATE, true),
    ('old', 70, DATE '2010-05-01', DATE '2015-01-01', false)) t(person, age, last_conviction_on, final_order_on,
                                                                  gang_conviction)"""


@pytest.mark.parametrize(
    ("condition", "matching"),
    [
        (Condition("age", "at_most", 17), ["young"]),
        (Condition("age", "at_least", 65), ["old"]),
        (Condition("last_conviction_on", "within_years", 5), ["young"]),
        (Condition("last_conviction_on", "older_than_years", 10), ["old"]),
        (Condition("final_order_on", "present", False), ["young"]),
        (Condition("final_order_on", "present", True), ["old"]),
        (Condition("final_order_on", "on_or_after", date(2014, 1, 1)), ["old"]),
        (Condition("final_order_on", "before", date(2014, 1, 1)), []),
        (Condition("gang_conviction", "is", True), ["young"]),
    ],
)
def test_each_operator(condition: Condition, matching: list[str]) -> None:
    where = condition_sql(condition, "DATE '2026-06-15'")
    rows = duckdb.sql(f"SELECT person FROM ({FACTS}) WHERE coalesce({where}, false) ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == matching
