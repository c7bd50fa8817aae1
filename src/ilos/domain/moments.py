"""Parsing the moments people type: --known-at timestamps and --as-of dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def iso_date(text: str) -> date:
    """A calendar date written YYYY-MM-DD, as the contract writes dates (not 20261201 or 2026-W48-1)."""
    if not _DATE.fullmatch(text):
        raise ValueError(f"not a YYYY-MM-DD date: {text!r}")
    return date.fromisoformat(text)


def normalise_known_at(text: str) -> str:
    """An ISO 8601 timestamp (or a date, meaning its last microsecond in UTC) as stored UTC text."""
    try:
        if len(text) == 10:
            moment = datetime.combine(iso_date(text), time.max, UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a date or ISO 8601 timestamp: {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} needs a UTC offset (e.g. Z or +00:00)")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
