"""Removal proceedings and orders (court_events) and removals carried out."""

from __future__ import annotations

from datetime import date, timedelta

from .context import Context
from .federal_calendar import next_business_day
from .population import ensure_a_number
from .travel import depart, removal, stand_in
from .world import Admission, CourtEvent, Person

OUTCOMES = (
    ("REMOVAL_ORDERED", 0.28),
    ("IN_ABSENTIA_ORDER", 0.17),
    ("VOLUNTARY_DEPARTURE_GRANTED", 0.12),
    ("RELIEF_GRANTED", 0.14),
    ("TERMINATED", 0.08),
)
_DAY = timedelta(days=1)


def _days(ctx: Context, lo: int, hi: int) -> timedelta:
    return timedelta(days=ctx.rng.randint(lo, hi))


class Case:
    """One court case of one person."""

    def __init__(self, ctx: Context, person: Person, adm: Admission | None) -> None:
        self.ctx = ctx
        self.person = person
        self.adm = adm
        self.number = ctx.ids.digits("", 9)
        self.country = person.citizenship
        ensure_a_number(ctx, person)

    def add(self, name: str, day: date, deadline: date | None = None, country: bool = False) -> date | None:
        """Add an event (on a business day) if it happens within the window and is recorded by its end."""
        ctx = self.ctx
        day = next_business_day(day)
        if name == "HEARING_SCHEDULED" and deadline is not None:
            deadline = next_business_day(deadline)
        if day > ctx.end:
            return None
        when = ctx.when(day, "court")
        if when is not None:
            ctx.world.court_events.append(
                CourtEvent(
                    person=self.person.idx,
                    system="EOIR",
                    key=ctx.ids.alnum("EO", 12),
                    recorded=when,
                    case=self.number,
                    event=name,
                    day=day,
                    deadline=deadline,
                    country=self.country if country else "",
                )
            )
        return day

    def leave(self, day: date) -> date | None:
        """The person leaves on their own (voluntary departure) on ``day``."""
        if day > self.ctx.end:
            return None
        depart(self.ctx, self.adm or stand_in(self.ctx, self.person, day), day)
        return day

    def remove(self, day: date) -> date | None:
        """Carry out a removal on ``day`` if within the window."""
        if day > self.ctx.end:
            return None
        removal(self.ctx, self.person, day, self.adm)
        return day


def summary_order(ctx: Context, person: Person, kind: str, day: date, adm: Admission | None) -> date | None:
    """Expedited, reinstated or administrative removal order, usually carried out quickly."""
    case = Case(ctx, person, adm)
    ordered = case.add(kind, day, country=True)
    if ordered is not None and ctx.chance(0.9):
        return case.remove(ordered + _days(ctx, 2, 40))
    return None


def proceedings(ctx: Context, person: Person, opened: date, adm: Admission | None) -> date | None:
    """Removal proceedings from a notice to appear; returns the day the person left, if any."""
    case = Case(ctx, person, adm)
    day = opened + _days(ctx, 1, 60)
    if not case.add("NTA_FILED", day):
        return None
    for _ in range(ctx.rng.randint(1, 3)):
        hearing = day + _days(ctx, 30, 300)
        if not case.add("HEARING_SCHEDULED", day + _days(ctx, 0, 10), deadline=hearing):
            return None
        day = hearing
    roll = ctx.rng.random()
    for name, prob in OUTCOMES:
        if roll < prob:
            return _decide(case, name, day)
        roll -= prob
    return None  # continued beyond the window


def _decide(case: Case, name: str, day: date) -> date | None:
    if name == "REMOVAL_ORDERED":
        return _removal_order(case, day)
    if name == "IN_ABSENTIA_ORDER":
        return _in_absentia(case, day)
    if name == "VOLUNTARY_DEPARTURE_GRANTED":
        return _voluntary_departure(case, day)
    case.add(name, day)
    return None


def appeal_deadline(order_day: date) -> date:
    """Last day to appeal: 30 days, moved to the next business day."""
    return next_business_day(order_day + timedelta(days=30))


def _removal_order(case: Case, when: date) -> date | None:
    ctx = case.ctx
    day = case.add("REMOVAL_ORDERED", when, country=True)
    if day is None:
        return None
    roll = ctx.rng.random()
    final = appeal_deadline(day) + _DAY
    if roll < 0.25:
        case.add("APPEAL_WAIVED", day)
        final = day
    elif roll < 0.65:
        filed = day + _days(ctx, 3, 29)
        case.add("APPEAL_FILED", filed)
        decided = filed + _days(ctx, 90, 400)
        verdict = ctx.rng.choices(("APPEAL_DISMISSED", "APPEAL_SUSTAINED", ""), weights=(65, 20, 15))[0]
        if not verdict or not case.add(verdict, decided):
            return None
        if verdict == "APPEAL_SUSTAINED":
            return None
        final = decided
    return _after_final(case, final)


def _after_final(case: Case, final: date) -> date | None:
    """Stays, motions and the removal after a final order."""
    ctx = case.ctx
    start = final + _days(ctx, 10, 120)
    if ctx.chance(0.12):
        case.add("STAY_GRANTED", start)
        lifted = start + _days(ctx, 30, 240)
        if not ctx.chance(0.6) or not case.add("STAY_LIFTED", lifted):
            return None
        start = lifted + _days(ctx, 1, 30)
    elif ctx.chance(0.05):
        filed = start
        case.add("MOTION_TO_REOPEN_FILED", filed)
        case.add("MOTION_TO_REOPEN_DECIDED", filed + _days(ctx, 30, 200))
        return None
    if ctx.chance(0.45):
        return case.remove(start + _days(ctx, 10, 300))
    return None


def _in_absentia(case: Case, day: date) -> date | None:
    ctx = case.ctx
    if not case.add("IN_ABSENTIA_ORDER", day, country=True):
        return None
    if ctx.chance(0.25):
        filed = day + _days(ctx, 10, 180)
        case.add("MOTION_TO_REOPEN_FILED", filed)
        if ctx.chance(0.7):
            case.add("MOTION_TO_REOPEN_DECIDED", filed + _days(ctx, 30, 200))
        return None
    if ctx.chance(0.2):
        return case.remove(day + _days(ctx, 60, 700))
    return None


def _voluntary_departure(case: Case, day: date) -> date | None:
    """Half the grants come before the end of proceedings (appeal waived, up to 120 days), half at the end
    (up to 60 days, a bond to post within 5 business days); now and then a motion to reopen cuts one short."""
    ctx = case.ctx
    before_end = ctx.chance(0.5)
    deadline = day + timedelta(days=ctx.rng.choice((60, 90, 120) if before_end else (30, 45, 60)))
    if not case.add("VOLUNTARY_DEPARTURE_GRANTED", day, deadline=deadline, country=True):
        return None
    if before_end:
        case.add("APPEAL_WAIVED", day)
    if ctx.chance(0.6):
        case.add("VD_BOND_POSTED", day + _days(ctx, 1, 5))
    if ctx.chance(0.05):
        case.add("MOTION_TO_REOPEN_FILED", day + _days(ctx, 7, 30))
        return None
    if ctx.chance(0.7):
        return case.leave(ctx.between(day + timedelta(days=7), deadline))
    return None
