"""The population: households of travellers, students, workers and persons without status."""

from __future__ import annotations

from datetime import timedelta

from . import criminal, enforcement, family
from .context import Context
from .population import (
    birth_date,
    ewi_country,
    new_person,
    random_sex,
    travel_country,
    twin_of,
)
from .reference import Country
from .students import student_story
from .visitors import visitor_story
from .workers import diplomat_story, worker_story
from .world import Person

#: Household kinds and their relative frequency.
KINDS = (
    ("visitor", 0.73),
    ("family", 0.05),
    ("student", 0.07),
    ("worker", 0.05),
    ("diplomat", 0.004),
    ("border", 0.05),
    ("resident", 0.03),
)
CRIME_RATE = {
    "visitor": 0.003,
    "family": 0.003,
    "twins": 0.003,
    "student": 0.01,
    "worker": 0.008,
    "diplomat": 0.0,
    "border": 0.22,
    "resident": 0.3,
}
DESIGNATION_RATE = 0.0015
TWIN_SHARE = 0.0055  # of persons


def _members(ctx: Context, country: Country, kind: str, room: int) -> list[Person]:
    """Create the persons of one household (at most ``room``)."""
    adult = birth_date(ctx, 20, 70) if kind != "student" else birth_date(ctx, 18, 35)
    lead = new_person(ctx, country, random_sex(ctx), adult, kind)
    members = [lead]
    if kind == "twins" and room > 1:
        members.append(twin_of(ctx, lead, country))
        return members
    extra = {
        "family": ctx.rng.randint(1, 3),
        "student": int(ctx.chance(0.15)),
        "worker": ctx.rng.choice((0, 0, 1, 2, 3)),
        "diplomat": ctx.rng.randint(0, 2),
        "border": ctx.rng.choice((0, 0, 0, 1, 2)),
    }.get(kind, 0)
    for rank in range(min(extra, room - 1)):
        members.append(_relative(ctx, country, kind, lead, spouse=rank == 0 and kind != "border"))
    return members


def _relative(ctx: Context, country: Country, kind: str, lead: Person, spouse: bool) -> Person:
    """A spouse or child of the household's lead."""
    child_from = lead.dob + timedelta(days=18 * 365)
    child_to = ctx.start - timedelta(days=2 * 365)
    if spouse or child_from > child_to:
        sex = "F" if lead.sex == "M" else "M"
        family = lead.family if ctx.chance(0.6) else None
        return new_person(ctx, country, sex, birth_date(ctx, 20, 60), kind, family=family)
    return new_person(
        ctx, country, random_sex(ctx), ctx.between(child_from, child_to), kind, family=lead.family
    )


def _story(ctx: Context, kind: str, members: list[Person]) -> None:
    lead, deps = members[0], members[1:]
    if kind in ("visitor", "family"):
        visitor_story(ctx, members)
    elif kind == "twins":
        if ctx.chance(0.5):
            visitor_story(ctx, members)
        else:
            for person in members:
                visitor_story(ctx, [person])
    elif kind == "student":
        student_story(ctx, lead, deps)
    elif kind == "worker":
        worker_story(ctx, lead, deps)
    elif kind == "diplomat":
        diplomat_story(ctx, lead, deps)
    elif kind == "border":
        enforcement.border_story(ctx, members)
    else:
        enforcement.resident_story(ctx, lead)


def _ties(ctx: Context, kind: str, members: list[Person]) -> None:
    """Relationships reported in filings of the household."""
    spans = ctx.presence.get(members[0].idx)
    if not spans:
        return
    day = ctx.between(spans[0][0], ctx.end)
    if len(members) > 1 and ctx.chance(0.6):
        family.household(ctx, members, day)
    if kind in ("border", "resident") and ctx.chance(0.35):
        family.abroad(ctx, members[0], day)


def build(ctx: Context, persons: int) -> None:
    """Create ``persons`` persons with their life events."""
    names = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    twins = 0
    while len(ctx.world.persons) < persons:
        kind = ctx.rng.choices(names, weights=weights)[0]
        made = len(ctx.world.persons)
        if 2 * (twins + 1) <= TWIN_SHARE * (made + 2) and persons - made >= 2:
            kind, twins = "twins", twins + 1
        country = ewi_country(ctx) if kind in ("border", "resident") else travel_country(ctx)
        members = _members(ctx, country, kind, persons - len(ctx.world.persons))
        _story(ctx, kind, members)
        _ties(ctx, kind, members)
        for person in members:
            if ctx.chance(CRIME_RATE[kind]):
                criminal.history(ctx, person)
            if ctx.chance(DESIGNATION_RATE):
                criminal.designation(ctx, person)
    _follow_ups(ctx)


def _follow_ups(ctx: Context) -> None:
    """In-country overstayers: late adjustments, arrests, crimes."""
    for person_idx, adm, since in ctx.overstayers:
        person = ctx.world.persons[person_idx]
        enforcement.overstayer_follow_up(ctx, person, adm, since)
        if ctx.chance(0.04):
            criminal.history(ctx, person)
