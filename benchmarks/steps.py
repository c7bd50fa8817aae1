"""Measured steps, each run in its own child process by benchmarks.measure.in_child."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from benchmarks.measure import report


def duckdb_ctas(csv_path: str, db_path: str) -> None:
    """Floor for the embedded store: DuckDB loads the CSV into a file database, nothing checked."""
    import duckdb

    con = duckdb.connect(db_path)
    con.execute("SET enable_progress_bar = false")
    report(lambda: con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}')").fetchall())


def postgres_copy(csv_path: str, url: str) -> None:
    """Floor for PostgreSQL: a plain COPY of the file into an unindexed table of text columns."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with Path(csv_path).open(encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")

    def copy() -> None:
        with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_copy_floor")
            cur.execute(f"CREATE TABLE bench_copy_floor ({', '.join(f'{c} text' for c in header)})")
            with (
                cur.copy("COPY bench_copy_floor FROM STDIN (FORMAT csv, HEADER true)") as copy_in,
                Path(csv_path).open("rb") as fh,
            ):
                while chunk := fh.read(1 << 20):
                    copy_in.write(chunk)
            cur.execute("DROP TABLE bench_copy_floor")

    report(copy)


def ilos_ingest(feed: str, csv_path: str, url: str) -> None:
    """ILOS: validate and store one feed file (the schema is created before the clock starts)."""
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files

    app = Ilos(Settings(), url)
    _ = app.store, app.loader

    def ingest() -> dict[str, Any]:
        [result] = ingest_files(feed, [Path(csv_path)], app.loader)
        return {o.value: n for o, n in result.outcomes.items()}

    report(ingest)
    app.close()


def keyed_insert(csv_path: str, url: str) -> None:
    """Reference: the same rows, unchecked, appended through ADBC to a table shaped like ILOS's records
    table (text columns, primary key on source_system, source_record_id, version) in the same store."""
    import duckdb

    from ilos.adapters.db.bulk import BulkConnection
    from ilos.adapters.db.engine import make_engine

    make_engine(url).dispose()  # creates the embedded file with ILOS's pragmas (WAL, page size)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    query = (
        "SELECT *, 1::INTEGER AS version, 0::BIGINT AS batch_id, 0::BIGINT AS file_row, '' AS content_hash, "
        f"recorded_at AS recorded_at_utc FROM read_csv('{csv_path}', all_varchar=true)"
    )
    columns = con.sql(query).columns
    bulk = BulkConnection(url)
    types = {"version": "INTEGER", "batch_id": "BIGINT", "file_row": "BIGINT"}
    ddl = ", ".join(f"{c} {types.get(c, 'TEXT')}" for c in columns)
    bulk.execute("DROP TABLE IF EXISTS bench_keyed")
    bulk.execute(f"CREATE TABLE bench_keyed ({ddl}, PRIMARY KEY (source_system, source_record_id, version))")

    def insert() -> None:
        with bulk.write_transaction():
            bulk.ingest("bench_keyed", con.sql(query).to_arrow_reader(262_144))

    report(insert)
    bulk.execute("DROP TABLE bench_keyed")
    bulk.close()


STEPS = {
    "duckdb_ctas": duckdb_ctas,
    "postgres_copy": postgres_copy,
    "ilos_ingest": ilos_ingest,
    "keyed_insert": keyed_insert,
}

if __name__ == "__main__":
    STEPS[sys.argv[1]](*sys.argv[2:])
