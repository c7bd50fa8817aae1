"""Small builders of world records for hand-made truth cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import count

from ilos.generator.world import Admission, CourtEvent, Departure, Encounter, StatusEvent

_keys = count(1)


def d(text: str) -> date:
    """A date from ISO text."""
    return date.fromisoformat(text)


def at(text: str) -> datetime:
    """Noon UTC on the day (a recording time)."""
    return datetime.combine(d(text), time(12), UTC)


def admission(
    number: str, klass: str, admitted: str, until: str | None, person: int = 0, recorded: str | None = None
) -> Admission:
    """An admission; ``until`` None means D/S."""
    return Admission(
        person=person,
        system="I94",
        key=f"I{next(_keys)}",
        recorded=at(recorded or admitted),
        number=number,
        klass=klass,
        port="NYC",
        mode="AIR",
        admitted_on=d(admitted),
        admit_until=d(until) if until else None,
    )


def departure(
    day: str,
    evidence: str = "MANIFEST",
    system: str = "APIS",
    number: str = "",
    person: int = 0,
    recorded: str | None = None,
) -> Departure:
    """A departure record."""
    return Departure(
        person=person,
        system=system,
        key=f"D{next(_keys)}",
        recorded=at(recorded or day),
        day=d(day),
        mode="AIR",
        evidence=evidence,
        admission_number=number,
    )


def status(
    benefit: str,
    event: str,
    day: str,
    receipt: str = "R1",
    number: str = "",
    valid: tuple[str, str] | None = None,
    country: str = "",
    person: int = 0,
) -> StatusEvent:
    """A status event."""
    return StatusEvent(
        person=person,
        system="USCIS",
        key=f"S{next(_keys)}",
        recorded=at(day),
        receipt=receipt,
        benefit=benefit,
        event=event,
        day=d(day),
        valid_from=d(valid[0]) if valid else None,
        valid_until=d(valid[1]) if valid else None,
        country=country,
        admission_number=number,
    )


def court(event: str, day: str, case: str = "C1", deadline: str | None = None, person: int = 0) -> CourtEvent:
    """A court event."""
    return CourtEvent(
        person=person,
        system="EOIR",
        key=f"C{next(_keys)}",
        recorded=at(day),
        case=case,
        event=event,
        day=d(day),
        deadline=d(deadline) if deadline else None,
    )


def apprehension(
    day: str,
    person: int = 0,
    kind: str = "APPREHENSION",
    outcome: str = "RELEASED_NTA",
    agency: str = "CBP_BORDER",
) -> Encounter:
    """An encounter: by default a border apprehension (an entry)."""
    return Encounter(
        person=person,
        system="CBP-E3",
        key=f"E{next(_keys)}",
        recorded=at(day),
        encounter_id="E1",
        day=d(day),
        agency=agency,
        encounter_type=kind,
        outcome=outcome,
    )
