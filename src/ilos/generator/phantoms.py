"""Records issued in error and retracted later (a later version with ``retracted`` = true)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

from .context import Context
from .world import (
    Admission,
    CourtEvent,
    CriminalEvent,
    Departure,
    Encounter,
    Record,
    Relationship,
    StatusEvent,
)

RATE = 0.0015
MIN_RECORDS = 200
R = TypeVar("R", bound=Record)
D = TypeVar("D", StatusEvent, CourtEvent, CriminalEvent)


def _retract_after(ctx: Context, rec: Record) -> bool:
    """Set a retraction time 1-30 days after the record; False if that is after the window."""
    when = rec.recorded + timedelta(days=ctx.rng.randint(1, 30), seconds=ctx.rng.randint(0, 9999))
    if when > ctx.end_eod:
        return False
    rec.retracted = when
    return True


def _clone(ctx: Context, rec: R) -> R | None:
    """A copy under new identifiers, recorded shortly after the original, then retracted."""
    twin = copy.copy(rec)
    twin.key = ctx.ids.alnum(rec.key[:2], len(rec.key) - 2)
    twin.recorded = rec.recorded + timedelta(minutes=ctx.rng.randint(1, 90))
    if isinstance(twin, Admission):
        twin.number = ctx.ids.admission_number()
    elif isinstance(twin, Encounter):
        twin.encounter_id = ctx.ids.digits("E", 10)
    elif isinstance(twin, Relationship):
        twin.relationship_id = ctx.ids.digits("R", 10)
    return twin if twin.recorded <= ctx.end_eod and _retract_after(ctx, twin) else None


def _departure(ctx: Context) -> Departure | None:
    """A manifest for an overstayer who never boarded."""
    if not ctx.overstayers:
        return None
    person, adm, since = ctx.rng.choice(ctx.overstayers)
    if since + timedelta(days=10) > ctx.end:
        return None
    day = ctx.between(since + timedelta(days=5), ctx.end)
    when = ctx.when(day, "encounter")
    if when is None:
        return None
    rec = Departure(
        person=person,
        system="APIS",
        key=ctx.ids.alnum("AP", 12),
        recorded=when,
        day=day,
        mode="AIR",
        carrier="UA 9",
        evidence="MANIFEST",
        admission_number=adm.number,
        passport=adm.passport,
    )
    return rec if _retract_after(ctx, rec) else None


def _later(ctx: Context, rec: D, day: date) -> D | None:
    """A copy of ``rec`` dated ``day`` (recorded then), retracted later."""
    when = ctx.when(day, "encounter") if day <= ctx.end else None
    twin = _clone(ctx, rec) if when is not None else None
    if twin is None or when is None:
        return None
    twin.recorded = when
    twin.day = day
    return twin if _retract_after(ctx, twin) else None


def _approval(ctx: Context) -> StatusEvent | None:
    base = ctx.rng.choice(ctx.world.status_events)
    if base.event != "FILED" or base.benefit == "STUDENT_PROGRAM":
        return None
    day = base.day + timedelta(days=ctx.rng.randint(20, 200))
    twin = _later(ctx, base, day)
    if twin is not None:
        twin.event, twin.valid_from, twin.valid_until = "APPROVED", day, day + timedelta(days=365)
    return twin


def _order(ctx: Context) -> CourtEvent | None:
    base = ctx.rng.choice(ctx.world.court_events)
    if base.event != "NTA_FILED":
        return None
    twin = _later(ctx, base, base.day + timedelta(days=ctx.rng.randint(20, 200)))
    if twin is not None:
        twin.event, twin.country = "REMOVAL_ORDERED", ctx.world.persons[twin.person].citizenship
    return twin


def _conviction(ctx: Context) -> CriminalEvent | None:
    base = ctx.rng.choice(ctx.world.criminal)
    if base.stage != "ARREST":
        return None
    twin = _later(ctx, base, base.day + timedelta(days=ctx.rng.randint(20, 200)))
    if twin is not None:
        twin.stage = "CONVICTION"
    return twin


def _fill(bucket: list[R], make: Callable[[], R | None]) -> int:
    """Append about RATE x len(bucket) retracted records made by ``make``."""
    wanted = round(RATE * len(bucket)) if len(bucket) >= MIN_RECORDS else 0
    made: list[R] = []
    for _ in range(wanted * 30):
        if len(made) >= wanted:
            break
        rec = make()
        if rec is not None:
            made.append(rec)
    bucket.extend(made)
    return len(made)


def add(ctx: Context) -> int:
    """Add retracted records to the world; returns how many."""
    w = ctx.world
    return (
        _fill(w.admissions, lambda: _clone(ctx, ctx.rng.choice(w.admissions)))
        + _fill(w.encounters, lambda: _clone(ctx, ctx.rng.choice(w.encounters)))
        + _fill(w.relationships, lambda: _clone(ctx, ctx.rng.choice(w.relationships)))
        + _fill(w.departures, lambda: _departure(ctx))
        + _fill(w.status_events, lambda: _approval(ctx))
        + _fill(w.court_events, lambda: _order(ctx))
        + _fill(w.criminal, lambda: _conviction(ctx))
    )
