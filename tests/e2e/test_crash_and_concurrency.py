"""Real processes: a SIGKILL at any moment leaves no half-loaded batch; readers and writers share the store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.feedfiles import arrival, big_arrivals_csv, write_csv

ROWS = 150_000
ILOS = [sys.executable, "-m", "ilos.entrypoints.cli.main"]

pytestmark = [pytest.mark.slow, pytest.mark.alone]


def start(*args: str, db: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [*ILOS, *args, "--db", db], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def run(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    proc = start(*args, db=db)
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def counts(db: str) -> tuple[int, int]:
    """(stored arrivals versions, ingest batches)."""
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            records = conn.execute(text("SELECT count(*) FROM records_arrivals")).scalar_one()
            batches = conn.execute(text("SELECT count(*) FROM ingest_batch")).scalar_one()
    finally:
        engine.dispose()
    return records, batches


def test_sigkill_at_any_moment_leaves_all_or_nothing(store_url: str, tmp_path: Path) -> None:
    big = big_arrivals_csv(tmp_path / "big.csv", ROWS)
    assert run("summary", db=store_url).returncode == 0  # schema in place, so kills hit the load itself
    started = time.monotonic()
    assert run("ingest", "--no-resolve", "arrivals", str(big), db=store_url).returncode == 0
    full = time.monotonic() - started
    engine = create_engine(store_url)
    with engine.begin() as conn:  # start again from an empty store, keeping the schema
        conn.execute(text("DELETE FROM records_arrivals"))
        conn.execute(text("DELETE FROM ingest_batch"))
    engine.dispose()

    seen = set()
    for fraction in (0.15, 0.35, 0.55, 0.75, 0.9):
        proc = start("ingest", "--no-resolve", "arrivals", str(big), db=store_url)
        time.sleep(full * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        records, batches = counts(store_url)
        assert (records, batches) in {(0, 0), (ROWS, 1)}, f"half-loaded after kill at {fraction:.0%}"
        seen.add(records)
        if records:
            break
    assert 0 in seen, "no kill landed before the commit; the test proved nothing"

    done = run("ingest", "--no-resolve", "arrivals", str(big), db=store_url)
    assert done.returncode == 0, done.stderr
    assert counts(store_url) == (ROWS, 1 + (ROWS in seen))
    again = run("ingest", "--no-resolve", "arrivals", str(big), db=store_url)
    assert f"unchanged {ROWS}" in again.stdout
    assert counts(store_url)[0] == ROWS


def test_readers_are_not_blocked_by_a_writer_and_writers_take_turns(store_url: str, tmp_path: Path) -> None:
    big = big_arrivals_csv(tmp_path / "big.csv", ROWS)
    small = write_csv(tmp_path / "small.csv", [arrival("1"), arrival("2")])
    assert run("ingest", "--no-resolve", "arrivals", str(small), db=store_url).returncode == 0

    writer = start("ingest", "--no-resolve", "arrivals", str(big), db=store_url)
    second_writer = start(
        "ingest",
        "--no-resolve",
        "arrivals",
        str(big_arrivals_csv(tmp_path / "b2.csv", 1000, seed=7)),
        db=store_url,
    )
    reads = []
    while writer.poll() is None and len(reads) < 5:
        result = run("export", "records", "arrivals", db=store_url)
        assert result.returncode == 0, result.stderr
        reads.append(result.stdout.count("\nI94,"))
    writer_running_after_reads = writer.poll() is None
    for proc in (writer, second_writer):
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err

    assert reads
    assert set(reads) <= {2, 1002, ROWS + 2, ROWS + 1002}
    assert writer_running_after_reads or reads[0] in {2, 1002}, "a read only finished after the writer"
    assert counts(store_url) == (ROWS + 1002, 3)
