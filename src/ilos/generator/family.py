"""Family ties reported in filings (relationships)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .context import Context
from .names import pool
from .world import Person, Relationship


def _dob_text(ctx: Context, dob: date) -> str:
    """Relative's birth date as a filer writes it, or not given."""
    return "" if ctx.chance(0.12) else dob.isoformat()


@dataclass(frozen=True, slots=True)
class Relative:
    """The relative as the filer describes them."""

    family: str
    given: str
    dob: str
    us_citizen: str
    a_number: str = ""
    person: int = -1


def _add(ctx: Context, subject: Person, relationship: str, day: date, rel: Relative) -> None:
    if day > ctx.end or day < ctx.start:
        return
    when = ctx.when(day, "status")
    if when is None:
        return
    ctx.world.relationships.append(
        Relationship(
            person=subject.idx,
            system="USCIS",
            key=ctx.ids.alnum("US", 12),
            recorded=when,
            relationship_id=ctx.ids.digits("R", 10),
            relationship=relationship,
            filed_on=day,
            relative=rel.person,
            relative_family=rel.family,
            relative_given=rel.given,
            relative_dob=rel.dob,
            relative_us_citizen=rel.us_citizen,
            relative_a_number=rel.a_number,
        )
    )


def tie(ctx: Context, subject: Person, relative: Person, relationship: str, day: date) -> None:
    """A tie to another person of the world."""
    citizen = "false" if ctx.chance(0.6) else ""
    rel = Relative(
        relative.family_name,
        relative.given_names,
        _dob_text(ctx, relative.dob),
        citizen,
        relative.a_number,
        relative.idx,
    )
    _add(ctx, subject, relationship, day, rel)


def outsider(ctx: Context, subject: Person, relationship: str, day: date, us_citizen: str) -> None:
    """A tie to someone who is not in the data (a citizen spouse, a child abroad, ...)."""
    names = pool("en_US" if us_citizen == "true" else subject.names_key)
    sex = ctx.rng.choice("MF")
    family = subject.family_name if relationship != "SPOUSE" else names.family(ctx.rng, sex).latin
    age = {"CHILD": -28, "PARENT": 27}.get(relationship, ctx.rng.randint(-6, 6))
    dob = subject.dob - timedelta(days=365 * age + ctx.rng.randint(0, 900))
    dob = min(dob, ctx.start - timedelta(days=1))
    rel = Relative(family, names.given(ctx.rng, sex).latin, _dob_text(ctx, dob), us_citizen)
    _add(ctx, subject, relationship, day, rel)


def household(ctx: Context, members: list[Person], day: date) -> None:
    """Ties of a principal to the spouse and children travelling or living with them."""
    lead, *others = members
    for rank, other in enumerate(others):
        relationship = "SPOUSE" if rank == 0 and other.dob.year - lead.dob.year < 15 else "CHILD"
        tie(ctx, lead, other, relationship, day)
        if relationship == "CHILD" and ctx.chance(0.3):
            tie(ctx, other, lead, "PARENT", day)


def abroad(ctx: Context, subject: Person, day: date) -> None:
    """Relatives listed in a protection or deferred-action filing."""
    for _ in range(ctx.rng.randint(1, 3)):
        relationship = ctx.rng.choices(("SPOUSE", "CHILD", "PARENT"), weights=(4, 4, 2))[0]
        citizen = "true" if relationship == "CHILD" and ctx.chance(0.25) else ctx.rng.choice(("false", ""))
        outsider(ctx, subject, relationship, day, citizen)
