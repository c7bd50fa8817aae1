"""Admissions and departure evidence: the building blocks of every trip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .context import Context
from .population import renew_passport
from .reference import (
    AIR_PORT_WEIGHTS,
    AIR_PORTS,
    AIRLINES,
    CRUISE_SHIPS,
    LAND_PORTS_CAN,
    LAND_PORTS_MEX,
    SEA_PORTS,
)
from .world import Admission, Departure, Person

RENEWAL_RATE = 0.33  # passport renewed between trips


@dataclass(slots=True)
class Entry:
    """Where and how a group enters."""

    mode: str
    port: str


def entry_for(ctx: Context, citizenship: str, land_share: float = 0.0) -> Entry:
    """Choose mode and port; LAND only for Canadians and Mexicans."""
    roll = ctx.rng.random()
    if citizenship in ("CAN", "MEX") and roll < land_share:
        ports = LAND_PORTS_CAN if citizenship == "CAN" else LAND_PORTS_MEX
        return Entry("LAND", ctx.rng.choice(ports))
    if roll > 0.96:
        return Entry("SEA", ctx.rng.choice(SEA_PORTS))
    return Entry("AIR", ctx.rng.choices(AIR_PORTS, weights=AIR_PORT_WEIGHTS)[0])


def admit(
    ctx: Context, person: Person, klass: str, entry: Entry, day: date, until: date | None, trip: int
) -> Admission:
    """Admit a person (the record exists only if recorded by the end of the window)."""
    renewed = trip > 0 and ctx.chance(RENEWAL_RATE)
    if renewed:
        renew_passport(ctx, person)
    adm = Admission(
        person=person.idx,
        system="I94",
        key=ctx.ids.alnum("I", 11),
        recorded=ctx.end_eod,
        number=ctx.ids.admission_number(),
        klass=klass,
        port=entry.port,
        mode=entry.mode,
        admitted_on=day,
        admit_until=until,
        passport=len(person.passports) - 1,
        trip=trip,
        renewed=renewed,
    )
    when = ctx.when(day, "arrival")
    if when is not None:
        adm.recorded = when
        ctx.world.admissions.append(adm)
    return adm


def carrier(ctx: Context, mode: str) -> str:
    """Carrier and flight or vessel."""
    if mode == "AIR":
        return f"{ctx.rng.choice(AIRLINES)} {ctx.rng.randint(1, 2999)}"
    if mode == "SEA":
        return ctx.rng.choice(CRUISE_SHIPS)
    return ""


def _record(
    ctx: Context,
    adm: Admission,
    day: date,
    evidence: str,
    system: str,
    lag: str = "departure",
    mode: str = "",
    port: str = "",
    with_number: float = 0.4,
    via: str = "",
) -> None:
    """Add one departure record unless it is recorded after the window."""
    if day > ctx.end:
        return
    when = ctx.when(day, lag)
    if when is None:
        return
    ctx.world.departures.append(
        Departure(
            person=adm.person,
            system=system,
            key=ctx.ids.alnum(system[:2], 12),
            recorded=when,
            day=day,
            port=port,
            mode=mode or adm.mode,
            carrier=via,
            evidence=evidence,
            admission_number=adm.number if ctx.chance(with_number) else "",
            passport=adm.passport,
        )
    )


def _air_port(ctx: Context, adm: Admission) -> str:
    if ctx.chance(0.5) and adm.mode != "LAND":
        return adm.port
    return ctx.rng.choices(AIR_PORTS, weights=AIR_PORT_WEIGHTS)[0]


def depart(ctx: Context, adm: Admission, day: date, via: str = "") -> None:
    """Record the evidence of a departure on ``day`` (sometimes none at all)."""
    if adm.mode == "LAND":
        _depart_land(ctx, adm, day)
        return
    roll = ctx.rng.random()
    port = _air_port(ctx, adm)
    via = via or carrier(ctx, adm.mode)
    if roll < 0.0015:
        return  # no departure record at all
    if roll < 0.0030:
        _self_report(ctx, adm, day, corroborated=False)
        return
    if roll < 0.018:
        _record(ctx, adm, day, "BIOMETRIC_EXIT", "CBP-BE", port=port, with_number=0.6)
        return
    _record(ctx, adm, day, "MANIFEST", "APIS", port=port, via=via)
    if roll < 0.20:
        _record(ctx, adm, day, "BIOMETRIC_EXIT", "CBP-BE", port=port, with_number=0.6)
    elif roll < 0.215:
        _self_report(ctx, adm, day, corroborated=True)
    elif roll < 0.22:
        _self_report(ctx, adm, day, corroborated=False)


def _depart_land(ctx: Context, adm: Admission, day: date) -> None:
    roll = ctx.rng.random()
    if adm.port in LAND_PORTS_CAN:
        if roll < 0.93:
            _record(ctx, adm, day, "PARTNER_ENTRY", "LANDX-CAN", mode="LAND", with_number=0.0)
            if roll < 0.03:
                _self_report(ctx, adm, day, corroborated=True)
        elif roll < 0.985:
            _record(ctx, adm, day, "BIOMETRIC_EXIT", "CBP-BE", mode="LAND", port=adm.port)
        elif roll < 0.993:
            _self_report(ctx, adm, day, corroborated=False)
        return
    if roll < 0.95:
        _record(ctx, adm, day, "BIOMETRIC_EXIT", "CBP-BE", mode="LAND", port=adm.port)
        if roll < 0.08:
            _self_report(ctx, adm, day, corroborated=True)
    elif roll < 0.97:
        _self_report(ctx, adm, day, corroborated=False)


def _self_report(ctx: Context, adm: Admission, day: date, corroborated: bool) -> None:
    """A self-reported departure; dated within 3 days of ``day`` only when corroborated."""
    shift = ctx.rng.randint(0, 3) if corroborated else ctx.rng.randint(4, 9)
    reported = max(day - timedelta(days=shift), adm.admitted_on)
    _record(ctx, adm, reported, "SELF_REPORTED", "APP-SELF", lag="status", with_number=0.7)


def consular(ctx: Context, adm: Admission, day: date) -> None:
    """A consulate abroad verifies the departure (recorded long after)."""
    _record(
        ctx, adm, day, "CONSULAR_VERIFICATION", "DOS-CONS", lag="consular", mode=adm.mode, with_number=0.3
    )


def stand_in(ctx: Context, person: Person, day: date) -> Admission:
    """A placeholder admission for departures of persons who entered without one."""
    return Admission(
        person=person.idx,
        system="",
        key="",
        recorded=ctx.end_eod,
        mode="AIR",
        port=ctx.rng.choice(AIR_PORTS),
        admitted_on=day,
        passport=len(person.passports) - 1,
    )


def removal(ctx: Context, person: Person, day: date, admission: Admission | None) -> None:
    """ICE carries out a removal (I-205 verified departure)."""
    adm = admission or stand_in(ctx, person, day)
    _record(
        ctx,
        adm,
        day,
        "REMOVAL_EXECUTED",
        "ICE-ERO",
        lag="court",
        mode="AIR",
        with_number=0.5 if admission else 0.0,
        via=f"ICE AIR {ctx.rng.randint(100, 999)}",
    )
