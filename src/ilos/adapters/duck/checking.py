"""Check feed rows set-at-a-time, in DuckDB, as part of the query that reads them.

The checked rows have the contract columns as VARCHAR (empty → NULL), `_row`, `_extra`
(unknown columns as a JSON object), `_recorded_utc`, `_fail` (the first failing reason and its
message, or NULL) and `_hash` (the content hash that tells re-deliveries from corrections).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ilos.adapters.duck.checks import failure_sql, lit, q, utc_timestamp_sql
from ilos.adapters.duck.run import run
from ilos.domain.feeds import Feed


def connect(memory_limit: str = "1GB", temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB for staging, bounded in memory (it spills to `temp_directory`)."""
    con = duckdb.connect(config={"memory_limit": memory_limit, "threads": 2})
    run(con, "SET enable_progress_bar = false; SET TimeZone = 'UTC'")
    if temp_directory is not None:
        temp_directory.mkdir(parents=True, exist_ok=True)
        run(con, f"SET temp_directory = {lit(str(temp_directory))}")
    return con


def checked_query(
    feed: Feed, columns: list[str], rows: str, now_utc: str, extras: dict[str, str] | None = None
) -> str:
    """SQL checking every row of the relation `rows` (all VARCHAR; `_row` passes through when present).
    `extras` names the unknown columns the input calls otherwise (alias in `rows` -> name in the input)."""
    contract = feed.column_names
    values = ", ".join(
        f"nullif({q(c)}, '') AS {q(c)}" if c in columns else f"NULL::VARCHAR AS {q(c)}" for c in contract
    )
    digest = ", ".join([*(f"coalesce({q(c)}, '')" for c in contract), "coalesce(_extra, '')"])
    row = "_row::BIGINT AS _row, " if "_row" in columns else ""
    return f"""
        SELECT *, {failure_sql(feed, now_utc)} AS _fail, md5(concat_ws(chr(31), {digest})) AS _hash
        FROM (SELECT {row}{values}, {_extra_sql(contract, columns, extras or {})} AS _extra,
                     {utc_timestamp_sql(q("recorded_at"))} AS _recorded_utc
              FROM ({rows}))
    """


def _extra_sql(contract: tuple[str, ...], columns: list[str], names: dict[str, str]) -> str:
    """Unknown columns as one JSON object, keyed by their names in the input, without empty values (NULL
    when there are none)."""
    if "_extra_json" in columns:
        return "_extra_json"
    extras = [c for c in columns if c not in contract and c != "_row"]
    if not extras:
        return "NULL::VARCHAR"
    pairs = ", ".join(f"{lit(names.get(c, c))}, nullif({q(c)}, '')" for c in extras)
    return f"nullif(json_merge_patch('{{}}', json_object({pairs}))::VARCHAR, '{{}}')"
