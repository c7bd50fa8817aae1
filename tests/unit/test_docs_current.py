"""Generated documents are committed current: a change to the code without `make docs` fails here."""

from pathlib import Path

import pytest

from ilos.entrypoints.reference import DOCS, REFERENCES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_reference_is_current(name: str) -> None:
    committed = (DOCS / name).read_text()
    assert committed == REFERENCES[name]() + "\n", f"docs/reference/{name} is stale: run `make docs`"


def test_benchmark_table_matches_the_results() -> None:
    from benchmarks.report import render

    results = ROOT / "benchmarks" / "results"
    assert (ROOT / "docs" / "benchmarks.md").read_text() == render(results), "run `make bench`"
