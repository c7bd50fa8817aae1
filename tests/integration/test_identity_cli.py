"""The real engine behind the CLI: two records of one traveller become one person, and the link is explained."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli import ilos
from tests.feedfiles import arrival, write_csv


def test_one_traveller_two_records_one_person_with_an_explanation(store_url: str, tmp_path: Path) -> None:
    first = arrival("1", document_number="A1234567", document_country="NGA", citizenship="NGA")
    second = arrival(
        "2", given_names="CHIDI", family_name="OKAFOR", date_of_birth="1990-05-17",
        document_number="A1234567", document_country="NGA", citizenship="NGA", admission_number="99999999999",
    )  # fmt: skip
    stranger = arrival("3", family_name="LINDQVIST", given_names="ASTRID", date_of_birth="1961-11-30",
                       citizenship="SWE", document_number="S9988776", document_country="SWE")  # fmt: skip
    result = ilos(
        "ingest", "arrivals", str(write_csv(tmp_path / "a.csv", [first, second, stranger])), db=store_url
    )
    assert result.code == 0, result.err
    assert "3 records, 2 persons" in result.out

    explained = ilos("explain", "link", "arrivals/I94/1", "arrivals/I94/2", "--json", db=store_url)
    assert explained.code == 0, explained.err
    steps = json.loads(explained.out)
    total = steps[-1]["match_weight"]
    assert abs(sum(s["match_weight"] for s in steps[:-1]) - total) < 1e-6
    assert total > 6  # above the auto-link threshold
    text = ilos("explain", "link", "arrivals/I94/1", "arrivals/I94/3", db=store_url).out
    assert len(text.splitlines()) >= 3
    missing = ilos("explain", "link", "arrivals/I94/1", "arrivals/I94/404", db=store_url)
    assert missing.code == 1
    assert "no record in force: arrivals/I94/404" in missing.err


def test_a_record_without_usable_identity_links_to_nothing_and_is_listed(
    store_url: str, tmp_path: Path
) -> None:
    assert (
        ilos(
            "ingest",
            "arrivals",
            str(write_csv(tmp_path / "a.csv", [arrival("1"), arrival("2")])),
            db=store_url,
        ).code
        == 0
    )
    bare = {  # a departure naming only a family name: nothing to link it by
        "source_system": "APIS", "source_record_id": "D1", "recorded_at": "2024-03-10T00:00:00Z",
        "family_name": "OKAFOR", "departure_date": "2024-03-09", "mode": "AIR", "evidence": "MANIFEST",
    }  # fmt: skip
    assert ilos("ingest", "departures", str(write_csv(tmp_path / "d.csv", [bare])), db=store_url).code == 0
    listed = ilos("export", "unlinked", db=store_url).out.splitlines()
    assert listed == ["feed,source_system,source_record_id,reason", "departures,APIS,D1,family_name_only"]
    persons = {
        line.split(",")[2]: line.split(",")[3]
        for line in ilos("export", "links", db=store_url).out.splitlines()[1:]
    }
    assert persons["1"] == persons["2"] != persons["D1"]


def test_explain_reads_the_version_in_force(store_url: str, tmp_path: Path) -> None:
    """Explanations read only the two records asked for, each in its version in force."""
    rows = [arrival("1"), arrival("2", given_names="CHIDI"), arrival("3")]
    assert ilos("ingest", "arrivals", str(write_csv(tmp_path / "a.csv", rows)), db=store_url).code == 0
    later = {"recorded_at": "2024-05-01T00:00:00Z"}
    changes = [arrival("2", given_names="CHIDIEBERE", **later), arrival("3", retracted="true", **later)]
    assert ilos("ingest", "arrivals", str(write_csv(tmp_path / "b.csv", changes)), db=store_url).code == 0
    steps = json.loads(
        ilos("explain", "link", "arrivals/I94/1", "arrivals/I94/2", "--json", db=store_url).out
    )
    name = next(s for s in steps if s["comparison"] == "name")
    assert (name["value_a"], name["value_b"]) == ("OKAFOR CHIDI", "OKAFOR CHIDIEBERE")
    retracted = ilos("explain", "link", "arrivals/I94/1", "arrivals/I94/3", db=store_url)
    assert retracted.code == 1
    assert "no record in force: arrivals/I94/3" in retracted.err
