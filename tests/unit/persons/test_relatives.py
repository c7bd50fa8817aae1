"""Relatives named in `relationships`, resolved to persons: by A-number, else by names and full birth date;
ambiguous when several persons fit, not held when none does, and never the subject themself."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from ilos.adapters.duck.relatives import COLUMNS, link_relatives

RECORD_COLUMNS = ("record_uid", "feed", "family_name", "given_names", "date_of_birth", "a_number")
REL_COLUMNS = ("source_system", "source_record_id", "relationship_id", "relationship", "relative_family_name",
               "relative_given_names", "relative_date_of_birth", "relative_us_citizen", "relative_a_number")  # fmt: skip

# person -> records (family, given, birth date, A-number), as sources wrote them
HELD = {
    "P1": [("OKAFOR", "CHIDI", "1990-05-17", "A012345678")],  # the subject of every relationship below
    "P2": [("ADEYEMI", "FUNMI", "1991-02-03", "A001234567"), ("ADEYEMI", "FUNMILAYO", "1991-02-03", None)],
    "P3": [("Núñez-García", "José María", "2015-06-30", None)],
    "P4": [("SMITH", "JOHN", "1980-01-01", "A000555111")],
    "P5": [("Smith", "John", "1980-01-01", None)],  # same name and birth date as P4: a namesake
    "P6": [("OKAFOR", "CHIDI", "1990-05-17", "A0555111")],  # P1's namesake, holding P4's A-number too
}


def records() -> tuple[pa.Table, pa.Table]:
    rows, links = [], []
    for person, held in HELD.items():
        for i, (family, given, dob, a_number) in enumerate(held):
            uid = f"arrivals/I94/{person}-{i}"
            rows.append(
                dict(zip(RECORD_COLUMNS, (uid, "arrivals", family, given, dob, a_number), strict=True))
            )
            links.append({"record_uid": uid, "person_id": person})
    return pa.Table.from_pylist(rows), pa.Table.from_pylist(links)


def relationship(rid: str, family: str, given: str | None = None, dob: str | None = None,
                 a_number: str | None = None, citizen: str | None = None, relationship: str = "SPOUSE") -> dict[str, Any]:  # fmt: skip
    values = ("USCIS", rid, f"R-{rid}", relationship, family, given, dob, citizen, a_number)
    return dict(zip(REL_COLUMNS, values, strict=True))


def resolve(*rows: dict[str, Any], subject: str | None = "P1") -> dict[str, dict[str, Any]]:
    held, links = records()
    if subject and rows:
        extra = [
            {"record_uid": f"relationships/USCIS/{r['source_record_id']}", "person_id": subject} for r in rows
        ]
        links = pa.concat_tables([links, pa.Table.from_pylist(extra)])
    rels = pa.Table.from_pylist(list(rows), schema=pa.schema([(c, pa.string()) for c in REL_COLUMNS]))
    with duckdb.connect() as con:
        result = link_relatives(con, rels, held, links)
    assert tuple(result.column_names) == COLUMNS
    return {r["source_record_id"]: r for r in result.to_pylist()}


def outcome(row: dict[str, Any]) -> tuple[str | None, str]:
    return row["relative_person_id"], row["match"]


def test_the_a_number_decides_written_with_or_without_its_a_and_zero_padding() -> None:
    got = resolve(
        relationship("1", "WRONG NAME", a_number="A1234567"),
        relationship("2", "WRONG NAME", a_number="001234567"),
        relationship("3", "WRONG NAME", a_number="a001234567"),
    )
    assert {k: outcome(v) for k, v in got.items()} == dict.fromkeys("123", ("P2", "a_number"))


def test_names_and_full_birth_date_decide_whatever_the_case_accents_spaces_and_hyphens() -> None:
    got = resolve(
        relationship("1", "NUNEZ GARCIA", "JOSE MARIA", "2015-06-30", relationship="CHILD"),
        relationship("2", "nunez-garcía", "josé-maría", "2015-06-30"),
        relationship("3", "Adeyemi", "Funmilayo", "1991-02-03"),  # any record of the person counts
    )
    assert outcome(got["1"]) == outcome(got["2"]) == ("P3", "name_and_birth_date")
    assert outcome(got["3"]) == ("P2", "name_and_birth_date")
    assert got["1"]["relationship"] == "CHILD"
    assert got["1"]["subject_person_id"] == "P1"


def test_a_partial_or_missing_birth_date_or_given_name_is_not_enough() -> None:
    got = resolve(
        relationship("1", "NUNEZ GARCIA", "JOSE MARIA", "2015-06"),
        relationship("2", "NUNEZ GARCIA", "JOSE MARIA"),
        relationship("3", "NUNEZ GARCIA", None, "2015-06-30"),
        relationship("4", "NUNEZ GARCIA", "JOSE", "2015-06-30"),
    )
    assert {k: outcome(v) for k, v in got.items()} == dict.fromkeys("1234", (None, "not_held"))


def test_several_persons_fitting_is_ambiguous_and_links_no_one() -> None:
    got = resolve(
        relationship("1", "SMITH", "JOHN", "1980-01-01"),  # P4 and P5
        relationship("2", "SMITH", "JOHN", "1980-01-01", a_number="A555111"),  # P4's and P6's A-number
    )
    assert {k: outcome(v) for k, v in got.items()} == {"1": (None, "ambiguous"), "2": (None, "ambiguous")}


def test_an_a_number_held_by_no_one_falls_back_to_names() -> None:
    got = resolve(relationship("1", "Núñez García", "José María", "2015-06-30", a_number="A987654321"))
    assert outcome(got["1"]) == ("P3", "name_and_birth_date")


def test_the_subject_is_never_their_own_relative() -> None:
    got = resolve(
        relationship("1", "NOBODY", a_number="A12345678"),  # only the subject holds it
        relationship("2", "OKAFOR", "CHIDI", "1990-05-17"),  # the subject and P6 fit: P6 it is
    )
    assert outcome(got["1"]) == (None, "not_held")
    assert outcome(got["2"]) == ("P6", "name_and_birth_date")
    alone = resolve(relationship("3", "ADEYEMI", "FUNMI", "1991-02-03"), subject="P2")
    assert outcome(alone["3"]) == (None, "not_held")


def test_an_unlinked_subject_still_has_its_relative_resolved() -> None:
    got = resolve(relationship("1", "ADEYEMI", "FUNMI", "1991-02-03"), subject=None)
    assert got["1"]["subject_person_id"] is None
    assert outcome(got["1"]) == ("P2", "name_and_birth_date")


def test_us_citizenship_is_kept_as_true_false_or_missing() -> None:
    got = resolve(
        relationship("1", "X", citizen="TRUE"),
        relationship("2", "X", citizen="false"),
        relationship("3", "X", citizen=""),
        relationship("4", "X"),
    )
    assert [got[k]["relative_us_citizen"] for k in "1234"] == ["true", "false", None, None]
    assert [got[k]["relationship_id"] for k in "1234"] == ["R-1", "R-2", "R-3", "R-4"]


def test_no_relationships_no_rows() -> None:
    assert resolve() == {}
