"""Students and exchange visitors (F1/J1 on D/S, M1 to a fixed date) and their dependents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from . import filings
from .context import Context
from .reference import DEPENDENT_CLASS
from .travel import Entry, admit, depart, entry_for
from .world import Admission, Person

GRACE = {("F", "COMPLETED"): 60, ("F", "WITHDRAWN"): 15, ("J", "COMPLETED"): 30}
#: (in-country overstay, late departure) probabilities by program end.
OVERSTAY = {"COMPLETED": (0.035, 0.02), "WITHDRAWN": (0.06, 0.1), "TERMINATED": (0.15, 0.2)}
M1_OVERSTAY = (0.05, 0.03)
BREAK_TRIP = 0.35


@dataclass(slots=True)
class Program:
    """A student's program in SEVIS."""

    klass: str
    begins: date
    ends: date  # planned or actual end
    outcome: str  # COMPLETED | WITHDRAWN | TERMINATED

    @property
    def grace(self) -> int:
        """Grace period after the end (0 for M1, which has a fixed date)."""
        return GRACE.get((self.klass[0], self.outcome), 0)


def _semester_start(ctx: Context) -> date:
    """A fall or spring semester start inside the window."""
    for _ in range(20):
        year = ctx.rng.randint(ctx.start.year, ctx.end.year)
        month = 8 if ctx.chance(0.7) else 1
        day = date(year, month, ctx.rng.randint(8, 28))
        if ctx.start <= day <= ctx.end:
            return day
    return ctx.between(ctx.start, ctx.end)


def _program(ctx: Context) -> Program:
    """Draw class, length and outcome of a program."""
    klass = ctx.rng.choices(("F1", "J1", "M1"), weights=(0.7, 0.25, 0.05))[0]
    begins = _semester_start(ctx)
    if klass == "F1":
        years = ctx.rng.choice((1.0, 1.5, 2.0, 2.0, 4.0)) + (1.0 if ctx.chance(0.5) else 0.0)
    else:
        years = ctx.rng.uniform(0.5, 2.0 if klass == "J1" else 1.5)
    planned = begins + timedelta(days=int(years * 365))
    outcome = ctx.rng.choices(("COMPLETED", "WITHDRAWN", "TERMINATED"), weights=(0.89, 0.06, 0.05))[0]
    ends = planned if outcome == "COMPLETED" else ctx.between(begins + timedelta(days=60), planned)
    return Program(klass, begins, ends, outcome)


def student_story(ctx: Context, student: Person, dependents: list[Person]) -> None:
    """Admissions during a program, breaks abroad, the program end and what follows."""
    prog = _program(ctx)
    until = prog.ends + timedelta(days=30) if prog.klass == "M1" else None
    entry = entry_for(ctx, student.citizenship, 0.2)
    group = [student, *dependents]
    first = _admit_group(ctx, group, prog.klass, entry, prog.begins, until, 0)
    adms = _breaks(ctx, group, prog, first, until)
    if adms is None:
        _program_end(ctx, group, prog, None)
        return
    _program_end(ctx, group, prog, adms[0])
    leave = _after_program(ctx, student, prog, adms[0])
    for person, adm in zip(group, adms, strict=True):
        ctx.stay(person.idx, adm.admitted_on, leave if leave and leave <= ctx.end else None)
        if leave is not None and leave <= ctx.end:
            depart(ctx, adm, leave)


def _admit_group(
    ctx: Context, group: list[Person], klass: str, entry: Entry, day: date, until: date | None, trip: int
) -> list[Admission]:
    """Admit the student and dependents together."""
    dep_class = DEPENDENT_CLASS[klass]
    return [
        admit(ctx, p, klass if i == 0 else dep_class, entry, day, until, trip) for i, p in enumerate(group)
    ]


def _breaks(
    ctx: Context, group: list[Person], prog: Program, adms: list[Admission], until: date | None
) -> list[Admission] | None:
    """Trips home during breaks; returns the admissions in force at the program end (None: abroad)."""
    trip = 0
    for leave in _break_days(prog.begins, prog.ends):
        if leave > ctx.end:
            break
        if leave < adms[0].admitted_on + timedelta(days=30) or not ctx.chance(BREAK_TRIP):
            continue
        if leave.month == 12:
            comeback = date(leave.year + 1, 1, ctx.rng.randint(5, 20))
        else:
            comeback = date(leave.year, 8, ctx.rng.randint(5, 20))
        for person, adm in zip(group, adms, strict=True):
            ctx.stay(person.idx, adm.admitted_on, leave)
            depart(ctx, adm, leave)
        if comeback >= prog.ends or comeback > ctx.end:
            return None
        trip += 1
        entry = entry_for(ctx, group[0].citizenship, 0.2)
        adms = _admit_group(ctx, group, prog.klass, entry, comeback, until, trip)
    return adms


def _break_days(begins: date, ends: date) -> list[date]:
    """Break starts (18 May, 15 December) well inside the program."""
    days = [
        date(year, month, 18 if month == 5 else 15)
        for year in range(begins.year, ends.year + 1)
        for month in (5, 12)
    ]
    return [d for d in days if begins + timedelta(days=30) <= d <= ends - timedelta(days=20)]


def _program_end(ctx: Context, group: list[Person], prog: Program, adm: Admission | None) -> None:
    """SEVIS records the program end for the student and each dependent."""
    if prog.ends > ctx.end:
        return
    for person in group:
        number = adm.number if adm is not None and person is group[0] and ctx.chance(0.3) else ""
        filings.event(
            ctx,
            person.idx,
            ctx.ids.digits("N00", 8),
            "STUDENT_PROGRAM",
            prog.outcome,
            prog.ends,
            admission=number,
            system="SEVIS",
        )


def _after_program(ctx: Context, student: Person, prog: Program, adm: Admission) -> date | None:
    """Departure day after the program (None: stays on)."""
    if prog.ends > ctx.end:
        return None
    authorized = adm.admit_until or prog.ends + timedelta(days=prog.grace)
    if prog.klass == "F1" and prog.outcome == "COMPLETED" and ctx.chance(0.1):
        return _change_to_worker(ctx, student, prog, adm)
    if prog.outcome == "COMPLETED" and ctx.chance(0.02):
        filed = prog.ends + timedelta(days=ctx.rng.randint(-60, 120))
        decided = filed + timedelta(days=ctx.rng.randint(240, 720))
        outcome = filings.pick_outcome(ctx, (("APPROVED", 0.6), ("DENIED", 0.1)))
        filings.filing(ctx, student.idx, "ADJUSTMENT_OF_STATUS", filed, decided, outcome, adm=adm)
        return None if outcome != "DENIED" else filings.after_denial(ctx, decided)
    p_in, p_late = M1_OVERSTAY if prog.klass == "M1" else OVERSTAY[prog.outcome]
    roll = ctx.rng.random()
    if roll < p_in:
        ctx.overstay(adm if adm.admit_until else _with_until(adm, authorized))
        return None
    if roll < p_in + p_late:
        return authorized + timedelta(days=1 + int(ctx.rng.expovariate(1 / 50.0)))
    return ctx.between(min(prog.ends, authorized), authorized)


def _with_until(adm: Admission, authorized: date) -> Admission:
    """A copy of a D/S admission carrying the date its authorized stay ended (for follow-ups)."""
    return Admission(
        person=adm.person,
        system=adm.system,
        key=adm.key,
        recorded=adm.recorded,
        number=adm.number,
        klass=adm.klass,
        port=adm.port,
        mode=adm.mode,
        admitted_on=adm.admitted_on,
        admit_until=authorized,
        passport=adm.passport,
    )


def _change_to_worker(ctx: Context, student: Person, prog: Program, adm: Admission) -> date | None:
    """Change of status to H1B filed before the program end."""
    filed = prog.ends - timedelta(days=ctx.rng.randint(30, 200))
    decided = filed + timedelta(days=ctx.rng.randint(30, 200))
    outcome = filings.pick_outcome(ctx, (("APPROVED", 0.85), ("DENIED", 0.12)))
    filings.filing(
        ctx,
        student.idx,
        "CHANGE_OF_STATUS",
        max(filed, adm.admitted_on),
        decided,
        outcome,
        adm=adm,
        new_class="H1B",
    )
    if outcome == "DENIED":
        return filings.after_denial(ctx, max(decided, prog.ends + timedelta(days=prog.grace)))
    return None
