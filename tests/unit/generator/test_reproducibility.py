"""Same arguments give byte-identical files; another seed gives other files; Parquet mirrors CSV."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ilos.generator import generate
from ilos.generator.schema import FEEDS, columns

from .conftest import read_csv

END = date(2025, 6, 30)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    generate(600, 11, out, end=END)
    return out


def test_same_seed_gives_identical_bytes(small: Path, tmp_path: Path) -> None:
    summary = generate(600, 11, tmp_path, end=END)
    assert _files(tmp_path) == _files(small)
    assert summary.rows == {f: len(read_csv(small / f"{f}.csv")) for f in FEEDS}


def test_identical_in_another_process_with_another_hash_seed(small: Path, tmp_path: Path) -> None:
    code = (
        "import sys, datetime, pathlib; from ilos.generator import generate; "
        "generate(600, 11, pathlib.Path(sys.argv[1]), end=datetime.date(2025, 6, 30))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env, timeout=120)
    assert _files(tmp_path) == _files(small)


def test_other_seed_gives_other_files(small: Path, tmp_path: Path) -> None:
    generate(600, 12, tmp_path, end=END)
    assert (tmp_path / "arrivals.csv").read_bytes() != (small / "arrivals.csv").read_bytes()


def test_window_defaults_to_four_years_before_end(small: Path) -> None:
    manifest = (small / "truth" / "manifest.json").read_text(encoding="utf-8")
    assert '"start": "2021-06-30"' in manifest
    assert '"end": "2025-06-30"' in manifest
    assert '"now": "2025-06-30T23:59:59+00:00"' in manifest


def test_parquet_holds_the_same_strings_as_csv(small: Path, tmp_path: Path) -> None:
    summary = generate(600, 11, tmp_path, end=END, fmt="parquet")
    assert summary.fmt == "parquet"
    for feed in FEEDS:
        table = pq.read_table(tmp_path / f"{feed}.parquet")
        assert tuple(table.column_names) == columns(feed)
        assert all(str(t) == "string" for t in table.schema.types)
        assert table.to_pylist() == read_csv(small / f"{feed}.csv"), feed
    assert (tmp_path / "truth" / "admissions.csv").read_bytes() == (
        small / "truth" / "admissions.csv"
    ).read_bytes()


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="persons"):
        generate(0, 1, tmp_path)
    with pytest.raises(ValueError, match="format"):
        generate(10, 1, tmp_path, fmt="xml")
    with pytest.raises(ValueError, match="now must not be before"):
        generate(10, 1, tmp_path, end=date(2025, 1, 1), now=datetime(2025, 1, 1, 12, tzinfo=UTC))
    with pytest.raises(ValueError, match="before end"):
        generate(10, 1, tmp_path, start=date(2025, 1, 2), end=date(2025, 1, 1))
