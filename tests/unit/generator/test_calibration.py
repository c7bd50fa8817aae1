"""Overstay figures of the ground truth behave like the published DHS figures."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time

from ilos.generator.api import simulate
from ilos.generator.truth_status import admission_truth

from .conftest import END, Run
from .contract_check import violations

OVERSTAY = {"DEPARTED_OVERSTAY", "SUSPECTED_IN_COUNTRY_OVERSTAY", "DEPARTURE_UNVERIFIED"}


def fiscal_year(day: date) -> int:
    """Fiscal year YYYY runs 1 October YYYY-1 to 30 September YYYY."""
    return day.year + 1 if day.month >= 10 else day.year


def full_fiscal_years(start: date, end: date) -> set[int]:
    """Fiscal years that lie entirely inside [start, end]."""
    return {
        fy
        for fy in range(start.year, end.year + 2)
        if date(fy - 1, 10, 1) >= start and date(fy, 9, 30) <= end
    }


def group(klass: str, citizenship: str) -> str:
    """Report group of the contract's overstay report."""
    if citizenship in ("CAN", "MEX"):
        return {"CAN": "CANADA", "MEX": "MEXICO"}[citizenship]
    if klass in ("WB", "WT"):
        return "VWP"
    if klass.startswith("B"):
        return "B1B2"
    return "FMJ" if klass[0] in "FMJ" else "OTHER"


def tally(run: Run) -> dict[str, Counter[str]]:
    """Expected departures, out-of-country and in-country overstays per group (full FYs pooled)."""
    now = datetime.fromisoformat(str(run.manifest["now"]))
    start = date.fromisoformat(str(run.manifest["start"]))
    years = full_fiscal_years(start, END)
    arrivals = {r["admission_number"]: r for r in run.feed("arrivals") if not violations("arrivals", r, now)}
    out: dict[str, Counter[str]] = {}
    for truth in run.truth("admissions"):
        row = arrivals[truth["admission_number"]]
        if row["mode"] not in ("AIR", "SEA") or row["class_of_admission"][0] in "AGCD":
            continue
        if not truth["true_authorized_until"]:
            continue
        if fiscal_year(date.fromisoformat(truth["true_authorized_until"])) not in years:
            continue
        citizenship = run.identity[run.person_of[("I94", row["source_record_id"])]]["citizenship"]
        for name in (group(row["class_of_admission"], citizenship), "ALL"):
            counts = out.setdefault(name, Counter())
            counts["expected"] += 1
            counts["out"] += truth["true_status"] == "DEPARTED_OVERSTAY"
            counts["in"] += truth["true_status"] in OVERSTAY - {"DEPARTED_OVERSTAY"}
    return out


def _rate(c: Counter[str]) -> float:
    return (c["out"] + c["in"]) / c["expected"]


def test_overall_overstay_rate_is_about_one_percent(big_run: Run) -> None:
    counts = tally(big_run)
    assert counts["ALL"]["expected"] > 20_000
    assert 0.008 <= _rate(counts["ALL"]) <= 0.016


def test_group_rates_are_ordered_like_the_published_ones(big_run: Run) -> None:
    counts = tally(big_run)
    assert _rate(counts["VWP"]) < _rate(counts["B1B2"]) < _rate(counts["FMJ"])
    assert 0.002 <= _rate(counts["VWP"]) <= 0.009
    assert 0.012 <= _rate(counts["B1B2"]) <= 0.035


def test_out_of_country_share_of_overstays(big_run: Run) -> None:
    total = tally(big_run)["ALL"]
    share = total["out"] / (total["out"] + total["in"])
    assert 0.05 <= share <= 0.25


def test_in_country_overstays_fall_as_late_departures_post() -> None:
    """A snapshot shortly after a fiscal year shows more suspected in-country overstays than later."""
    ctx = simulate(4000, 5, date(2022, 10, 1), date(2026, 9, 30))
    world = ctx.world

    as_of = date(2025, 11, 15)

    def in_country(known: date) -> int:
        known_at = datetime.combine(known, time(23, 59, 59), UTC)
        statuses = admission_truth(world.admissions, world.departures, world.status_events, as_of, known_at)
        return sum(
            1
            for t in statuses
            if t.status in OVERSTAY - {"DEPARTED_OVERSTAY"}
            and t.authorized_until is not None
            and fiscal_year(t.authorized_until) == 2025
        )

    early, late = in_country(as_of), in_country(date(2026, 5, 15))
    assert early > late * 1.05
