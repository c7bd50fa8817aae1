"""A micro-batch of plain JSON rows checked in Python: the table `checking.checked_query` makes, without
DuckDB (ADR 14).

DuckDB plans the checking query in 40 to 55 ms and runs it in about 40 ms for a few hundred rows,
whatever their number (one large `CASE` over every column): most of what storing a stream's micro-batch
cost. The rules are the same data (`ilos.domain.feeds`), compiled here into Python checks in the order
`checks.failure_sql` compiles them into SQL; the SQL stays the reference, and the tests hold the two to
the same table, row for row and byte for byte (values, normalised time, failure and content hash).

Only **plain** rows are checked here: every line a JSON object without a repeated key, whose keys are
all contract columns and whose values are all strings (or null), none holding a NUL or an unpaired
surrogate. A batch with any other line, or with a value whose check Python would answer differently
from DuckDB (a year 0000, which Python's dates cannot hold), is declined (`DeclinedError`) and checked by
the SQL, as every batch was before.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from ilos.adapters.duck.checks import (
    BIRTH_DATE_RE,
    BLANK_CODEPOINTS,
    DATE_RE,
    INTEGER_RE,
    TIMESTAMP_RE,
)
from ilos.domain.feeds import Column, DateOrder, Feed, Kind, LiteralOnlyFor, MaxStay, RowRule
from ilos.domain.reasons import Reason

#: A row's failure, as `_fail` holds it: (reason, message); None when it passes
Failure = tuple[str, str] | None
#: A check of one row: its values by column, its normalised recorded_at, and the time now (UTC text)
Check = Callable[[dict[str, str | None], str | None, str], Failure]

FAIL_TYPE = pa.struct([("reason", pa.string()), ("message", pa.string())])
_BLANK = frozenset(chr(cp) for cp in BLANK_CODEPOINTS)
#: TIMESTAMP_RE with groups: date, time, seconds, fraction, offset sign, hours and minutes
_TIMESTAMP_PARTS = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?"
    r"(?:Z|([+-])([0-9]{2})(?::?([0-9]{2}))?)"
)


class DeclinedError(Exception):
    """The batch is not one Python checks exactly as DuckDB does; the SQL checks it."""


def checked_schema(feed: Feed) -> pa.Schema:
    """The columns and types of `checking.checked_query` over JSON rows of `feed`."""
    return pa.schema(
        [("_row", pa.int64()), *((c, pa.string()) for c in feed.column_names), ("_extra", pa.string()),
         ("_recorded_utc", pa.string()), ("_fail", FAIL_TYPE), ("_hash", pa.string())]
    )  # fmt: skip


def checked_json_rows(feed: Feed, rows: list[int], lines: list[str], now_utc: str) -> pa.Table:
    """The checked table of `lines` (numbered `rows`) as `checked_query` gives it for JSON rows, or
    `DeclinedError` when a line is not plain or a value is one Python cannot check as DuckDB does."""
    names, schema, checks = feed.column_names, checked_schema(feed), _checks(feed)
    contract = frozenset(names)
    columns: dict[str, list[Any]] = {c: [] for c in schema.names}
    for row, line in zip(rows, lines, strict=True):
        values = _plain_values(contract, line)
        recorded = utc_text(values.get("recorded_at"))
        columns["_row"].append(row)
        for name in names:
            columns[name].append(values.get(name))
        columns["_extra"].append(None)
        columns["_recorded_utc"].append(recorded)
        failure = next((f for check in checks if (f := check(values, recorded, now_utc)) is not None), None)
        columns["_fail"].append(None if failure is None else {"reason": failure[0], "message": failure[1]})
        columns["_hash"].append(_content_hash(values, names))
    return pa.table(columns, schema=schema)


def _plain_values(contract: frozenset[str], line: str) -> dict[str, str | None]:
    """The line's contract values (an empty string as None), or `DeclinedError` when the line is not plain."""
    if "\x00" in line or "\\u0000" in line:
        raise DeclinedError("a NUL character")
    try:
        pairs = json.loads(line, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError) as error:
        raise DeclinedError("not JSON Python reads") from error
    if not isinstance(pairs, _Pairs):
        raise DeclinedError("not an object")
    values = dict(pairs)
    if len(values) != len(pairs) or not values.keys() <= contract:
        raise DeclinedError("a key repeated, or not a contract column")
    if not all(value is None or isinstance(value, str) for value in values.values()):
        raise DeclinedError("a value that is not a string")
    return {k: (v if v else None) for k, v in values.items()}


class _Pairs(list[tuple[str, Any]]):
    """A JSON object's (key, value) pairs, in order, repeated keys kept."""


def _content_hash(values: dict[str, str | None], names: tuple[str, ...]) -> str:
    """`_hash`: the md5 of every contract value and the extra columns (none), joined by chr(31); a value
    with an unpaired surrogate (no UTF-8 for DuckDB to hash) declines the batch."""
    text = "\x1f".join([*(values.get(c) or "" for c in names), ""])
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise DeclinedError("an unpaired surrogate") from error
    return hashlib.md5(encoded, usedforsecurity=False).hexdigest()


def valid_date(value: str) -> bool:
    """`checks.valid_date_sql`: a real calendar date written YYYY-MM-DD."""
    if not re.fullmatch(DATE_RE, value):
        return False
    year, month, day = int(value[:4]), int(value[5:7]), int(value[8:10])
    if year == 0:
        raise DeclinedError("year 0000")  # DuckDB's calendar has it; Python's has not
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _valid_birth_date(value: str) -> bool:
    return bool(re.fullmatch(BIRTH_DATE_RE, value)) and valid_date(birth_lower_bound(value))


def birth_lower_bound(value: str) -> str:
    """`checks.birth_lower_bound_sql`: the earliest day a (partial) birth date can stand for."""
    return value + "-01-01"[max(len(value) - 4, 0) :]


def utc_text(value: str | None) -> str | None:
    """`checks.utc_timestamp_sql`: an ISO 8601 timestamp with offset as UTC text, else None."""
    if value is None or not re.fullmatch(TIMESTAMP_RE, value) or not valid_date(value[:10]):
        return None
    parts = _TIMESTAMP_PARTS.fullmatch(value)
    if parts is None:  # TIMESTAMP_RE and the parts say the same
        raise DeclinedError("a timestamp the parts do not read")
    y, mo, d, h, mi, s, fraction, sign, oh, om = parts.groups()
    local = datetime(
        int(y), int(mo), int(d), int(h), int(mi), int(s or 0), int((fraction or "0")[:6].ljust(6, "0"))
    )
    offset = timedelta(hours=int(oh or 0), minutes=int(om or 0)) * (-1 if sign == "-" else 1)
    try:
        utc = local - offset
    except OverflowError as error:
        raise DeclinedError("a time outside Python's years") from error
    if not 1 <= utc.year <= 9999:
        raise DeclinedError("a time outside Python's years")
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}Z"


def _shown(value: str) -> str:
    """`checks.shown`: a value as a message shows it, cut to 40 characters."""
    return f'"{value[:40]}"'


@functools.cache
def _checks(feed: Feed) -> tuple[Check, ...]:
    """The feed's checks in `failure_sql`'s order: required columns, values by reason, times, row rules."""
    return (
        *(_required(c) for c in feed.columns if c.required),
        *(
            check
            for reason in (
                Reason.INVALID_CODE,
                Reason.INVALID_DATE,
                Reason.INVALID_TIMESTAMP,
                Reason.INVALID_FORMAT,
            )
            for check in _values(feed, reason)
        ),
        *_times(feed),
        *(_row_rule(rule) for rule in feed.rules),
    )


def _required(col: Column) -> Check:
    message = f"required column {col.name} is empty"

    def check(values: dict[str, str | None], *_: str | None) -> Failure:
        value = values.get(col.name)
        empty = value is None or all(ch in _BLANK for ch in value)
        return (Reason.MISSING_REQUIRED.value, message) if empty else None

    return check


def _values(feed: Feed, reason: Reason) -> Iterator[Check]:
    for col in feed.columns:
        malformed = _malformed(col)
        if malformed is not None and col.reason is reason:
            yield _value_check(col, malformed)


def _value_check(col: Column, malformed: Callable[[str, str | None], bool]) -> Check:
    tail = " is not an allowed code" if col.kind is Kind.CODE else f" is not {col.shape or 'well formed'}"

    def check(values: dict[str, str | None], recorded: str | None, _: str) -> Failure:
        value = values.get(col.name)
        if value is None or not malformed(value, recorded):
            return None
        return col.reason.value, f"{col.name} {_shown(value)}{tail}"

    return check


def _malformed(col: Column) -> Callable[[str, str | None], bool] | None:
    """`checks._value_check`: whether a present value is malformed (given the row's normalised time);
    None when any value will do."""
    match col.kind:
        case Kind.TEXT:
            return None
        case Kind.CODE:
            return lambda v, _: v not in col.codes
        case Kind.DATE:
            return lambda v, _: not valid_date(v)
        case Kind.BIRTH_DATE:
            return lambda v, _: not _valid_birth_date(v)
        case Kind.STAY_END:
            return lambda v, _: v != "D/S" and not valid_date(v)
        case Kind.TIMESTAMP:
            return lambda _, recorded: recorded is None
        case Kind.BOOLEAN:
            return lambda v, _: v.lower() not in ("true", "false")
        case Kind.INTEGER:
            return lambda v, _: not re.fullmatch(INTEGER_RE, v)
        case Kind.PATTERN:
            pattern = re.compile(col.pattern)
            return lambda v, _: not pattern.fullmatch(v)
    raise AssertionError(col.kind)


def _times(feed: Feed) -> Iterator[Check]:
    """`checks._time`: recorded in the future, then events before birth, then events after recording."""

    def future(values: dict[str, str | None], recorded: str | None, now: str) -> Failure:
        if recorded is None or recorded <= now:
            return None
        shown = _shown(values["recorded_at"] or "")
        return Reason.RECORDED_IN_FUTURE.value, f"recorded_at {shown} is later than now ({now})"

    yield future
    events = [c.name for c in feed.columns if c.event_date]
    yield from (_before_birth(name) for name in events)
    yield from (_after_recorded(name) for name in events)


def _before_birth(name: str) -> Check:
    def check(values: dict[str, str | None], *_: str | None) -> Failure:
        event, born = values.get(name), values.get("date_of_birth")
        if event is None or born is None or not event < birth_lower_bound(born):
            return None
        return Reason.EVENT_BEFORE_BIRTH.value, f"{name} {event} is before date_of_birth {born}"

    return check


def _after_recorded(name: str) -> Check:
    def check(values: dict[str, str | None], *_: str | None) -> Failure:
        event, recorded = values.get(name), values.get("recorded_at")
        if event is None or recorded is None or not event > recorded[:10]:
            return None
        return Reason.EVENT_AFTER_RECORDED.value, f"{name} {event} is later than recorded_at {recorded}"

    return check


def _row_rule(rule: RowRule) -> Check:
    match rule:
        case DateOrder(earlier, later, reason):

            def order(values: dict[str, str | None], *_: str | None) -> Failure:
                first, then = values.get(earlier), values.get(later)
                if first is None or then is None or then == "D/S" or not then < first:
                    return None
                return reason.value, f"{later} {then} is before {earlier} {first}"

            return order
        case MaxStay(classes, since, until, days, reason):

            def stay(values: dict[str, str | None], *_: str | None) -> Failure:
                kind, start, end = values.get("class_of_admission"), values.get(since), values.get(until)
                if kind not in classes or end is None or end == "D/S" or start is None:
                    return None
                span = (_date(end) - _date(start)).days
                if span <= days:
                    return None
                return (
                    reason.value,
                    f"admission of class {kind} runs {span} days after {since}; at most {days} allowed",
                )

            return stay
        case LiteralOnlyFor(column, literal, class_column, allowed, reason):

            def only_for(values: dict[str, str | None], *_: str | None) -> Failure:
                kind = values.get(class_column)
                if values.get(column) != literal or kind is None or kind in allowed:
                    return None
                return reason.value, f"{column} {literal} is not allowed for class {kind}"

            return only_for
    raise AssertionError(rule)


def _date(value: str) -> datetime:
    """A date the value checks have passed (DuckDB's `try_cast(.. AS DATE)` of it)."""
    if not valid_date(value):
        raise DeclinedError("a row rule over a value that is not a date")
    return datetime(int(value[:4]), int(value[5:7]), int(value[8:10]))
