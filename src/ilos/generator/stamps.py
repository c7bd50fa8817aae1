"""Rendering of transaction times (``recorded_at``) as ISO 8601 with an offset."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from .reference import PORT_OFFSET

ABROAD_OFFSETS = (60, 120, 180, 330, 480, 540, -300, -360, -180)


def render(instant: datetime, offset_min: int | None, millis: bool = False) -> str:
    """``instant`` (UTC) written in the given offset; ``None`` writes ``Z``."""
    local = instant + timedelta(minutes=offset_min or 0)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += f".{instant.microsecond // 1000:03d}"
    if offset_min is None:
        return text + "Z"
    sign = "+" if offset_min >= 0 else "-"
    hours, minutes = divmod(abs(offset_min), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def local_date(instant: datetime, offset_min: int | None) -> date:
    """Calendar date of the instant in the offset."""
    return (instant + timedelta(minutes=offset_min or 0)).date()


def _offset_for(rng: random.Random, system: str, port: str) -> int | None:
    roll = rng.random()
    if roll < 0.72:
        return None
    if roll < 0.80:
        return 0
    if system == "DOS-CONS":
        return rng.choice(ABROAD_OFFSETS)
    return PORT_OFFSET.get(port, -300) if port else rng.choice((-300, -360, -420, -480))


def stamp(
    rng: random.Random, instant: datetime, event_day: date | None, last_day: date, system: str, port: str = ""
) -> str:
    """A recorded_at whose date is, in the UTC and local reading alike, within [event_day, last_day]."""
    offset = _offset_for(rng, system, port)
    if offset is not None:
        day = local_date(instant, offset)
        if (event_day is not None and day < event_day) or day > last_day:
            offset = None
    return render(instant, offset, millis=rng.random() < 0.05)
