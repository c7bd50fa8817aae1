"""Relatives named in `relationships`, resolved to persons by the real engine behind the CLI, on both stores."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.cli import ilos
from tests.feedfiles import arrival, write_csv

DOC = {"document_type": "P", "document_country": "NGA"}


def relationship(rid: str, relationship: str, **relative: str) -> dict[str, str]:
    """A relationships row filed by CHIDI OKAFOR (the traveller of arrival 1) about a relative."""
    row = {
        "source_system": "USCIS", "source_record_id": rid, "recorded_at": "2024-04-01T09:00:00Z",
        "family_name": "OKAFOR", "given_names": "CHIDI", "date_of_birth": "1990-05-17", "citizenship": "NGA",
        "document_number": "A1234567", **DOC, "relationship_id": f"REL-{rid}", "relationship": relationship,
        "relative_family_name": "", "relative_given_names": "", "relative_date_of_birth": "",
        "relative_us_citizen": "", "relative_a_number": "",
    }  # fmt: skip
    row.update({f"relative_{k}": v for k, v in relative.items()})
    return row


def persons(db: str) -> dict[str, str]:
    out = ilos("export", "links", db=db)
    assert out.code == 0, out.err
    return {
        f"{r['feed']}/{r['source_record_id']}": r["person_id"] for r in csv.DictReader(io.StringIO(out.out))
    }


def test_relatives_are_resolved_after_each_resolution_and_listed_both_ways(
    store_url: str, tmp_path: Path
) -> None:
    travellers = [
        arrival("1", document_number="A1234567", **DOC),  # CHIDI OKAFOR, the filer
        arrival(
            "2",
            family_name="ADEYEMI",
            given_names="FUNMILAYO",
            date_of_birth="1992-08-09",
            a_number="A012345678",
            document_number="B7654321",
            **DOC,
        ),
        arrival(
            "3",
            family_name="OKAFOR",
            given_names="ADA",
            date_of_birth="2016-01-20",
            document_number="C1122334",
            **DOC,
        ),
    ]
    filed = [
        relationship("1", "SPOUSE", family_name="Adeyemi Okafor", a_number="A12345678", us_citizen="false"),
        relationship(
            "2",
            "CHILD",
            family_name="Okafor",
            given_names="Ada",
            date_of_birth="2016-01-20",
            us_citizen="true",
        ),
        relationship("3", "PARENT", family_name="OKAFOR", given_names="NNAMDI", date_of_birth="1960-03-03"),
    ]
    for feed, rows in (("arrivals", travellers), ("relationships", filed)):
        loaded = ilos(
            "ingest", "--no-resolve", feed, str(write_csv(tmp_path / f"{feed}.csv", rows)), db=store_url
        )
        assert loaded.code == 0, loaded.err
        assert "quarantined 0" in loaded.out, loaded.out
    resolved = ilos("resolve", db=store_url)
    assert resolved.code == 0, resolved.err
    assert "3 relationships: a_number 1, name_and_birth_date 1, ambiguous 0, not_held 1" in resolved.out

    ids = persons(store_url)
    chidi, funmi, ada = ids["arrivals/1"], ids["arrivals/2"], ids["arrivals/3"]
    assert ids["relationships/1"] == chidi
    assert len({chidi, funmi, ada}) == 3

    listed = ilos("relatives", chidi, "--json", db=store_url)
    assert listed.code == 0, listed.err
    got = {e["source"]: e for e in json.loads(listed.out)}
    assert {s: (e["relationship"], e["other_person_id"], e["match"]) for s, e in got.items()} == {
        "relationships/USCIS/1": ("SPOUSE", funmi, "a_number"),
        "relationships/USCIS/2": ("CHILD", ada, "name_and_birth_date"),
        "relationships/USCIS/3": ("PARENT", None, "not_held"),
    }
    assert [got[f"relationships/USCIS/{i}"]["relative_us_citizen"] for i in "123"] == [False, True, None]
    assert all(e["direction"] == "filed" and e["subject_person_id"] == chidi for e in got.values())

    text = ilos("relatives", funmi, db=store_url).out.splitlines()  # named by her husband
    assert text == [
        f"{funmi} is SPOUSE of {chidi}; U.S. citizen: no; relationships/USCIS/1 (a_number)",
    ]
    assert json.loads(ilos("relatives", ada, "--json", db=store_url).out)[0]["direction"] == "named_in"
    assert (
        "not held (OKAFOR, NNAMDI, born 1960-03-03) is PARENT of"
        in ilos("relatives", chidi, db=store_url).out
    )

    # ingest resolves relatives too: the father arrives, and the relationship that named him finds him
    father = arrival("4", family_name="OKAFOR", given_names="NNAMDI", date_of_birth="1960-03-03",
                     document_number="D9988776", **DOC)  # fmt: skip
    loaded = ilos("ingest", "arrivals", str(write_csv(tmp_path / "father.csv", [father])), db=store_url)
    assert loaded.code == 0, loaded.err
    assert "relatives (run 2): 3 relationships: a_number 1, name_and_birth_date 2" in loaded.out
    nnamdi = persons(store_url)["arrivals/4"]
    assert f"{nnamdi} is PARENT of {chidi}" in ilos("relatives", nnamdi, db=store_url).out
    assert ilos("relatives", "P404", db=store_url).out == "no relationship filed by or naming P404\n"
