"""Finding the records that repeat a linked signature (`identity.repeats`, ADR 13) on a snapshot of a
real index: each record gets the signature it repeats under its key, however many signatures share
that key, and nothing when it brings a number, comes before the representative or repeats nothing."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.identity import IdentityResolver
from ilos.adapters.identity.repeats import LinkedSignatures
from ilos.adapters.identity.scoring import SIGNATURE_KEY

from .conftest import record, table

OTHER = {"family_name": "Nowak", "given_names": "Anna", "date_of_birth": "1990-01-02", "sex": "F",
         "document_number": "EK9999999"}  # fmt: skip
THIRD = {"family_name": "Zielinski", "given_names": "Piotr", "date_of_birth": "1975-07-07",
         "document_number": "EK5555555"}  # fmt: skip


def snapshot(con: duckdb.DuckDBPyConnection, key_of_all: int | None = None) -> LinkedSignatures:
    """Three linked persons' signatures (represented by arrivals/I94/1, 2 and 3); with `key_of_all`, every
    signature row carries that one key, as if all three keys collided."""
    indexed = table(
        record("arrivals/I94/1"), record("arrivals/I94/2", **OTHER), record("arrivals/I94/3", **THIRD)
    )
    feat = IdentityResolver(con).index(indexed).feat.sort_by("record_uid")
    if key_of_all is not None:
        column = feat.schema.get_field_index(SIGNATURE_KEY)
        feat = feat.set_column(column, SIGNATURE_KEY, pa.array([key_of_all] * feat.num_rows, pa.uint64()))
    uids = feat.column("record_uid")
    state = pa.table({"record_uid": uids, "person_id": pc.binary_join_element_wise("P-", uids, ""),
                      "component": uids, "identity_hash": pc.binary_join_element_wise("h", uids, "")})  # fmt: skip
    return LinkedSignatures.of(feat, state)


def anchors(found: pa.Table) -> dict[str, tuple[str, str]]:
    """record_uid -> (anchor, person) of what `find` found."""
    rows = found.to_pylist()
    return {r["record_uid"]: (r["anchor_uid"], r["person_id"]) for r in rows}


def test_each_record_finds_the_signature_it_repeats_among_those_sharing_its_key(
    con: duckdb.DuckDBPyConnection,
) -> None:
    new = table(
        record("departures/APIS/9", feed="departures", source_system="APIS", **THIRD),
        record("departures/APIS/7", feed="departures", source_system="APIS"),
        record("departures/APIS/8", feed="departures", source_system="APIS", given_names="Bartek"),  # new
        record("departures/APIS/6", feed="departures", source_system="APIS", **OTHER),
    )
    expected = {
        "departures/APIS/9": ("arrivals/I94/3", "P-arrivals/I94/3"),
        "departures/APIS/7": ("arrivals/I94/1", "P-arrivals/I94/1"),
        "departures/APIS/6": ("arrivals/I94/2", "P-arrivals/I94/2"),
    }
    assert anchors(snapshot(con).find(new)) == expected
    # every signature under one key, as if the keys collided: each record still takes the one whose values
    # it has, records of that key in one batch each read the rows under it, and other keys find nothing
    collided = snapshot(con, key_of_all=_key_of(con, table(record("x", **THIRD))))
    again = record("departures/APIS/10", feed="departures", source_system="APIS", **THIRD)
    found = anchors(collided.find(pa.concat_tables([new, table(again)])))
    assert found == dict.fromkeys(("departures/APIS/9", "departures/APIS/10"), expected["departures/APIS/9"])


def test_a_record_bringing_a_number_or_coming_before_the_representative_is_left_to_the_run(
    con: duckdb.DuckDBPyConnection,
) -> None:
    new = table(
        record("departures/APIS/1", feed="departures", source_system="APIS", admission_number="12345678901"),
        record("arrivals/I94/0", **OTHER),  # a smaller uid than arrivals/I94/2 would rename the signature
        record("departures/APIS/2", feed="departures", source_system="APIS", **THIRD),
    )
    assert anchors(snapshot(con).find(new)) == {"departures/APIS/2": ("arrivals/I94/3", "P-arrivals/I94/3")}


def _key_of(con: duckdb.DuckDBPyConnection, records: pa.Table) -> int:
    """The signature key of the first of `records`."""
    first = IdentityResolver(con).index(records.slice(0, 1)).feat
    return int(first.column(SIGNATURE_KEY)[0].as_py())
