"""Visitors for business or pleasure (B1/B2, visa waiver), alone or travelling together."""

from __future__ import annotations

import math
from datetime import date, timedelta

from . import enforcement, filings
from .context import Context
from .reference import COUNTRY_BY_CODE
from .travel import Entry, admit, consular, depart, entry_for
from .world import Admission, Person

#: Per-admission overstay probability by report group (tuned to the DHS figures).
OVERSTAY = {"VWP": 0.0022, "B1B2": 0.022, "CAN": 0.004, "MEX": 0.0085}
OUT_OF_COUNTRY = 0.10
#: Traveller kinds: (share, trips per year, business share).
KINDS = {"occasional": (0.55, 0.35, 0.1), "regular": (0.30, 1.2, 0.3), "frequent": (0.15, 6.0, 0.8)}
CROSSER_SHARE = 0.3  # of Canadians and Mexicans
FILING_RATE = {"B": 0.005, "W": 0.0006}
REFUSAL_RATE = 0.002


def visitor_class(ctx: Context, citizenship: str, day: date, business: bool) -> str:
    """WB/WT for visa-waiver countries at that date, else B1/B2."""
    since = COUNTRY_BY_CODE[citizenship].vwp_since
    if since is not None and day >= since:
        return "WB" if business else "WT"
    return "B1" if business else "B2"


def admit_until(klass: str, day: date) -> date:
    """Visa waiver: 90 days counting the day of entry; B: six months."""
    if klass in ("WB", "WT"):
        return day + timedelta(days=89)
    month = day.month + 6
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for dd in (day.day, 30, 29, 28):
        try:
            return date(year, month, dd) - timedelta(days=1)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def group_of(klass: str, citizenship: str) -> str:
    """Report group used for the overstay probability."""
    if citizenship in ("CAN", "MEX"):
        return citizenship
    return "VWP" if klass in ("WB", "WT") else "B1B2"


def stay_days(ctx: Context, klass: str, business: bool) -> int:
    """Length of a normal stay."""
    median = 5.0 if business else (9.0 if klass in ("WB", "WT") else 14.0)
    return max(1, int(ctx.rng.lognormvariate(math.log(median), 0.7)))


def _kind(ctx: Context, citizenship: str) -> tuple[float, float]:
    """Trips per year and business share of a traveller."""
    if citizenship in ("CAN", "MEX") and ctx.chance(CROSSER_SHARE):
        return 15.0, 0.3
    roll = ctx.rng.random()
    for share, rate, business in KINDS.values():
        if roll < share:
            return rate, business
        roll -= share
    return KINDS["occasional"][1:]


def trip_days(ctx: Context, rate: float) -> list[date]:
    """Trip starts: an anchor day plus a Poisson process over the window (stationary traffic)."""
    span = (ctx.end - ctx.start).days
    days = {ctx.rng.randint(0, span)}
    t = ctx.rng.expovariate(rate / 365.0)
    while t <= span:
        days.add(int(t))
        t += ctx.rng.expovariate(rate / 365.0)
    return [ctx.start + timedelta(days=d) for d in sorted(days)]


def visitor_story(ctx: Context, members: list[Person]) -> None:
    """Trips of a travelling group until someone stays or the window ends."""
    lead = members[0]
    rate, business_share = _kind(ctx, lead.citizenship)
    land = 0.75 if rate > 10 else 0.35
    earliest = ctx.start
    trip = 0
    for day in trip_days(ctx, rate):
        if day < earliest:
            continue
        if len(members) == 1 and ctx.chance(REFUSAL_RATE):
            enforcement.refused_at_port(ctx, lead, day)
            earliest = day + timedelta(days=60)
            continue
        business = len(members) == 1 and ctx.chance(business_share)
        entry = entry_for(ctx, lead.citizenship, land)
        left = _one_trip(ctx, members, entry, day, trip, business)
        if left is None:
            return
        trip += 1
        earliest = left + timedelta(days=2)


def _one_trip(
    ctx: Context, members: list[Person], entry: Entry, day: date, trip: int, business: bool
) -> date | None:
    """One trip of the group; returns the departure day, or None if they stay."""
    klass = visitor_class(ctx, members[0].citizenship, day, business)
    until = admit_until(klass, day)
    adms = [admit(ctx, p, klass, entry, day, until, trip) for p in members]
    leave = _fate(ctx, adms, members[0].citizenship, business)
    for person, adm in zip(members, adms, strict=True):
        _leave(ctx, person, adm, leave)
    return leave if leave is not None and leave <= ctx.end else None


def _fate(ctx: Context, adms: list[Admission], citizenship: str, business: bool) -> date | None:
    """The departure day of a trip (None: stays on)."""
    adm = adms[0]
    until = adm.admit_until
    assert until is not None
    if len(adms) == 1 and ctx.chance(FILING_RATE[adm.klass[0]]):
        return filings.visitor_filing(ctx, adm)
    p_over = OVERSTAY[group_of(adm.klass, citizenship)] * (0.3 if business else 1.0)
    if adm.mode == "LAND":
        p_over *= 1.5
    if ctx.chance(p_over):
        if ctx.chance(OUT_OF_COUNTRY):
            return until + timedelta(days=1 + int(ctx.rng.expovariate(1 / 45.0)))
        for each in adms:
            ctx.overstay(each)
        return None
    return min(adm.admitted_on + timedelta(days=stay_days(ctx, adm.klass, business)), until)


def _leave(ctx: Context, person: Person, adm: Admission, leave: date | None) -> None:
    """Record the departure (if any) and the stay; late leavers may be verified abroad."""
    ctx.stay(person.idx, adm.admitted_on, leave if leave is not None and leave <= ctx.end else None)
    if leave is None or leave > ctx.end:
        return
    assert adm.admit_until is not None
    if leave > adm.admit_until and ctx.chance(0.25):
        consular(ctx, adm, leave)  # overstayed, left unrecorded, verified at a consulate
        return
    depart(ctx, adm, leave)
