"""Persons met by enforcement: border crossers, long-time residents, overstayers."""

from __future__ import annotations

from datetime import date, timedelta

from . import court, filings, humanitarian
from .context import Context
from .population import ensure_a_number
from .reference import BORDER_SECTORS, ICE_OFFICES
from .world import Admission, Encounter, Person

BORDER_OUTCOMES = (
    ("RELEASED_NTA", 0.38),
    ("PAROLED", 0.12),
    ("RELEASED_ATD", 0.12),
    ("DETAINED", 0.16),
    ("EXPEDITED_REMOVAL", 0.22),
)
REENTRY = 0.12
FOLLOW_UP = 0.14  # in-country overstayers met by ICE
LATE_ADJUSTMENT = 0.06  # in-country overstayers who adjust (e.g. marriage to a citizen)


def encounter(ctx: Context, person: Person, day: date, agency: str, kind: str, outcome: str) -> bool:
    """Add an encounter if within the window; returns False when it is not."""
    if day > ctx.end or day < ctx.start:
        return False
    ensure_a_number(ctx, person)
    when = ctx.when(day, "encounter")
    if when is None:
        return True
    system = "ICE-EID" if agency == "ICE" else "CBP-E3"
    office = ctx.rng.choice(BORDER_SECTORS if agency == "CBP_BORDER" else ICE_OFFICES)
    ctx.world.encounters.append(
        Encounter(
            person=person.idx,
            system=system,
            key=ctx.ids.alnum(system[:2], 12),
            recorded=when,
            encounter_id=ctx.ids.digits("E", 10),
            day=day,
            agency=agency,
            encounter_type=kind,
            outcome=outcome,
            field_office=office,
        )
    )
    return True


def _pick(ctx: Context, table: tuple[tuple[str, float], ...]) -> str:
    names = [n for n, _ in table]
    return ctx.rng.choices(names, weights=[w for _, w in table])[0]


def border_story(ctx: Context, members: list[Person]) -> None:
    """Apprehended between ports, then released into proceedings or removed."""
    day = ctx.between(ctx.start, ctx.end - timedelta(days=5))
    outcome = _pick(ctx, BORDER_OUTCOMES)
    for person in members:
        _after_apprehension(ctx, person, day, outcome)


def _after_apprehension(ctx: Context, person: Person, day: date, outcome: str) -> None:
    encounter(ctx, person, day, "CBP_BORDER", "APPREHENSION", outcome)
    if outcome == "EXPEDITED_REMOVAL":
        removed = court.summary_order(ctx, person, "EXPEDITED_REMOVAL_ORDER", day + timedelta(days=1), None)
        ctx.stay(person.idx, day, removed)
        if removed is not None and ctx.chance(REENTRY):
            _reentry(ctx, person, removed)
        return
    living(ctx, person, day, None, proceedings_from=day)


def _reentry(ctx: Context, person: Person, removed: date) -> None:
    """Caught again after a removal: the prior order is reinstated."""
    day = removed + timedelta(days=ctx.rng.randint(20, 400))
    if not encounter(ctx, person, day, "CBP_BORDER", "APPREHENSION", "DETAINED"):
        return
    left = court.summary_order(ctx, person, "REINSTATEMENT_ORDER", day + timedelta(days=2), None)
    ctx.stay(person.idx, day, left)


def living(
    ctx: Context, person: Person, since: date, adm: Admission | None, proceedings_from: date | None
) -> date | None:
    """Life in the United States without status; returns the day the person left, if any."""
    granted = ctx.chance(0.5) and humanitarian.protection(ctx, person, since)
    if ctx.chance(0.02):
        humanitarian.citizenship_claim(ctx, person, since + timedelta(days=ctx.rng.randint(30, 600)))
    if ctx.chance(0.45):
        humanitarian.tps(ctx, person, since)
    left = None
    if proceedings_from is not None and not granted:
        left = court.proceedings(ctx, person, proceedings_from, adm)
        _check_ins(ctx, person, proceedings_from, left)
    if adm is None:
        ctx.stay(person.idx, since, left)
    return left


def _check_ins(ctx: Context, person: Person, since: date, until: date | None) -> None:
    """Periodic ICE check-ins of a released person."""
    day = since
    for _ in range(ctx.rng.randint(0, 4)):
        day += timedelta(days=ctx.rng.randint(60, 240))
        if until is not None and day >= until:
            return
        if not encounter(ctx, person, day, "ICE", "CHECK_IN", "RELEASED_ATD"):
            return


def resident_story(ctx: Context, person: Person) -> None:
    """A long-time resident who entered before the window without inspection."""
    since = ctx.start
    humanitarian.extras(ctx, person, since)
    if ctx.chance(0.35):
        arrest = ctx.between(ctx.start, ctx.end)
        outcome = _pick(ctx, (("DETAINED", 0.4), ("RELEASED_NTA", 0.4), ("RELEASED_ATD", 0.2)))
        if encounter(ctx, person, arrest, "ICE", "INTERIOR_ARREST", outcome):
            living(ctx, person, since, None, proceedings_from=arrest)
            return
    ctx.stay(person.idx, since, None)


def overstayer_follow_up(ctx: Context, person: Person, adm: Admission, since: date) -> None:
    """What happens to some in-country overstayers: late adjustment or an ICE arrest."""
    if ctx.chance(LATE_ADJUSTMENT):
        filed = since + timedelta(days=ctx.rng.randint(30, 700))
        decided = filed + timedelta(days=ctx.rng.randint(200, 700))
        outcome = filings.pick_outcome(ctx, (("APPROVED", 0.6), ("DENIED", 0.1)))
        filings.filing(ctx, person.idx, "ADJUSTMENT_OF_STATUS", filed, decided, outcome, adm=adm)
        return
    if not ctx.chance(FOLLOW_UP):
        return
    arrest = since + timedelta(days=ctx.rng.randint(60, 900))
    outcome = _pick(ctx, (("DETAINED", 0.4), ("RELEASED_NTA", 0.45), ("RELEASED_ATD", 0.15)))
    if encounter(ctx, person, arrest, "ICE", "INTERIOR_ARREST", outcome):
        living(ctx, person, since, adm, proceedings_from=arrest)


def refused_at_port(ctx: Context, person: Person, day: date) -> None:
    """Found inadmissible at a port of entry: returned or expeditiously removed."""
    outcome = _pick(ctx, (("RETURNED", 0.75), ("EXPEDITED_REMOVAL", 0.25)))
    if encounter(ctx, person, day, "CBP_PORT", "INADMISSIBLE", outcome) and outcome == "EXPEDITED_REMOVAL":
        court.summary_order(ctx, person, "EXPEDITED_REMOVAL_ORDER", day, None)
