"""Helpers for identity-resolution tests: records built from a base identity plus changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa
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
