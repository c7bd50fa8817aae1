"""Protection and discretionary filings: asylum, withholding, CAT, TPS, DACA, U/T visas, citizenship."""

from __future__ import annotations

from datetime import date, timedelta

from . import filings
from .context import Context
from .filings import pick_outcome
from .population import ensure_a_number
from .reference import TPS_COUNTRIES
from .world import Person

TPS_WINDOW = 540  # days of one TPS designation period
DACA_WINDOW = 730


def _days(ctx: Context, lo: int, hi: int) -> timedelta:
    return timedelta(days=ctx.rng.randint(lo, hi))


def protection(ctx: Context, person: Person, since: date) -> bool:
    """Asylum, often with withholding and CAT; returns True when protection was granted."""
    ensure_a_number(ctx, person)
    filed = since + _days(ctx, 20, 360)
    granted = False
    benefits = (
        ["ASYLUM"] + (["WITHHOLDING"] if ctx.chance(0.5) else []) + (["CAT"] if ctx.chance(0.3) else [])
    )
    for benefit in benefits:
        table = (("APPROVED", 0.25), ("DENIED", 0.4), ("WITHDRAWN", 0.05))
        outcome = pick_outcome(ctx, table)
        decided = filed + _days(ctx, 120, 900)
        country = person.citizenship if benefit != "ASYLUM" else ""
        filings.filing(ctx, person.idx, benefit, filed, decided, outcome, country=country)
        granted |= outcome == "APPROVED" and decided <= ctx.end
    return granted


def tps(ctx: Context, person: Person, since: date) -> None:
    """TPS: an initial application, approvals with validity windows and re-registrations."""
    if person.citizenship not in TPS_COUNTRIES:
        return
    ensure_a_number(ctx, person)
    filed = max(since, ctx.start) + _days(ctx, 10, 300)
    decided = filed + _days(ctx, 60, 400)
    outcome = pick_outcome(ctx, (("APPROVED", 0.75), ("DENIED", 0.08)))
    valid = (decided, decided + timedelta(days=TPS_WINDOW))
    receipt = filings.filing(ctx, person.idx, "TPS", filed, decided, outcome, valid=valid)
    while outcome == "APPROVED":
        if ctx.chance(0.03):  # withdrawn for ineligibility during the validity
            filings.event(ctx, person.idx, receipt, "TPS", "REVOKED", ctx.between(valid[0], valid[1]))
            return
        if not ctx.chance(0.7):  # not re-registered: the validity runs out
            if ctx.chance(0.5):
                filings.event(ctx, person.idx, receipt, "TPS", "EXPIRED", valid[1] + timedelta(days=1))
            return
        approved = valid[1] - _days(ctx, 0, 60)
        valid = (valid[1] + timedelta(days=1), valid[1] + timedelta(days=TPS_WINDOW))
        receipt = filings.receipt(ctx)
        if filings.event(ctx, person.idx, receipt, "TPS", "APPROVED", approved, valid=valid) is None:
            return


def daca(ctx: Context, person: Person) -> None:
    """Deferred action for persons who arrived as children, with renewals (rarely revoked)."""
    ensure_a_number(ctx, person)
    filed = ctx.between(ctx.start, ctx.end)
    while filed <= ctx.end:
        decided = filed + _days(ctx, 60, 240)
        outcome = pick_outcome(ctx, (("APPROVED", 0.85), ("DENIED", 0.05)))
        valid = (decided, decided + timedelta(days=DACA_WINDOW))
        receipt = filings.filing(ctx, person.idx, "DACA", filed, decided, outcome, valid=valid)
        if outcome == "APPROVED" and ctx.chance(0.1):
            filings.event(ctx, person.idx, receipt, "DACA", "REVOKED", ctx.between(decided, valid[1]))
            return
        if outcome != "APPROVED" or not ctx.chance(0.8):
            return
        filed = valid[1] - _days(ctx, 60, 150)


def victim_visa(ctx: Context, person: Person, benefit: str) -> None:
    """U or T visa petition, long pending."""
    ensure_a_number(ctx, person)
    filed = ctx.between(ctx.start, ctx.end)
    table = (("APPROVED", 0.1),) if benefit == "U_VISA" else (("APPROVED", 0.45), ("DENIED", 0.2))
    filings.filing(ctx, person.idx, benefit, filed, filed + _days(ctx, 200, 900), pick_outcome(ctx, table))


def citizenship_claim(ctx: Context, person: Person, day: date) -> bool:
    """A claim to U.S. citizenship; returns True when confirmed."""
    ensure_a_number(ctx, person)
    receipt = filings.receipt(ctx)
    if filings.event(ctx, person.idx, receipt, "CITIZENSHIP", "CLAIMED", day) is None:
        return False
    outcome = pick_outcome(ctx, (("CONFIRMED", 0.2), ("REJECTED", 0.55)))
    decided = day + _days(ctx, 30, 400)
    if outcome is None:
        return False
    recorded = filings.event(ctx, person.idx, receipt, "CITIZENSHIP", outcome, decided)
    return outcome == "CONFIRMED" and recorded is not None


def extras(ctx: Context, person: Person, since: date) -> None:
    """Discretionary filings of a person living in the United States without status."""
    born = person.dob.year
    if 1988 <= born <= 2006 and ctx.chance(0.3):
        daca(ctx, person)
    if ctx.chance(0.03):
        victim_visa(ctx, person, "U_VISA")
    if ctx.chance(0.008):
        victim_visa(ctx, person, "T_VISA")
    if ctx.chance(0.06):
        citizenship_claim(ctx, person, ctx.between(max(since, ctx.start), ctx.end))
