"""Feed input as a stream of Arrow chunks: CSV, Parquet and JSON Lines files, or JSON rows in memory.

DuckDB parses the input in its own threads and hands over chunks of at most `CHUNK_ROWS` rows,
so a file is never held in memory whole. Every chunk carries `_row`, the 1-based data row.
Rows the CSV parser rejects are only known once the scan ends; `Source.finish` then reports
them and how the row numbers of the rows after each must shift.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ilos.adapters.duck import plain_rows
from ilos.adapters.duck.checking import checked_query
from ilos.adapters.duck.checks import lit, q
from ilos.adapters.duck.run import one, run
from ilos.domain.feeds import Feed
from ilos.services.errors import FileUnreadableError

CHUNK_ROWS = 262_144
#: Most JSON rows in memory that `Source.chunks` checks in Python when they are plain (ADR 14). Measured
#: on departures: 12 / 38 / 78 / 121 / 198 ms in Python against 104 / 98 / 130 / 148 / 194 ms in DuckDB for
#: 200 / 1,000 / 2,000 / 3,000 / 5,000 rows; and Python holds the interpreter a stream's other threads want
PLAIN_ROWS_MAX = 2_000
FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
_counter = itertools.count(1)
_hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ilos-sha256")


@dataclass
class Finish:
    """What is known only after the whole input was read."""

    malformed: pa.Table  # (_row, raw) of rows that could not be parsed
    shifts: pa.Table  # (good_before, k): rows numbered above good_before move down by k


@dataclass
class Source:
    """One input: its feed, name, columns and chunks."""

    feed: Feed
    name: str
    columns: list[str]  # contract and extra columns present; "_extra_json" for JSON input
    con: duckdb.DuckDBPyConnection  # the connection streaming this input
    query: str
    number_rows: bool  # chunks need `_row` added by position (CSV)
    finish_query: str | None = None  # yields malformed (_row, raw) once the scan is over
    estimated_rows: int = 0  # a generous guess, before reading, of how many rows the input holds
    digest: Future[str] | None = None
    cleanup: list[str] = field(default_factory=list)
    #: unknown columns renamed in `query` (alias -> name in the input): one that differs from a contract
    #: column in case only, or takes an internal name such as `_row`
    extras: dict[str, str] = field(default_factory=dict)
    #: JSON rows in memory (their `_row`s and lines), checked in Python when they are plain (ADR 14)
    json_rows: tuple[list[int], list[str]] | None = None
    _offset: int = 0

    @property
    def sha256(self) -> str:
        """SHA-256 of the file (computed while DuckDB reads it), or of the name for in-memory input."""
        return self.digest.result() if self.digest else hashlib.sha256(self.name.encode()).hexdigest()

    def chunks(self, now_utc: str) -> Iterator[pa.Table]:
        """The input's rows, checked (see checking.py), in order, in chunks of at most CHUNK_ROWS rows."""
        checked = self._checked_in_python(now_utc)
        if checked is not None:
            yield from (checked.slice(start, CHUNK_ROWS) for start in range(0, checked.num_rows, CHUNK_ROWS))
            return
        columns = self.columns if self.number_rows else ["_row", *self.columns]
        reader = self.con.sql(
            checked_query(self.feed, columns, self.query, now_utc, self.extras)
        ).to_arrow_reader(CHUNK_ROWS)
        try:
            for batch in _rechunk(reader):
                if self.number_rows:
                    rows = pa.array(range(self._offset + 1, self._offset + batch.num_rows + 1), pa.int64())
                    batch = batch.add_column(0, "_row", rows)
                self._offset += batch.num_rows
                yield batch
        finally:
            reader.close()

    def _checked_in_python(self, now_utc: str) -> pa.Table | None:
        """The JSON rows checked in Python (`plain_rows`), or None when there are none or they are not
        plain (the SQL checks them). Plain rows are all objects: no malformed row is left to find."""
        if self.json_rows is None:
            return None
        try:
            checked = plain_rows.checked_json_rows(self.feed, *self.json_rows, now_utc)
        except plain_rows.DeclinedError:
            return None
        self.finish_query = None
        return checked

    def finish(self) -> Finish:
        """Malformed rows and row-number shifts; call after `chunks` is exhausted."""
        malformed = pa.table({"_row": pa.array([], pa.int64()), "raw": pa.array([], pa.string())})
        if self.finish_query:
            malformed = self.con.sql(self.finish_query).to_arrow_table()
        shifts = pa.table({"good_before": pa.array([], pa.int64()), "k": pa.array([], pa.int64())})
        if self.number_rows and malformed.num_rows:
            shifts = self.con.sql(
                "SELECT _row - i AS good_before, max(i) AS k FROM "
                "(SELECT _row, row_number() OVER (ORDER BY _row) AS i FROM malformed) GROUP BY ALL ORDER BY 1"
            ).to_arrow_table()
        for statement in self.cleanup:
            run(self.con, statement)
        return Finish(malformed, shifts)


def _rechunk(reader: pa.RecordBatchReader) -> Iterator[pa.Table]:
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in reader:
        pending.append(batch)
        size += batch.num_rows
        if size >= CHUNK_ROWS:
            yield _parallel(pending)
            pending, size = [], 0
    if pending:
        yield _parallel(pending)


def _parallel(batches: list[pa.RecordBatch]) -> pa.Table:
    """A chunk in record batches small enough for DuckDB to scan them on every thread."""
    return pa.Table.from_batches(pa.Table.from_batches(batches).to_batches(max_chunksize=16_384))


def open_file(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path) -> Source:
    """Open a feed file for streaming. Raises FileUnreadableError when it can never load."""
    fmt = preflight(con, feed, path)
    stream = con.cursor()
    try:
        source = {"csv": _csv, "parquet": _parquet, "jsonl": _jsonl}[fmt](stream, feed, path)
    except (duckdb.Error, pa.ArrowException) as exc:
        raise FileUnreadableError(f"{path}: cannot be read as {fmt}: {str(exc).splitlines()[0]}") from exc
    source.digest = _hasher.submit(file_sha256, path)
    source.estimated_rows = max(1, path.stat().st_size // 64)  # feed rows are rarely under 64 bytes
    return source


def open_json_rows(con: duckdb.DuckDBPyConnection, feed: Feed, rows: pa.Table, name: str) -> Source:
    """Rows given as JSON objects in memory (`_row`, `line`): the stream and replay path."""
    stream = con.cursor()
    n = next(_counter)
    stream.register(f"rows_{n}", rows)
    run(
        stream,
        f"CREATE TEMP TABLE lines_{n} AS SELECT _row::BIGINT AS _row, line::VARCHAR AS line FROM rows_{n}",
    )
    stream.unregister(f"rows_{n}")
    source = _json_lines(stream, feed, name, n)
    source.estimated_rows = rows.num_rows
    if rows.num_rows <= PLAIN_ROWS_MAX:
        source.json_rows = (rows.column("_row").to_pylist(), rows.column("line").to_pylist())
    return source


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def preflight(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path) -> str:
    """The file's format, or FileUnreadableError if it could never load (missing, unknown, no required column)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FileUnreadableError(f"{path}: unknown format {path.suffix!r} (use .csv, .parquet or .jsonl)")
    if not path.is_file():
        raise FileUnreadableError(f"{path}: no such file")
    if fmt == "csv":
        _require_columns(feed, path, _csv_header(path))
    elif fmt == "parquet":
        _require_columns(feed, path, _parquet_names(path))
    else:
        keys = _json_keys(con, path)
        if keys is not None:  # no object at all: nothing to load, and any broken line is a row to quarantine
            _require_columns(feed, path, keys)
    return fmt


def _json_keys(con: duckdb.DuckDBPyConnection, path: Path) -> list[str] | None:
    """Every key some object of a JSON Lines or JSON array file carries (its columns; None when it holds
    no object), or FileUnreadableError when the file is not text or not JSON at all (a broken line alone
    is a row to quarantine, not a broken file)."""
    n = next(_counter)
    try:
        _read_json_lines(con, path, n)
    except duckdb.Error as exc:
        raise FileUnreadableError(f"{path}: cannot be read as JSON: {str(exc).splitlines()[0]}") from exc
    try:
        objects = one(con, f"SELECT count(*) FROM lines_{n} WHERE {_IS_OBJECT}")
        keys = con.sql(
            f"SELECT DISTINCT unnest(json_keys(line)) FROM lines_{n} WHERE {_IS_OBJECT} ORDER BY 1"
        ).fetchall()
    finally:
        run(con, f"DROP TABLE lines_{n}")
    return [k[0] for k in keys] if objects else None


def _require_columns(feed: Feed, path: Path, present: list[str]) -> None:
    missing = [c for c in feed.required if c not in present]
    if missing:
        raise FileUnreadableError(
            f"{path}: missing required column(s) {', '.join(missing)}; nothing was loaded"
        )


def _csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        header = next(csv.reader(fh), None)
    if not header or len(set(header)) != len(header):
        raise FileUnreadableError(f"{path}: no header row, or a column named twice; nothing was loaded")
    return header


def _parquet_names(path: Path) -> list[str]:
    """The Parquet file's column names, as written (FileUnreadableError if it is not Parquet, or names a
    column twice, as `_csv_header` refuses a CSV header that does)."""
    try:
        names = pq.read_schema(path).names
    except pa.ArrowException as exc:
        raise FileUnreadableError(f"{path}: cannot be read as parquet: {str(exc).splitlines()[0]}") from exc
    if len(set(names)) != len(names):
        raise FileUnreadableError(f"{path}: a column named twice; nothing was loaded")
    return list(names)


def _aliased(feed: Feed, names: list[str]) -> tuple[list[str], dict[str, str]]:
    """Per input column, in order, its name in the query: a contract column keeps its own, any other
    becomes `_extra_<i>` (DuckDB's names ignore case, and `_row` is ILOS's); and those others' names."""
    contract = set(feed.column_names)
    aliases, extras = [], {}
    for i, name in enumerate(names):
        if name in contract:  # each name once: `_csv_header` and `_parquet_names` refuse a repeated one
            aliases.append(name)
        else:
            aliases.append(f"_extra_{i}")
            extras[f"_extra_{i}"] = name
    return aliases, extras


def _csv(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path) -> Source:
    n = next(_counter)
    aliases, extras = _aliased(feed, _csv_header(path))
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(aliases))) + "}"
    picked = ", ".join(f"c{i} AS {q(a)}" for i, a in enumerate(aliases))
    options = (
        f"header=true, delim=',', quote='\"', escape='\"', auto_detect=false, columns={columns}, "
        f"store_rejects=true, rejects_table='rej_{n}', rejects_scan='rejscan_{n}'"
    )
    finish = (
        f"CREATE OR REPLACE TEMP TABLE malformed AS SELECT (line - 1)::BIGINT AS _row, any_value(csv_line) AS raw "
        f"FROM rej_{n} GROUP BY line ORDER BY 1; SELECT * FROM malformed"
    )
    return Source(
        feed, str(path), aliases, con, f"SELECT {picked} FROM read_csv({lit(str(path))}, {options})",
        number_rows=True, finish_query=finish,
        cleanup=[f"DROP TABLE IF EXISTS rej_{n}; DROP TABLE IF EXISTS rejscan_{n}"], extras=extras,
    )  # fmt: skip


def _parquet(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path) -> Source:
    aliases, extras = _aliased(feed, _parquet_names(path))
    cols = ", ".join(f"CAST(#{i + 1} AS VARCHAR) AS {q(a)}" for i, a in enumerate(aliases))
    query = f"SELECT file_row_number + 1 AS _row, {cols} FROM read_parquet({lit(str(path))}, file_row_number=true)"
    return Source(feed, str(path), aliases, con, query, number_rows=False, extras=extras)


def _jsonl(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path) -> Source:
    """JSON Lines (one object per line, row = line number), or, for a `.json` file whose first
    character but blanks is `[`, one JSON array of objects (the streaming API's body; row = position)."""
    n = next(_counter)
    _read_json_lines(con, path, n)
    return _json_lines(con, feed, str(path), n)


def _read_json_lines(con: duckdb.DuckDBPyConnection, path: Path, n: int) -> None:
    """Table lines_<n> (_row, line) of a JSON Lines file's lines, or of a `.json` file's array items."""
    run(
        con,
        f"CREATE TEMP TABLE text_{n} AS SELECT ltrim(replace(content, chr(13), ''), chr(65279)) AS content FROM read_text({lit(str(path))})",
    )
    blanks = "' ' || chr(9) || chr(10)"
    array = path.suffix.lower() == ".json"
    if array and one(con, f"SELECT starts_with(ltrim(content, {blanks}), '[') FROM text_{n}"):
        items = f"(SELECT json_extract(content, '$[*]') AS items FROM text_{n})"
        body = f"SELECT i AS _row, items[i]::VARCHAR AS line FROM {items}, range(1, len(items) + 1) t(i)"
    else:
        lines = f"(SELECT string_split(content, chr(10)) AS lines FROM text_{n})"
        body = f"SELECT i AS _row, lines[i] AS line FROM {lines}, range(1, len(lines) + 1) t(i) WHERE trim(lines[i]) <> ''"
    try:
        run(con, f"CREATE TEMP TABLE lines_{n} AS {body}")
    finally:
        run(con, f"DROP TABLE text_{n}")


#: Condition on a line of lines_<n>: it holds one JSON object (anything else is a malformed row).
_IS_OBJECT = "coalesce(CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END, false)"


def _json_lines(con: duckdb.DuckDBPyConnection, feed: Feed, name: str, n: int) -> Source:
    """Table lines_<n> (_row, line): JSON objects become rows; anything else is malformed."""
    names = list(feed.column_names)
    cols = ", ".join(f"line ->> {lit('$.' + q(c))} AS {q(c)}" for c in names)
    drop = "{" + ", ".join(f'"{c}": null' for c in names) + "}"
    is_object = _IS_OBJECT
    query = (
        f"SELECT _row, {cols}, nullif(json_merge_patch(line, {lit(drop)})::VARCHAR, '{{}}') AS _extra_json "
        f"FROM lines_{n} WHERE {is_object} ORDER BY _row"
    )
    finish = f"SELECT _row, line AS raw FROM lines_{n} WHERE NOT {is_object} ORDER BY _row"
    return Source(
        feed, name, [*names, "_extra_json"], con, query, number_rows=False, finish_query=finish,
        cleanup=[f"DROP TABLE lines_{n}"],
    )  # fmt: skip
