"""Small helpers the per-person evaluator shares: days from text and SQL's NULL-skipping `least`,
`greatest` and arg-min/max, so each rule reads like the statement it mirrors."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, TypeVar

T = TypeVar("T")
Row = dict[str, Any]


def day(text: str | None) -> date | None:
    """A `YYYY-MM-DD` text as a date; None when empty or not a date (SQL's `TRY_CAST(nullif(x, ''))`)."""
    if not text or len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def blank(text: str | None) -> str | None:
    """None for an empty text (SQL's `nullif(x, '')`)."""
    return text or None


def least(*values: Any) -> Any:
    """The smallest value that is not None (None when all are)."""
    present = [v for v in values if v is not None]
    return min(present) if present else None


def greatest(*values: Any) -> Any:
    """The largest value that is not None (None when all are)."""
    present = [v for v in values if v is not None]
    return max(present) if present else None


def arg_min(rows: Iterable[T], arg: Callable[[T], Any], key: Callable[[T], Any]) -> Any:
    """`arg` of the row with the smallest `key`, the smallest `arg` among equals; rows whose `arg` or
    `key` is None left out (SQL's `arg_min(arg, (key, arg))`)."""
    pairs = [(k, v) for row in rows if (v := arg(row)) is not None and (k := key(row)) is not None]
    return min(pairs)[1] if pairs else None


def arg_max(rows: Iterable[T], arg: Callable[[T], Any], key: Callable[[T], Any]) -> Any:
    """`arg` of the row with the largest `key`, the largest `arg` among equals (as `arg_min`)."""
    pairs = [(k, v) for row in rows if (v := arg(row)) is not None and (k := key(row)) is not None]
    return max(pairs)[1] if pairs else None


def joined(values: Iterable[str | None]) -> str | None:
    """Values that are not None, sorted and joined by `;` (None when there are none): SQL's
    `string_agg(x, ';' ORDER BY x)`."""
    present = sorted(v for v in values if v is not None)
    return ";".join(present) if present else None


def group(rows: Iterable[T], key: Callable[[T], Any]) -> dict[Any, list[T]]:
    """Rows by `key`, in the order they come."""
    out: dict[Any, list[T]] = {}
    for row in rows:
        out.setdefault(key(row), []).append(row)
    return out


def on_or_after(rows: Iterable[Row], events: Iterable[str], since: date | None) -> list[Row]:
    """The rows of `events` (a receipt's, a case's) dated on or after `since` (none when it is None)."""
    wanted = set(events)
    return [] if since is None else [r for r in rows if r["event"] in wanted and r["day"] >= since]


def earliest(rows: list[Row]) -> tuple[date | None, str | None]:
    """The first day of the rows and its record's uid (the smallest of that day)."""
    return least(*(r["day"] for r in rows)), arg_min(rows, lambda r: r["uid"], lambda r: r["day"])


def first_day(rows: Iterable[Row], events: Iterable[str], since: date | None) -> date | None:
    """The first day of `events` among the rows on or after `since`."""
    days: list[date] = [r["day"] for r in on_or_after(rows, events, since)]
    return min(days) if days else None
