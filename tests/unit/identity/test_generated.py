"""End to end on a small generated population, against the generator's ground truth."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from benchmarks.identity.data import load_records, load_truth, load_twins
from benchmarks.identity.measure import accuracy

from ilos.adapters.identity import IdentityResolver
from ilos.generator import generate


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    folder: Path = tmp_path_factory.mktemp("identity")
    generate(persons=400, seed=5, out=folder)
    con = duckdb.connect()
    records = load_records(folder, con)
    con.register("records", records)
    con.register("truth", load_truth(folder, con))
    con.register("twins", load_twins(folder, con))
    resolver = IdentityResolver(con)
    pairs = resolver.score(records)
    return accuracy(con, resolver.cluster(records, pairs), pairs, resolver.members)


def test_precision_and_recall_on_generated_data(measured: dict[str, float]) -> None:
    assert measured["precision"] >= 0.995, measured
    assert measured["recall"] >= 0.97, measured
    assert measured["candidate_recall"] >= 0.98, measured


def test_no_twins_joined(measured: dict[str, float]) -> None:
    assert measured["twins_joined"] == 0, measured
