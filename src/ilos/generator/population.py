"""Creation of true persons: names, birth dates, documents."""

from __future__ import annotations

import zlib
from datetime import date, timedelta
from itertools import accumulate

from .context import Context
from .names import NameEntry, pool
from .reference import COUNTRIES, OTHER_VALID_CODES, Country
from .world import Person

_TRAVEL_CUM = tuple(accumulate(c.travel for c in COUNTRIES))
_EWI_CUM = tuple(accumulate(c.ewi for c in COUNTRIES))
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_MULTI_GIVEN = frozenset(
    {
        "es_MX",
        "es_CO",
        "es_AR",
        "es_CL",
        "es_ES",
        "pt_BR",
        "pt_PT",
        "fr_FR",
        "de_DE",
        "nga",
        "phl",
        "arab",
        "pak",
        "bgd",
    }
)


def travel_country(ctx: Context) -> Country:
    """A citizenship weighted by nonimmigrant traffic."""
    return ctx.rng.choices(COUNTRIES, cum_weights=_TRAVEL_CUM)[0]


def ewi_country(ctx: Context) -> Country:
    """A citizenship weighted by encounters without admission."""
    return ctx.rng.choices(COUNTRIES, cum_weights=_EWI_CUM)[0]


def birth_date(ctx: Context, min_age: int, max_age: int) -> date:
    """A birth date giving an age in [min_age, max_age] at the window start (at least 2)."""
    lo = max(min_age, 2)
    age_days = ctx.rng.randint(lo * 365 + 1, max(lo, max_age) * 365 + 364)
    return ctx.start - timedelta(days=age_days)


def passport_number(ctx: Context, country: str) -> str:
    """A new passport number in the issuing country's style."""
    style = zlib.crc32(country.encode()) % 3
    rng = ctx.rng
    if style == 0:
        return ctx.ids.digits("", 9)
    if style == 1:
        return ctx.ids.digits(rng.choice(_LETTERS), 8)
    return ctx.ids.digits(rng.choice(_LETTERS) + rng.choice(_LETTERS), 7)


def family_names(ctx: Context, country: Country, sex: str) -> tuple[NameEntry, ...]:
    """A family name, compound for some Hispanic and Lusophone persons."""
    names = pool(country.names)
    first = names.family(ctx.rng, sex)
    if not ctx.chance(country.compound):
        return (first,)
    for _ in range(5):
        second = names.family(ctx.rng, sex)
        if second.latin != first.latin:
            return (first, second)
    return (first,)


def given_names(ctx: Context, country: Country, sex: str, avoid: str = "") -> tuple[NameEntry, ...]:
    """One or two given names, different from ``avoid`` (used for twins)."""
    names = pool(country.names)
    multi = 0.2 if country.names in _MULTI_GIVEN else 0.05
    for _ in range(20):
        first = names.given(ctx.rng, sex)
        if first.latin != avoid:
            break
    if ctx.chance(multi):
        second = names.given(ctx.rng, sex)
        if second.latin != first.latin:
            return (first, second)
    return (first,)


def new_person(
    ctx: Context,
    country: Country,
    sex: str,
    dob: date,
    profile: str,
    family: tuple[NameEntry, ...] | None = None,
) -> Person:
    """Create and register a person."""
    world = ctx.world
    idx = len(world.persons)
    born_in = country.code
    if ctx.chance(0.06):
        born_in = ctx.rng.choice([c.code for c in COUNTRIES[:30]] + list(OTHER_VALID_CODES))
    person = Person(
        idx=idx,
        pid=f"TP{idx + 1:08d}",
        sex=sex,
        dob=dob,
        citizenship=country.code,
        birth_country=born_in,
        given=given_names(ctx, country, sex),
        family=family if family is not None else family_names(ctx, country, sex),
        names_key=country.names,
        profile=profile,
        passports=[passport_number(ctx, country.code)],
    )
    world.persons.append(person)
    return person


def twin_of(ctx: Context, person: Person, country: Country) -> Person:
    """A twin: same family name, birth date and citizenship; own given names and passport."""
    sex = ctx.rng.choice("MF")
    twin = new_person(ctx, country, sex, person.dob, person.profile, family=person.family)
    twin.given = given_names(ctx, country, sex, avoid=person.given[0].latin)
    twin.birth_country = person.birth_country
    twin.twin_of, person.twin_of = person.idx, twin.idx
    return twin


def ensure_a_number(ctx: Context, person: Person) -> str:
    """Give the person an A-number if they have none yet."""
    if not person.a_number:
        person.a_number = ctx.ids.a_number()
    return person.a_number


def renew_passport(ctx: Context, person: Person) -> None:
    """Issue a new passport to the person."""
    person.passports.append(passport_number(ctx, person.citizenship))


def random_sex(ctx: Context) -> str:
    """Mostly M/F."""
    return "M" if ctx.rng.random() < 0.52 else "F"
