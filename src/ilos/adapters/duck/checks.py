"""Compile a feed's rules (ilos.domain.feeds) into one DuckDB SQL expression per row.

The result is a `CASE` that yields the first failing reason and a human sentence, in the order
of `ilos.domain.reasons.Reason`; NULL when the row passes every rule. All columns arrive as
VARCHAR with empty strings already turned into NULL.
"""

from __future__ import annotations

from collections.abc import Iterator

from ilos.domain.feeds import Column, DateOrder, Feed, Kind, LiteralOnlyFor, MaxStay, RowRule
from ilos.domain.reasons import Reason

DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
BIRTH_DATE_RE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
#: hours 00-23, minutes and seconds 00-59, an offset of at most 23:59; the date is checked as a date
TIMESTAMP_RE = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)$"
)
INTEGER_RE = r"^[+-]?[0-9]+$"


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a string literal."""
    return "'" + value.replace("'", "''") + "'"


def shown(col: str) -> str:
    """SQL for a column's value as it appears in a message (quoted, cut to 40 characters)."""
    return f"'\"' || left({q(col)}, 40) || '\"'"


def valid_date_sql(expr: str) -> str:
    """TRUE when `expr` is a real calendar date written YYYY-MM-DD."""
    return f"(regexp_full_match({expr}, '{DATE_RE}') AND try_strptime({expr}, '%Y-%m-%d') IS NOT NULL)"


def _valid_birth_date(expr: str) -> str:
    padded = f"({expr} || substr('-01-01', length({expr}) - 3))"
    return (
        f"(regexp_full_match({expr}, '{BIRTH_DATE_RE}') AND try_strptime({padded}, '%Y-%m-%d') IS NOT NULL)"
    )


def birth_lower_bound_sql(expr: str) -> str:
    """The earliest day a (possibly partial) birth date can stand for, as YYYY-MM-DD text."""
    return f"({expr} || substr('-01-01', length({expr}) - 3))"


TIMESTAMP_FORMATS = ", ".join(
    f"'%Y-%m-%d{sep}%H:%M{sec}%z'" for sep in ("T", " ") for sec in (":%S", ":%S.%f", "")
)


def utc_timestamp_sql(expr: str) -> str:
    """Normalise an ISO 8601 timestamp with offset to UTC text `YYYY-MM-DDTHH:MM:SS.ffffffZ`, else NULL.

    Needs the connection's TimeZone set to UTC (see staging.connect).
    """
    micro = f"regexp_replace({expr}, '(\\.[0-9]{{6}})[0-9]+', '\\1')"  # %f reads at most 6 digits
    zulu = f"(CASE WHEN suffix({micro}, 'Z') THEN left({micro}, -1) || '+00:00' ELSE {micro} END)"
    parsed = f"try_strptime({zulu}, [{TIMESTAMP_FORMATS}])::TIMESTAMP"
    return (
        f"(CASE WHEN regexp_full_match({expr}, '{TIMESTAMP_RE}') AND {valid_date_sql(f'left({expr}, 10)')} "
        f"THEN strftime({parsed}, '%Y-%m-%dT%H:%M:%S.%fZ') END)"
    )


def _value_check(col: Column) -> str | None:
    """SQL that is TRUE when a present value of `col` is malformed; None when any value will do."""
    c = q(col.name)
    match col.kind:
        case Kind.TEXT:
            return None
        case Kind.CODE:
            return f"{c} NOT IN ({', '.join(lit(v) for v in sorted(col.codes))})"
        case Kind.DATE:
            return f"NOT {valid_date_sql(c)}"
        case Kind.BIRTH_DATE:
            return f"NOT {_valid_birth_date(c)}"
        case Kind.STAY_END:
            return f"{c} <> 'D/S' AND NOT {valid_date_sql(c)}"
        case Kind.TIMESTAMP:  # normalised once per row as _recorded_utc (the only timestamp column)
            return "_recorded_utc IS NULL"
        case Kind.BOOLEAN:
            return f"lower({c}) NOT IN ('true', 'false')"
        case Kind.INTEGER:
            return f"NOT regexp_full_match({c}, '{INTEGER_RE}')"
        case Kind.PATTERN:
            return f"NOT regexp_full_match({c}, {lit(col.pattern)})"
    raise AssertionError(col.kind)


def _malformed_message(col: Column) -> str:
    if col.kind is Kind.CODE:
        return f"{lit(col.name + ' ')} || {shown(col.name)} || ' is not an allowed code'"
    return f"{lit(col.name + ' ')} || {shown(col.name)} || {lit(' is not ' + (col.shape or 'well formed'))}"


def _when(condition: str, reason: Reason, message: str) -> str:
    return f"WHEN {condition} THEN {{'reason': '{reason.value}', 'message': {message}}}"


#: Characters that leave a value blank: ASCII white space, no-break and other Unicode spaces, line and
#: paragraph separators, the zero-width space and the byte-order mark.
BLANK_CODEPOINTS = (
    9,
    10,
    11,
    12,
    13,
    32,
    133,
    160,
    5760,
    *range(8192, 8204),
    8232,
    8233,
    8239,
    8287,
    12288,
    65279,
)
_BLANK_CLASS = "[" + "".join(f"\\x{{{cp:04X}}}" for cp in BLANK_CODEPOINTS) + "]"
_BLANK_FIRST = ", ".join(f"chr({cp})" for cp in BLANK_CODEPOINTS)


def _required(feed: Feed) -> Iterator[str]:
    for col in feed.columns:
        if col.required:
            c = q(col.name)  # empty strings are NULL already; match only what starts with a blank
            cond = f"{c} IS NULL OR (left({c}, 1) IN ({_BLANK_FIRST}) AND regexp_full_match({c}, '{_BLANK_CLASS}+'))"
            yield _when(cond, Reason.MISSING_REQUIRED, lit(f"required column {col.name} is empty"))


def _values(feed: Feed, reason: Reason) -> Iterator[str]:
    for col in feed.columns:
        check = _value_check(col)
        if check is not None and col.reason is reason:
            yield _when(f"{q(col.name)} IS NOT NULL AND ({check})", reason, _malformed_message(col))


def _time(feed: Feed, now_utc: str) -> Iterator[str]:
    yield _when(
        f"_recorded_utc > {lit(now_utc)}",
        Reason.RECORDED_IN_FUTURE,
        f"'recorded_at ' || {shown('recorded_at')} || ' is later than now ({now_utc})'",
    )
    events = [c.name for c in feed.columns if c.event_date]
    for name in events:
        dob = birth_lower_bound_sql(q("date_of_birth"))
        yield _when(
            f"{q(name)} IS NOT NULL AND date_of_birth IS NOT NULL AND {q(name)} < {dob}",
            Reason.EVENT_BEFORE_BIRTH,
            f"{lit(name + ' ')} || {q(name)} || ' is before date_of_birth ' || date_of_birth",
        )
    for name in events:
        yield _when(
            f"{q(name)} > left(recorded_at, 10)",
            Reason.EVENT_AFTER_RECORDED,
            f"{lit(name + ' ')} || {q(name)} || ' is later than recorded_at ' || recorded_at",
        )


def _row_rule(rule: RowRule) -> str:
    match rule:
        case DateOrder(earlier, later, reason):
            cond = f"{q(later)} <> 'D/S' AND {q(later)} < {q(earlier)}"
            msg = f"{lit(later + ' ')} || {q(later)} || {lit(' is before ' + earlier + ' ')} || {q(earlier)}"
        case MaxStay(classes, since, until, days, reason):
            in_classes = f"{q('class_of_admission')} IN ({', '.join(lit(c) for c in sorted(classes))})"
            span = f"date_diff('day', try_cast({q(since)} AS DATE), try_cast({q(until)} AS DATE))"
            cond = f"{in_classes} AND {q(until)} <> 'D/S' AND {span} > {days}"
            msg = f"'admission of class ' || class_of_admission || ' runs ' || {span} || {lit(f' days after {since}; at most {days} allowed')}"
        case LiteralOnlyFor(column, literal, class_column, classes, reason):
            allowed = ", ".join(lit(c) for c in sorted(classes))
            cond = f"{q(column)} = {lit(literal)} AND {q(class_column)} NOT IN ({allowed})"
            msg = f"{lit(f'{column} {literal} is not allowed for class ')} || {q(class_column)}"
    return _when(cond, reason, msg)


def failure_sql(feed: Feed, now_utc: str) -> str:
    """A DuckDB expression: STRUCT(reason, message) of the first rule the row breaks, else NULL.

    Expects the row's columns by name plus `_recorded_utc` (see `utc_timestamp_sql`).
    """
    branches = [
        *_required(feed),
        *_values(feed, Reason.INVALID_CODE),
        *_values(feed, Reason.INVALID_DATE),
        *_values(feed, Reason.INVALID_TIMESTAMP),
        *_values(feed, Reason.INVALID_FORMAT),
        *_time(feed, now_utc),
        *(_row_rule(r) for r in feed.rules),
    ]
    return "CASE\n  " + "\n  ".join(branches) + "\nEND"
