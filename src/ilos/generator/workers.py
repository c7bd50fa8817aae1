"""Temporary workers (H1B, L1, O1, E2, TN, H2A, H2B) and diplomats (A, G)."""

from __future__ import annotations

from datetime import date, timedelta

from . import filings
from .context import Context
from .reference import DEPENDENT_CLASS, DIPLOMAT_CLASSES, WORKER_CLASSES
from .travel import admit, depart, entry_for
from .world import Admission, Person

SEASONAL = frozenset({"H2A", "H2B"})
#: Overstay (in-country, late departure) at the end of a stay without a filing.
OVERSTAY = {"seasonal": (0.01, 0.006), "long": (0.005, 0.006)}
EOS_TIMELY, EOS_LATE = 0.7, 0.015
WORKER_LATE = 0.25  # share of denied workers who leave after the decision day
AOS_RATE = 0.12
Group = list[Person]


def _class(ctx: Context, citizenship: str) -> tuple[str, int]:
    """Worker class and the length of its admission."""
    if citizenship in ("CAN", "MEX") and ctx.chance(0.6):
        return "TN", 3 * 365
    names = [c for c, _, _ in WORKER_CLASSES]
    weights = [w for _, w, _ in WORKER_CLASSES]
    klass = ctx.rng.choices(names, weights=weights)[0]
    return klass, next(days for c, _, days in WORKER_CLASSES if c == klass)


def _admit_all(ctx: Context, group: Group, klass: str, day: date, until: date, trip: int) -> list[Admission]:
    entry = entry_for(ctx, group[0].citizenship, 0.3)
    dep = DEPENDENT_CLASS.get(klass, klass)
    return [admit(ctx, p, klass if i == 0 else dep, entry, day, until, trip) for i, p in enumerate(group)]


def _leave_all(ctx: Context, group: Group, adms: list[Admission], day: date | None) -> None:
    for person, adm in zip(group, adms, strict=True):
        ctx.stay(person.idx, adm.admitted_on, day if day is not None and day <= ctx.end else None)
        if day is not None and day <= ctx.end:
            depart(ctx, adm, day)


def worker_story(ctx: Context, worker: Person, dependents: list[Person]) -> None:
    """Seasonal or long-term employment with trips home and filings."""
    klass, days = _class(ctx, worker.citizenship)
    group = [worker, *dependents]
    if klass in SEASONAL:
        _seasons(ctx, group, klass, days)
    else:
        _long_term(ctx, group, klass, days)


def _seasons(ctx: Context, group: Group, klass: str, days: int) -> None:
    """One or more seasons, each a separate admission."""
    day = ctx.between(ctx.start, ctx.end)
    trip = 0
    while day <= ctx.end:
        until = day + timedelta(days=days)
        adms = _admit_all(ctx, group, klass, day, until, trip)
        leave = _end_of_stay(ctx, adms[0], OVERSTAY["seasonal"])
        _leave_all(ctx, group, adms, leave)
        if leave is None or leave > ctx.end or not ctx.chance(0.6):
            return
        trip += 1
        day = leave + timedelta(days=ctx.rng.randint(40, 120))


def _end_of_stay(ctx: Context, adm: Admission, rates: tuple[float, float]) -> date | None:
    """Departure at the end of a stay with no filing (None: stays on)."""
    until = adm.admit_until
    assert until is not None
    roll = ctx.rng.random()
    if roll < rates[0]:
        ctx.overstay(adm)
        return None
    if roll < rates[0] + rates[1]:
        return until + timedelta(days=1 + int(ctx.rng.expovariate(1 / 40.0)))
    return until - timedelta(days=ctx.rng.randint(0, 25))


def _long_term(ctx: Context, group: Group, klass: str, days: int) -> None:
    """Employment with yearly trips home, extensions and sometimes adjustment."""
    day = ctx.between(ctx.start, ctx.end)
    until = day + timedelta(days=days)
    trip = 0
    adms = _admit_all(ctx, group, klass, day, until, trip)
    aos_day = day + timedelta(days=ctx.rng.randint(300, 1100)) if ctx.chance(AOS_RATE) else None
    cursor = day
    while True:
        home = _trip_home(ctx, max(cursor, adms[0].admitted_on), until, aos_day)
        if home is not None:
            _leave_all(ctx, group, adms, home[0])
            trip += 1
            adms = _admit_all(ctx, group, klass, home[1], until, trip)
            continue
        if aos_day is not None and aos_day <= ctx.end and aos_day < until - timedelta(days=30):
            filed = max(aos_day, adms[0].admitted_on + timedelta(days=1))
            _leave_all(ctx, group, adms, _adjust(ctx, adms, filed))
            return
        if until - timedelta(days=180) > ctx.end:
            _leave_all(ctx, group, adms, None)
            return
        outcome, leave, new_until, cursor = _extension(ctx, adms, until, days)
        if outcome != "APPROVED":
            _leave_all(ctx, group, adms, leave)
            return
        until = new_until


def _trip_home(ctx: Context, since: date, until: date, aos_day: date | None) -> tuple[date, date] | None:
    """A visit home (leave, return) before the stay's end, or None."""
    earliest = since + timedelta(days=120)
    latest = min(until - timedelta(days=200), aos_day or date.max, ctx.end)
    if earliest > latest or not ctx.chance(0.55):
        return None
    leave = ctx.between(earliest, latest)
    back = leave + timedelta(days=ctx.rng.randint(7, 30))
    return (leave, back) if back <= ctx.end else None


def _extension(
    ctx: Context, adms: list[Admission], until: date, days: int
) -> tuple[str | None, date | None, date, date]:
    """Extension near the end of a stay: (outcome, departure day, new until, decision day)."""
    roll = ctx.rng.random()
    new_until = until + timedelta(days=days)
    if roll < EOS_TIMELY:
        filed = max(until - timedelta(days=ctx.rng.randint(20, 180)), adms[0].admitted_on)
        table: tuple[tuple[str, float], ...] = (("APPROVED", 0.85), ("DENIED", 0.1), ("WITHDRAWN", 0.05))
    elif roll < EOS_TIMELY + EOS_LATE:
        filed = until + timedelta(days=ctx.rng.randint(5, 60))
        table = (("DENIED", 0.75),)
    else:
        return None, _end_of_stay(ctx, adms[0], OVERSTAY["long"]), until, until
    decided = filed + timedelta(days=ctx.rng.randint(30, 240))
    outcome = filings.pick_outcome(ctx, table)
    for adm in adms:
        filings.filing(
            ctx,
            adm.person,
            "EXTENSION_OF_STAY",
            filed,
            decided,
            outcome,
            adm=adm,
            valid=(until + timedelta(days=1), new_until),
        )
    if outcome == "APPROVED":
        return outcome, None, new_until, decided
    if outcome is None or decided > ctx.end:
        return outcome, None, until, decided
    leave = filings.after_denial(ctx, decided, WORKER_LATE) if outcome == "DENIED" else decided
    return outcome, leave, until, decided


def _adjust(ctx: Context, adms: list[Admission], filed: date) -> date | None:
    """Adjustment of status for the worker and family; departure day only after a denial."""
    decided = filed + timedelta(days=ctx.rng.randint(240, 800))
    outcome = filings.pick_outcome(ctx, (("APPROVED", 0.7), ("DENIED", 0.08)))
    for adm in adms:
        filings.filing(ctx, adm.person, "ADJUSTMENT_OF_STATUS", filed, decided, outcome, adm=adm)
    if outcome == "DENIED" and decided <= ctx.end:
        return filings.after_denial(ctx, decided, WORKER_LATE)
    return None


def diplomat_story(ctx: Context, person: Person, dependents: list[Person]) -> None:
    """A posting of two or three years with trips home; always leaves in time."""
    klass = ctx.rng.choice(DIPLOMAT_CLASSES)
    group = [person, *dependents]
    day = ctx.between(ctx.start, ctx.end)
    until = day + timedelta(days=ctx.rng.choice((730, 1095)))
    trip = 0
    adms = _admit_all(ctx, group, klass, day, until, trip)
    while (home := _trip_home(ctx, adms[0].admitted_on, until, None)) is not None:
        _leave_all(ctx, group, adms, home[0])
        trip += 1
        adms = _admit_all(ctx, group, klass, home[1], until, trip)
    _leave_all(ctx, group, adms, until - timedelta(days=ctx.rng.randint(0, 60)))
