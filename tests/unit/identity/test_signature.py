"""The Python signature of one record (`identity.signature`, used to link records as they are stored)
equals the SQL features' (`features.build_features`), the reference, on drawn records and on every
record of a generated population; its key equals the SQL key of the same values, and whether it is
usable and placeable by a trip (`identity.repeats`) is what the SQL says of the same row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from benchmarks.identity.data import load_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilos.adapters.identity.features import INPUT_COLUMNS, build_features
from ilos.adapters.identity.repeats import placeable, usable
from ilos.adapters.identity.scoring import SIGNATURE, signature_key_sql, usable_sql
from ilos.adapters.identity.signature import signature_key, signature_of
from ilos.adapters.identity.trips import _placeable as placeable_sql
from ilos.adapters.identity.workspace import register_records
from ilos.generator import generate

from .conftest import record, table

COMPARED = (*SIGNATURE, "adm", "receipt")


def sql_signatures(records: pa.Table) -> dict[str, dict[str, Any]]:
    """record_uid -> the SQL's SIGNATURE values, adm, receipt and key."""
    con = duckdb.connect()
    try:
        register_records(con, "records", records, new=True)
        build_features(con, "records", "feat")
        judged = f"{usable_sql('feat')} AS usable, {placeable_sql('feat')} AS placeable"
        rows = con.sql(
            f"SELECT record_uid, {', '.join(COMPARED)}, {signature_key_sql()} AS key, {judged} FROM feat"
        )
        return {row["record_uid"]: row for row in rows.to_arrow_table().to_pylist()}
    finally:
        con.close()


def assert_same(records: pa.Table) -> int:
    """Every record's Python signature equals the SQL's (or it has none); how many had one."""
    expected, compared = sql_signatures(records), 0
    for row in records.to_pylist():
        mine = signature_of(row)
        if mine is None:
            plain = [
                v for c, v in row.items() if c not in ("family_name", "given_names", "record_uid", "feed")
            ]
            assert any(v is not None and not v.isascii() for v in plain), row
            continue
        sql = expected[row["record_uid"]]
        assert {c: mine[c] for c in COMPARED} == {c: sql[c] for c in COMPARED}, row
        assert signature_key(mine) == sql["key"], row
        assert (usable(mine), placeable(mine)) == (sql["usable"], sql["placeable"]), row
        compared += 1
    return compared


_LETTERS = "aAbBcCdDhHjJkKsStTzZ éÉñÑøØßıſÇçŁłŞşžŽ'`’‘-. ,0123456789محمدرضاخديجةАлександрЮрий李王\t"
_NAMES = st.one_of(
    st.none(), st.text(_LETTERS, max_size=18), st.sampled_from(["Kowalczyk", "O'Brien", "Ortiz Suárez"])
)
_DIGITS = st.text("0123456789", min_size=0, max_size=5)


@st.composite
def _dob(draw: st.DrawFn) -> str | None:
    year = draw(st.sampled_from(["0000", "1900", "1984", "2000", "2024", "199", "19a4"]))
    month = draw(st.sampled_from(["", "-00", "-01", "-02", "-12", "-13", "-1"]))
    day = draw(st.sampled_from(["", "-00", "-01", "-28", "-29", "-30", "-31", "-32"])) if month else ""
    pad = draw(st.sampled_from(["", " ", "  "]))
    return draw(st.one_of(st.none(), st.just(f"{pad}{year}{month}{day}{pad}")))


_FIELDS = {
    "family_name": _NAMES,
    "given_names": _NAMES,
    "date_of_birth": _dob(),
    "sex": st.sampled_from([None, "M", "f", "X", "", " M", "ß"]),
    "citizenship": st.sampled_from([None, "POL", "pol", " ecu ", "", "É"]),
    "birth_country": st.sampled_from([None, "POL", "mex", "  "]),
    "document_type": st.sampled_from([None, "P", "v", " B "]),
    "document_number": st.one_of(st.none(), st.text("AB12-3 4.5x6789ß", max_size=12)),
    "document_country": st.sampled_from([None, "POL", "usa", " CAN", ""]),
    "a_number": st.one_of(st.none(), st.builds(lambda a, z, d: f"{a}{z}{d}", st.sampled_from(["", "A", "a", "B"]),
                                               st.sampled_from(["", "0", "000"]), _DIGITS)),
    "admission_number": st.sampled_from([None, "12345678901", " 1234567890a ", "1234", "ABCDEFGHIJK"]),
    "incident_id": st.sampled_from([None, "", " 77-a ", "X1"]),
    "receipt_number": st.sampled_from([None, "WAC1088859284", " n0023683645", "PENDING", "WAC00000000", "0"]),
}  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries(_FIELDS), min_size=1, max_size=12))
def test_drawn_records_have_the_sql_signature(drawn: list[dict[str, Any]]) -> None:
    records = table(
        *(record(f"departures/X/{i}", feed="departures", **values) for i, values in enumerate(drawn))
    )
    assert_same(records)


@pytest.mark.parametrize(
    "dob", ["1900-02-29", "2000-02-29", "0000-02-29", "2100-02-29", "2024-02-29", "2023-02-29", "2023-04-31",
            "2023-12-31", " 1984-03-17 ", "1984-3-17", "1984-13", "1984"]
)  # fmt: skip
def test_birth_dates_are_read_as_the_sql_reads_them(dob: str) -> None:
    assert assert_same(table(record("departures/X/1", date_of_birth=dob))) == 1


@pytest.mark.parametrize("source_system", ["CJIS-TX", None])
def test_a_criminal_matter_is_the_number_of_its_records(source_system: str | None) -> None:
    records = table(record("criminal/X/1", feed="criminal", source_system=source_system, incident_id="77",
                           date_of_birth=None, document_number=None))  # fmt: skip
    assert assert_same(records) == 1
    assert (signature_of(records.to_pylist()[0]) or {})["adm"] == (
        "INCIDENT CJIS-TX 77" if source_system else None
    )


def test_every_record_of_a_generated_population_has_the_sql_signature(tmp_path: Path) -> None:
    generate(persons=300, seed=11, out=tmp_path)
    records = load_records(tmp_path, duckdb.connect())
    records = records.select(list(INPUT_COLUMNS))
    assert assert_same(records) >= 0.99 * records.num_rows
