"""Helpers for identity-resolution tests: records built from a base identity plus changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ilos.adapters.identity import IdentityResolver
from ilos.adapters.identity.features import INPUT_COLUMNS

SCHEMA = pa.schema([(c, pa.string()) for c in INPUT_COLUMNS])


def record(uid: str, **values: Any) -> dict[str, Any]:
    """A complete arrival record of one synthetic person; keyword arguments override fields."""
    base: dict[str, Any] = dict.fromkeys(INPUT_COLUMNS)
    base.update(
        record_uid=uid,
        feed="arrivals",
        source_system="I94",
        source_record_id=uid.rsplit("/", 1)[-1],
        family_name="Kowalczyk",
        given_names="Bartosz",
        date_of_birth="1984-03-17",
        sex="M",
        citizenship="POL",
        birth_country="POL",
        document_type="P",
        document_number="EK4471932",
        document_country="POL",
    )
    base.update(values)
    return base


def table(*records: dict[str, Any]) -> pa.Table:
    """Resolver input from record dicts."""
    return pa.Table.from_pylist(list(records), schema=SCHEMA)


def pair(pairs: pa.Table, a: str, b: str) -> dict[str, Any]:
    """The scored pair of records a and b (in either order)."""
    left, right = sorted((a, b))
    rows = [p for p in pairs.to_pylist() if p["record_uid_l"] == left and p["record_uid_r"] == right]
    assert rows, f"pair {left} / {right} was not scored"
    found: dict[str, Any] = rows[0]
    return found


def clusters_of(clusters: pa.Table) -> dict[str, int]:
    """record_uid -> cluster."""
    return dict(zip(clusters["record_uid"].to_pylist(), clusters["cluster"].to_pylist(), strict=True))


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def resolver(con: duckdb.DuckDBPyConnection) -> IdentityResolver:
    return IdentityResolver(con)


def generated_records(folder: Path, persons: int, seed: int) -> pa.Table:
    """The resolver input records of a population generated into `folder`."""
    from benchmarks.identity.data import load_records

    from ilos.generator import generate

    generate(persons=persons, seed=seed, out=folder)
    con = duckdb.connect()
    try:
        return load_records(folder, con).select(list(INPUT_COLUMNS)).combine_chunks()
    finally:
        con.close()


def held_back(records: pa.Table, every: int) -> tuple[pa.Table, pa.Table]:
    """The records but every `every`th departure record (by uid), and those departure records."""
    uids = sorted(u for u in records.column("record_uid").to_pylist() if u.startswith("departures/"))
    mask = pc.is_in(records.column("record_uid"), pa.array(uids[::every], pa.string()))
    return records.filter(pc.invert(mask)), records.filter(mask)
