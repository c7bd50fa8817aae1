"""`ilos export admissions`, `ilos explain admission` and `ilos report overstays` on both stores."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import ilos
from tests.conftest import fresh_pg_schema
from tests.feedfiles import arrival, write_csv

PERSON = {
    "family_name": "OKAFOR",
    "given_names": "CHIDI",
    "date_of_birth": "1990-05-17",
    "citizenship": "NGA",
}


def departure(rid: str, day: str, recorded_at: str, **kw: str) -> dict[str, str]:
    return {"source_system": kw.pop("source_system", "APIS"), "source_record_id": rid, "recorded_at": recorded_at,
            **PERSON, "departure_date": day, "mode": "AIR", "evidence": kw.pop("evidence", "MANIFEST"), **kw}  # fmt: skip


def rows(text: str) -> dict[str, dict[str, str]]:
    return {r["admission_number"]: r for r in csv.DictReader(io.StringIO(text))}


def _load(folder: Path, url: str) -> str:
    """Two admissions, one ended by a departure whose manifest was posted a month late; `url` back."""
    arrivals = [
        arrival("1", admitted_on="2024-03-01", admit_until="2024-08-31", **PERSON),
        arrival("2", admitted_on="2024-07-01", admit_until="2024-09-03", family_name="NAKAMURA", given_names="YUKI",
                date_of_birth="1985-11-02", citizenship="JPN", class_of_admission="WT",
                recorded_at="2024-07-01T12:00:00Z"),
    ]  # fmt: skip
    assert ilos("ingest", "arrivals", str(write_csv(folder / "a.csv", arrivals)), db=url).code == 0
    # the departure left on 10 September 2024 but the carrier's manifest was posted a month later
    late = [departure("D1", "2024-09-10", "2024-10-12T08:00:00Z", admission_number="00000000001")]
    assert ilos("ingest", "departures", str(write_csv(folder / "d.csv", late)), db=url).code == 0
    return url


@pytest.fixture(scope="module", params=["embedded", pytest.param("postgres", marks=pytest.mark.postgres)])
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The two admissions in a store shared by the tests that only read it (loading took some 2 s a test)."""
    folder = tmp_path_factory.mktemp("admissions")
    if request.param == "embedded":
        yield _load(folder, f"sqlite:///{folder / 'store' / 'ilos.db'}")
        return
    urls = fresh_pg_schema(request.getfixturevalue("pg_server"))
    yield _load(folder, next(urls))
    for _ in urls:  # drops the PostgreSQL schema
        pass


@pytest.fixture
def store(tmp_path: Path, store_url: str) -> str:
    """The two admissions in a store of the test's own, for a test that stores more."""
    return _load(tmp_path, store_url)


def test_a_late_posted_departure_turns_a_suspected_in_country_overstay_into_an_out_of_country_one(
    loaded: str,
) -> None:
    known_1_october = rows(ilos("export", "admissions", "--as-of", "2024-10-01", "--known-at",
                                "2024-10-01T00:00:00Z", db=loaded).out)  # fmt: skip
    assert known_1_october["00000000001"]["status"] == "SUSPECTED_IN_COUNTRY_OVERSTAY"
    assert known_1_october["00000000001"]["overstay_days"] == "31"
    known_now = rows(ilos("export", "admissions", "--as-of", "2024-10-01", db=loaded).out)
    assert {k: known_now["00000000001"][k] for k in ("status", "departure_date", "departure_evidence", "overstay_days")} == {
        "status": "DEPARTED_OVERSTAY", "departure_date": "2024-09-10", "departure_evidence": "MANIFEST",
        "overstay_days": "10",
    }  # fmt: skip
    assert known_now["00000000002"]["status"] == "SUSPECTED_IN_COUNTRY_OVERSTAY"


def test_export_is_sorted_with_the_contract_columns_and_filters_one_admission(loaded: str) -> None:
    out = ilos("export", "admissions", "--as-of", "2024-10-01", db=loaded).out
    header = out.splitlines()[0]
    assert header == ("admission_number,person_id,class_of_admission,citizenship,admitted_on,admit_until,"
                      "authorized_until,status,departure_date,departure_evidence,overstay_days")  # fmt: skip
    assert list(rows(out)) == ["00000000001", "00000000002"]
    one = ilos("export", "admissions", "--as-of", "2024-10-01", "--admission", "00000000002", db=loaded).out
    assert list(rows(one)) == ["00000000002"]
    assert rows(one)["00000000002"] == rows(out)["00000000002"]


def test_explain_admission_names_the_records_it_rests_on(loaded: str) -> None:
    text = ilos("explain", "admission", "00000000001", "--as-of", "2024-10-01", db=loaded).out
    assert "DEPARTED_OVERSTAY" in text
    assert "source: arrivals/I94/1" in text
    assert "source: departures/APIS/D1" in text
    data = json.loads(
        ilos("explain", "admission", "00000000001", "--as-of", "2024-10-01", "--json", db=loaded).out
    )
    assert data["status"] == "DEPARTED_OVERSTAY"
    assert [s["rule"] for s in data["steps"]] == ["admission", "3 departures", "status"]
    missing = ilos("explain", "admission", "99999999999", db=loaded)
    assert missing.code == 1
    assert "not held" in missing.err


def test_overstay_report_groups_totals_and_formats(loaded: str, tmp_path: Path) -> None:
    report = ilos("report", "overstays", "--fiscal-year", "2024", "--as-of", "2024-10-01", db=loaded)
    assert report.code == 0, report.err
    lines = list(csv.DictReader(io.StringIO(report.out)))
    assert [(r["group"], r["country"]) for r in lines] == [
        ("VWP", "JPN"), ("VWP", "TOTAL"), ("B1B2", "NGA"), ("B1B2", "TOTAL"), ("FMJ", "TOTAL"), ("OTHER", "TOTAL"),
        ("CANADA", "TOTAL"), ("MEXICO", "TOTAL"), ("ALL", "GRAND TOTAL"),
    ]  # fmt: skip
    assert [r["expected_departures"] for r in lines if r["group"] == "FMJ"] == ["0"]
    total = lines[-1]
    assert (total["expected_departures"], total["out_of_country"], total["suspected_in_country"]) == (
        "2",
        "1",
        "1",
    )
    assert (total["total_rate"], total["in_country_rate"]) == ("1.0000", "0.5000")
    page = tmp_path / "r.html"
    html = ilos("report", "overstays", "--fiscal-year", "2024", "--as-of", "2024-10-01", "--format", "html",
                "--out", str(page), db=loaded)  # fmt: skip
    assert html.code == 0, html.err
    text = page.read_text()
    assert text.count("<svg") == 3
    assert not re.search(r"(src|href)\s*=|https?://|@import|url\(", text)  # nothing loaded from anywhere
    md = ilos(
        "report", "overstays", "--fiscal-year", "2024", "--as-of", "2024-10-01", "--format", "md", db=loaded
    )
    assert "| ALL | GRAND TOTAL | 2 | 1 | 1 | 2 | 1.0000 | 0.5000 |" in md.out


def test_ingesting_departures_announces_the_departures_it_verifies(loaded: str) -> None:
    events = [
        json.loads(line)
        for line in ilos("events", "--kind", "departure:verified", db=loaded).out.splitlines()
    ]
    assert [(e["subject"], e["departure_date"], e["sources"]) for e in events] == [
        ("00000000001", "2024-09-10", ["departures/APIS/D1"])
    ]


def test_a_large_departures_batch_is_announced_by_judging_everyone(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ilos.adapters.admission_work as work

    monkeypatch.setattr(work, "PERSON_SCOPED_MAX", 0)  # any batch counts as large: no person list at all
    late = [departure("D2", "2024-09-05", "2024-09-06T08:00:00Z", family_name="NAKAMURA", given_names="YUKI",
                      date_of_birth="1985-11-02", citizenship="JPN")]  # fmt: skip
    assert ilos("ingest", "departures", str(write_csv(tmp_path / "d2.csv", late)), db=store).code == 0
    events = [
        json.loads(line) for line in ilos("events", "--kind", "departure:verified", db=store).out.splitlines()
    ]
    assert [(e["subject"], e["status"]) for e in events] == [
        ("00000000001", "DEPARTED_OVERSTAY"), ("00000000002", "DEPARTED_OVERSTAY"),
    ]  # fmt: skip


def test_a_fiscal_year_without_expected_departures_reports_empty_rates(loaded: str) -> None:
    out = ilos("report", "overstays", "--fiscal-year", "2020", "--as-of", "2024-10-01", db=loaded).out
    groups = ("VWP", "B1B2", "FMJ", "OTHER", "CANADA", "MEXICO")
    assert out.splitlines()[1:] == [*(f"{g},TOTAL,0,0,0,0,," for g in groups), "ALL,GRAND TOTAL,0,0,0,0,,"]
    md = ilos(
        "report", "overstays", "--fiscal-year", "2020", "--as-of", "2024-10-01", "--format", "md", db=loaded
    )
    assert "| ALL | GRAND TOTAL | 0 | 0 | 0 | 0 |  |  |" in md.out
    assert "None" not in md.out


def test_a_future_fiscal_year_has_the_departures_expected_in_it(store: str, tmp_path: Path) -> None:
    ahead = [arrival("9", recorded_at="2024-09-01T12:00:00Z", admitted_on="2024-09-01", admit_until="2027-12-31",
                     class_of_admission="H1B", family_name="SILVA", given_names="ANA", citizenship="BRA")]  # fmt: skip
    assert ilos("ingest", "arrivals", str(write_csv(tmp_path / "a9.csv", ahead)), db=store).code == 0
    out = ilos("report", "overstays", "--fiscal-year", "2028", "--as-of", "2024-10-01", db=store)
    assert out.code == 0, out.err
    assert "OTHER,BRA,1,0,0,0,0.0000,0.0000" in out.out.splitlines()


@pytest.mark.parametrize("text", ["20241001", "2024-W40-2", "2024-274", "2024-10-1"])
def test_date_options_are_written_yyyy_mm_dd(loaded: str, text: str) -> None:
    result = ilos("export", "admissions", "--as-of", text, db=loaded)
    assert result.code == 1
    assert result.err.strip() == f"error: --as-of must be a date YYYY-MM-DD, not {text!r}"
