"""Stage a feed file in DuckDB: read it (CSV, Parquet, JSON Lines), number its rows, check every rule.

The outcome is a DuckDB table `checked_<n>` with one row per parsed data row: the contract
columns as VARCHAR (empty → NULL), `_row` (1-based data row in the file), `_extra` (unknown
columns as a JSON object), `_recorded_utc`, `_fail` (first failing reason and message, or NULL)
and `_hash` (content hash), plus a table `malformed_<n>` of rows that could not be parsed.
Everything is set-at-a-time; no row passes through Python.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ilos.adapters.duck.checks import failure_sql, lit, q, utc_timestamp_sql
from ilos.adapters.duck.run import one, run
from ilos.domain.feeds import Feed
from ilos.services.errors import FileUnreadableError

_counter = itertools.count(1)
FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}


@dataclass
class Staged:
    """A staged file (or batch of streamed rows) in a DuckDB connection."""

    con: duckdb.DuckDBPyConnection
    feed: Feed
    source: str
    sha256: str
    checked: str  # table of parsed rows with their check results
    malformed: str  # table (_row, raw) of rows that could not be parsed

    def count(self, where: str) -> int:
        """Rows of `checked` matching a SQL condition."""
        return int(one(self.con, f"SELECT count(*) FROM {self.checked} WHERE {where}"))

    def rows_read(self) -> int:
        """All data rows of the input, parsed or not."""
        return int(
            one(
                self.con,
                f"SELECT (SELECT count(*) FROM {self.checked}) + (SELECT count(*) FROM {self.malformed})",
            )
        )

    def drop(self) -> None:
        """Free the staging tables."""
        kinds = dict(self.con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        self.con.complete()
        for name in (self.checked, self.checked.replace("checked_", "unnumbered_"), self.malformed):
            if name in kinds:
                run(self.con, f"DROP {'VIEW' if kinds[name] == 'VIEW' else 'TABLE'} {name}")


def connect(memory_limit: str = "1GB", temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB for staging, bounded in memory (it spills to `temp_directory`)."""
    con = duckdb.connect(config={"memory_limit": memory_limit, "threads": 2})
    run(con, "SET enable_progress_bar = false; SET TimeZone = 'UTC'")
    if temp_directory is not None:
        temp_directory.mkdir(parents=True, exist_ok=True)
        run(con, f"SET temp_directory = {lit(str(temp_directory))}")
    return con


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def stage_file(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path, now_utc: str) -> Staged:
    """Read and check one feed file. Raises FileUnreadableError when it cannot be loaded at all."""
    preflight(con, feed, path)
    fmt = FORMATS[path.suffix.lower()]
    n = next(_counter)
    with ThreadPoolExecutor(max_workers=1) as pool:  # hashlib releases the GIL: hash while DuckDB parses
        digest = pool.submit(file_sha256, path)
        _stage_file(con, feed, path, fmt, n, now_utc)
        return Staged(con, feed, str(path), digest.result(), f"checked_{n}", f"malformed_{n}")


def _stage_file(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path, fmt: str, n: int, now_utc: str) -> None:
    try:
        columns = {"csv": _read_csv, "parquet": _read_parquet, "jsonl": _read_jsonl}[fmt](con, feed, path, n)
    except duckdb.Error as exc:
        raise FileUnreadableError(f"{path}: cannot be read as {fmt}: {str(exc).splitlines()[0]}") from exc
    _check(con, feed, n, columns, now_utc)
    if fmt == "csv":
        _collect_csv_rejects(con, n)


def stage_json(
    con: duckdb.DuckDBPyConnection, feed: Feed, rows: pa.Table, source: str, now_utc: str
) -> Staged:
    """Check rows that did not come from a file (stream, replay): `rows` has `_row` and `line`, a JSON object."""
    n = next(_counter)
    con.register(f"rows_{n}", rows)
    run(
        con,
        f"CREATE TEMP TABLE lines_{n} AS SELECT _row::BIGINT AS _row, line::VARCHAR AS line FROM rows_{n}",
    )
    con.unregister(f"rows_{n}")
    _check(con, feed, n, _json_lines_to_input(con, feed, n), now_utc)
    digest = hashlib.sha256(source.encode()).hexdigest()
    return Staged(con, feed, source, digest, f"checked_{n}", f"malformed_{n}")


def _require_columns(feed: Feed, path: Path, present: list[str]) -> None:
    missing = [c for c in feed.required if c not in present]
    if missing:
        raise FileUnreadableError(
            f"{path}: missing required column(s) {', '.join(missing)}; nothing was loaded"
        )


def _read_csv(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path, n: int) -> list[str]:
    header = _csv_header(path)
    _require_columns(feed, path, header)
    columns = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in header) + "}"
    opts = f"header=true, delim=',', quote='\"', escape='\"', auto_detect=false, columns={columns}"
    src = f"read_csv({lit(str(path))}, {opts}"
    run(
        con,
        f"CREATE TEMP VIEW input_{n} AS SELECT * FROM {src}, "
        f"store_rejects=true, rejects_table='rej_{n}', rejects_scan='rejscan_{n}')",
    )
    return header


def _collect_csv_rejects(con: duckdb.DuckDBPyConnection, n: int) -> None:
    """After the scan: rows DuckDB could not parse become malformed_<n>; the others are renumbered."""
    run(
        con,
        f"CREATE TEMP TABLE malformed_{n} AS SELECT (line - 1)::BIGINT AS _row, any_value(csv_line) AS raw "
        f"FROM rej_{n} GROUP BY line",
    )
    run(con, f"DROP TABLE rej_{n}; DROP TABLE rejscan_{n}")
    if not one(con, f"SELECT count(*) FROM malformed_{n}"):
        # CREATE TABLE AS keeps the file's order, so rowid + 1 is the data row number.
        run(con, f"CREATE TEMP VIEW checked_{n} AS SELECT rowid + 1 AS _row, * FROM unnumbered_{n}")
        return
    _renumber_around_rejects(con, n)


def _csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        header = next(csv.reader(fh), None)
    if not header or len(set(header)) != len(header):
        raise FileUnreadableError(f"{path}: no header row, or a column named twice; nothing was loaded")
    return header


def _renumber_around_rejects(con: duckdb.DuckDBPyConnection, n: int) -> None:
    """Good rows were numbered without the rejected ones; shift each past the rejects before it."""
    run(
        con,
        f"""
        CREATE TEMP TABLE shift_{n} AS
        SELECT _row - i AS good_before, max(i) AS k
        FROM (SELECT _row, row_number() OVER (ORDER BY _row) AS i FROM malformed_{n})
        GROUP BY ALL;
        CREATE TEMP TABLE checked_{n} AS
        SELECT a._row + coalesce(s.k, 0) AS _row, a.* EXCLUDE (_row)
        FROM (SELECT rowid + 1 AS _row, * FROM unnumbered_{n}) a
        ASOF LEFT JOIN shift_{n} s ON a._row > s.good_before;
        DROP TABLE shift_{n};
        DROP TABLE unnumbered_{n};
        """,
    )


def _read_parquet(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path, n: int) -> list[str]:
    src = f"read_parquet({lit(str(path))}, file_row_number=true)"
    names = [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {src}").fetchall() if r[0] != "file_row_number"]
    _require_columns(feed, path, names)
    cols = ", ".join(f"CAST({q(c)} AS VARCHAR) AS {q(c)}" for c in names)
    run(con, f"CREATE TEMP VIEW input_{n} AS SELECT file_row_number + 1 AS _row, {cols} FROM {src}")
    run(con, f"CREATE TEMP TABLE malformed_{n} (_row BIGINT, raw VARCHAR)")
    return ["_row", *names]


def _read_jsonl(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path, n: int) -> list[str]:
    run(
        con,
        f"""
        CREATE TEMP TABLE lines_{n} AS
        SELECT i AS _row, lines[i] AS line
        FROM (SELECT string_split(replace(content, chr(13), ''), chr(10)) AS lines
              FROM read_text({lit(str(path))})), range(1, len(lines) + 1) t(i)
        WHERE trim(lines[i]) <> ''
        """,
    )
    return _json_lines_to_input(con, feed, n)


def _json_lines_to_input(con: duckdb.DuckDBPyConnection, feed: Feed, n: int) -> list[str]:
    """Turn table lines_<n> (_row, line) of JSON objects into input_<n>; non-objects go to malformed_<n>."""
    names = list(feed.column_names)
    cols = ", ".join(f"line ->> {lit('$.' + q(c))} AS {q(c)}" for c in names)
    drop = "{" + ", ".join(f'"{c}": null' for c in names) + "}"
    run(
        con,
        f"""
        CREATE TEMP TABLE malformed_{n} AS SELECT _row, line AS raw FROM lines_{n}
        WHERE NOT coalesce(CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END, false);
        CREATE TEMP VIEW input_{n} AS
        SELECT _row, {cols}, nullif(json_merge_patch(line, {lit(drop)})::VARCHAR, '{{}}') AS _extra_json
        FROM lines_{n} WHERE _row NOT IN (SELECT _row FROM malformed_{n});
        """,
    )
    return ["_row", *names, "_extra_json"]


def _check(con: duckdb.DuckDBPyConnection, feed: Feed, n: int, present: list[str], now_utc: str) -> None:
    contract = feed.column_names
    values = ", ".join(
        f"nullif({q(c)}, '') AS {q(c)}" if c in present else f"NULL::VARCHAR AS {q(c)}" for c in contract
    )
    extras = [c for c in present if c not in contract and c not in ("_row", "_extra_json")]
    if "_extra_json" in present:
        extra = "_extra_json"
    elif extras:
        packed = ", ".join(f"{q(c)} := nullif({q(c)}, '')" for c in extras)
        extra = f"nullif(json_merge_patch('{{}}', to_json(struct_pack({packed})))::VARCHAR, '{{}}')"
    else:
        extra = "NULL::VARCHAR"
    digest = ", ".join([*(f"coalesce({q(c)}, '')" for c in contract), "coalesce(_extra, '')"])
    numbered = "_row" in present
    run(
        con,
        f"""
        CREATE TEMP TABLE {"checked" if numbered else "unnumbered"}_{n} AS
        SELECT *, {failure_sql(feed, now_utc)} AS _fail, md5(concat_ws(chr(31), {digest})) AS _hash
        FROM (SELECT {"_row, " if numbered else ""}{values}, {extra} AS _extra,
                     {utc_timestamp_sql(q("recorded_at"))} AS _recorded_utc
              FROM input_{n});
        DROP VIEW input_{n};
        DROP TABLE IF EXISTS lines_{n};
        """,
    )


def preflight(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path) -> None:
    """Raise FileUnreadableError if `path` could never load: missing, unknown format, or no required column."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FileUnreadableError(f"{path}: unknown format {path.suffix!r} (use .csv, .parquet or .jsonl)")
    if not path.is_file():
        raise FileUnreadableError(f"{path}: no such file")
    if fmt == "csv":
        _require_columns(feed, path, _csv_header(path))
    elif fmt == "parquet":
        try:
            names = [
                r[0] for r in con.sql(f"DESCRIBE SELECT * FROM read_parquet({lit(str(path))})").fetchall()
            ]
        except duckdb.Error as exc:
            raise FileUnreadableError(
                f"{path}: cannot be read as parquet: {str(exc).splitlines()[0]}"
            ) from exc
        _require_columns(feed, path, names)


class DuckStager:
    """The Stager port on an in-process DuckDB; `now_utc` is the clock for RECORDED_IN_FUTURE."""

    def __init__(self, con: duckdb.DuckDBPyConnection, now_utc: str) -> None:
        self.con = con
        self.now_utc = now_utc

    def preflight(self, feed: Feed, path: Path) -> None:
        """See `preflight`."""
        preflight(self.con, feed, path)

    def stage_file(self, feed: Feed, path: Path) -> Staged:
        """See `stage_file`."""
        return stage_file(self.con, feed, path, self.now_utc)

    def stage_json(self, feed: Feed, rows: pa.Table, source: str) -> Staged:
        """See `stage_json`."""
        return stage_json(self.con, feed, rows, source, self.now_utc)
