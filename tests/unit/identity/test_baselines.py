"""The two baseline resolvers of the identity benchmark: exact match and the recordlinkage toolkit's ECM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from benchmarks.identity.baselines import CLUSTER_SCHEMA, exact_match, recordlinkage_ecm, run_baselines
from benchmarks.identity.measure import register_views

from ilos.generator import generate

_COLUMNS = ("record_uid", "family_name", "given_names", "date_of_birth", "sex", "citizenship")
_MORE = ("birth_country", "document_number", "document_country", "a_number", "admission_number")


def _records(*rows: tuple[str | None, ...]) -> pa.Table:
    names = _COLUMNS + _MORE
    return pa.table({n: pa.array([r[i] for r in rows], pa.string()) for i, n in enumerate(names)})


def _groups(clusters: pa.Table) -> set[frozenset[str]]:
    by: dict[int, set[str]] = {}
    for uid, cluster in zip(clusters["record_uid"].to_pylist(), clusters["cluster"].to_pylist(), strict=True):
        by.setdefault(cluster, set()).add(uid)
    return {frozenset(g) for g in by.values()}


def test_exact_match_groups_by_normalised_document_country_and_birth_date() -> None:
    records = _records(
        ("a", "SMITH", "ANN", "1980-01-02", "F", "GBR", "GBR", "ab-123 456", "gbr", None, None),
        ("b", "SMYTH", "ANNE", "1980-01-02", "F", "GBR", "GBR", "AB123456", "GBR", None, None),
        ("c", "SMITH", "ANN", "1980-01-03", "F", "GBR", "GBR", "AB123456", "GBR", None, None),
        ("d", "SMITH", "ANN", "1980-01-02", "F", "GBR", "GBR", "AB123456", None, None, None),
        ("e", "SMITH", "ANN", None, "F", "GBR", "GBR", "AB123456", "GBR", None, None),
        ("f", "SMITH", "ANN", None, "F", "GBR", "GBR", "AB123456", "GBR", None, None),
    )
    clusters = exact_match(records)
    assert clusters.schema == CLUSTER_SCHEMA
    assert _groups(clusters) == {frozenset(g) for g in ("ab", "c", "d", "e", "f")}


def test_recordlinkage_ecm_gives_every_record_one_cluster() -> None:
    person = ("SMITH", "ANN", "1980-01-02", "F", "GBR", "GBR", "AB123456", "GBR", None, None)
    other = ("NGUYEN", "MINH", "1975-06-30", "M", "VNM", "VNM", "C7654321", "VNM", None, None)
    rows = [(f"p{i}", *person) for i in range(4)] + [(f"o{i}", *other) for i in range(4)]
    clusters = recordlinkage_ecm(_records(*rows))
    assert clusters.schema == CLUSTER_SCHEMA
    assert sorted(clusters["record_uid"].to_pylist()) == sorted(r[0] for r in rows)


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder: Path = tmp_path_factory.mktemp("baselines")
    generate(persons=200, seed=5, out=folder)
    con = duckdb.connect()
    return run_baselines(register_views(con, folder), con)


def test_both_baselines_are_measured_side_by_side(measured: dict[str, dict[str, Any]]) -> None:
    exact, ecm = measured["exact_match"], measured["recordlinkage_ecm"]
    assert exact["precision"] >= 0.99, exact  # one document and one birth date are rarely two people
    assert 0 < exact["recall"] < ecm["recall"], measured  # renewed passports split a person
    assert ecm["f1"] >= 0.8, ecm
    assert ecm["stages"]["candidate_pairs"] >= ecm["stages"]["matched_pairs"] > 0, ecm
    for result in (exact, ecm):
        assert result["seconds"] >= 0
