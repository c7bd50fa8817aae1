"""Benefit filings and decisions (status_events), and visitors' extension or change requests."""

from __future__ import annotations

from datetime import date, timedelta

from .context import Context
from .world import Admission, StatusEvent

RECEIPT_PREFIXES = ("EAC", "WAC", "SRC", "LIN", "IOE", "MSC", "NBC")


def receipt(ctx: Context) -> str:
    """A USCIS receipt number."""
    return ctx.ids.digits(ctx.rng.choice(RECEIPT_PREFIXES), 10)


def event(
    ctx: Context,
    person: int,
    receipt_no: str,
    benefit: str,
    name: str,
    day: date,
    *,
    valid: tuple[date, date] | None = None,
    new_class: str = "",
    country: str = "",
    admission: str = "",
    system: str = "USCIS",
) -> StatusEvent | None:
    """Add one status event if it happens and is recorded within the window."""
    if day > ctx.end or day < ctx.start:
        return None
    when = ctx.when(day, "status")
    if when is None:
        return None
    ev = StatusEvent(
        person=person,
        system=system,
        key=ctx.ids.alnum(system[:2], 12),
        recorded=when,
        receipt=receipt_no,
        benefit=benefit,
        event=name,
        day=day,
        valid_from=valid[0] if valid else None,
        valid_until=valid[1] if valid else None,
        new_class=new_class,
        country=country,
        admission_number=admission,
    )
    ctx.world.status_events.append(ev)
    return ev


def filing(
    ctx: Context,
    person: int,
    benefit: str,
    filed: date,
    decided: date | None,
    outcome: str | None,
    *,
    adm: Admission | None = None,
    valid: tuple[date, date] | None = None,
    new_class: str = "",
    country: str = "",
) -> str:
    """A filing with an optional decision; returns the receipt number."""
    number = adm.number if adm is not None and ctx.chance(0.7) else ""
    receipt_no = receipt(ctx)
    event(ctx, person, receipt_no, benefit, "FILED", filed, admission=number)
    if outcome is not None and decided is not None:
        event(
            ctx,
            person,
            receipt_no,
            benefit,
            outcome,
            decided,
            admission=number,
            valid=valid if outcome == "APPROVED" else None,
            new_class=new_class if outcome == "APPROVED" else "",
            country=country if outcome == "APPROVED" else "",
        )
    return receipt_no


def pick_outcome(ctx: Context, table: tuple[tuple[str, float], ...]) -> str | None:
    """Pick an outcome; the residual probability means still pending."""
    roll = ctx.rng.random()
    for name, prob in table:
        if roll < prob:
            return name
        roll -= prob
    return None


def visitor_filing(ctx: Context, adm: Admission) -> date | None:
    """A visitor asks to extend or change status; returns the departure day or None (stays)."""
    until = adm.admit_until
    assert until is not None
    filed = max(until - timedelta(days=ctx.rng.randint(5, 40)), adm.admitted_on + timedelta(days=3))
    decided = filed + timedelta(days=ctx.rng.randint(45, 200))
    if adm.klass in ("WB", "WT"):  # not allowed: no protection, denied
        outcome = pick_outcome(ctx, (("DENIED", 0.85),))
        filing(ctx, adm.person, "EXTENSION_OF_STAY", filed, decided, outcome, adm=adm)
        return decided + timedelta(days=ctx.rng.randint(0, 20))
    if adm.klass == "B2" and ctx.chance(0.06):  # filed after the stay ended: protects nothing
        late = until + timedelta(days=ctx.rng.randint(5, 60))
        return _change(ctx, adm, late, late + timedelta(days=90), (("DENIED", 0.8),))
    if adm.klass == "B2" and ctx.chance(0.3):
        return _change(ctx, adm, filed, decided, (("APPROVED", 0.7), ("DENIED", 0.25)))
    return _extend(ctx, adm, until, filed, decided)


def _change(
    ctx: Context, adm: Admission, filed: date, decided: date, table: tuple[tuple[str, float], ...]
) -> date | None:
    """Change of status to student; the visitor stays unless denied."""
    outcome = pick_outcome(ctx, table)
    filing(ctx, adm.person, "CHANGE_OF_STATUS", filed, decided, outcome, adm=adm, new_class="F1")
    return after_denial(ctx, decided) if outcome == "DENIED" else None


def _extend(ctx: Context, adm: Admission, until: date, filed: date, decided: date) -> date | None:
    """Extension of a B visit by six months."""
    outcome = pick_outcome(ctx, (("APPROVED", 0.6), ("DENIED", 0.3), ("WITHDRAWN", 0.05)))
    new_until = until + timedelta(days=180)
    valid = (until + timedelta(days=1), new_until)
    filing(ctx, adm.person, "EXTENSION_OF_STAY", filed, decided, outcome, adm=adm, valid=valid)
    if outcome == "APPROVED":
        return ctx.between(max(decided, until), new_until)
    return None if outcome is None else after_denial(ctx, decided)


def after_denial(ctx: Context, decided: date, late: float = 0.5) -> date:
    """Departure after a denial: on the decision day (timely) or, with probability ``late``, later."""
    if not ctx.chance(late):
        return decided
    return decided + timedelta(days=ctx.rng.randint(1, 45))
