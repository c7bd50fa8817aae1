"""Statuses of a generated world against the generator's ground truth (`truth/admissions.csv`).

With the generator's true persons in place of ILOS's identity links, the statuses read back from the
store (defective rows quarantined, corrections and retractions applied) must equal the truth exactly:
any difference is a rule or a read of the store gone wrong. With ILOS's own links, differences come
from identity resolution only; their share is measured by the benchmark (docs/benchmarks.md).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from benchmarks.admissions.steps import with_true_persons

from ilos.bootstrap import Ilos
from ilos.config import Settings
from ilos.generator import generate
from tests.cli import ilos, load_world
from tests.unit.admissions.engine import judge_inputs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("world")
    generate(persons=2_000, seed=4, out=out)
    return out, json.loads((out / "truth" / "manifest.json").read_text())


def truth(out: Path) -> dict[str, tuple[str, str, str]]:
    with (out / "truth" / "admissions.csv").open() as fh:
        return {
            r["admission_number"]: (r["true_status"], r["true_authorized_until"], r["true_overstay_days"])
            for r in csv.DictReader(fh)
        }


def test_statuses_from_the_store_equal_the_truth_given_true_persons(
    world: tuple[Path, dict[str, Any]], store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, manifest = world
    monkeypatch.setenv("ILOS_NOW", manifest["now"])
    load_world(out, store_url)
    end = date.fromisoformat(manifest["end"])
    expected = truth(out)

    with Ilos(Settings(), store_url) as app:
        inputs = with_true_persons(duckdb.connect(), out, app.reader.admission_inputs())
    got = {n: (r["status"], r["authorized_until"] or "", str(r["overstay_days"] or "")) for n, r in
           judge_inputs(inputs, end.isoformat()).items()}  # fmt: skip
    assert got == expected

    # with ILOS's own identity links: every admission is there, and the few differences are identity's
    exported = ilos("export", "admissions", "--as-of", manifest["end"], db=store_url).out
    ilos_rows = {r["admission_number"]: r["status"] for r in csv.DictReader(io.StringIO(exported))}
    assert ilos_rows.keys() == expected.keys()
    wrong = sum(ilos_rows[n] != s for n, (s, _, _) in expected.items())
    assert wrong / len(expected) < 0.01
