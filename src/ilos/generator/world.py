"""The noise-free world: persons and the records that describe their lives.

Every record carries the key of the source row that reports it (``system``, ``key``), the
transaction time of the version in force (``recorded``, UTC) and, for a record issued in
error, the time it was retracted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .names import NameEntry


@dataclass(slots=True)
class Person:
    """A true person with the identity that sources try to capture."""

    idx: int
    pid: str
    sex: str
    dob: date
    citizenship: str
    birth_country: str
    given: tuple[NameEntry, ...]
    family: tuple[NameEntry, ...]
    names_key: str
    profile: str
    passports: list[str] = field(default_factory=list)
    a_number: str = ""  # canonical 9 digits after "A"; "" when none
    twin_of: int = -1

    @property
    def family_name(self) -> str:
        """Canonical family name."""
        return " ".join(e.latin for e in self.family)

    @property
    def given_names(self) -> str:
        """Canonical given names."""
        return " ".join(e.latin for e in self.given)


@dataclass(slots=True)
class Record:
    """Common part of every source record."""

    person: int
    system: str
    key: str
    recorded: datetime
    retracted: datetime | None = None

    def in_force(self, known_at: datetime) -> bool:
        """Recorded by known_at and not retracted by then."""
        return self.recorded <= known_at and (self.retracted is None or self.retracted > known_at)

    def event_day(self) -> date | None:
        """The event date the contract checks (none for relationships)."""
        return None


@dataclass(slots=True)
class Dated(Record):
    """A record of an event on one day."""

    day: date = date.min

    def event_day(self) -> date | None:
        """The event date."""
        return self.day


@dataclass(slots=True)
class Admission(Record):
    """An I-94 admission."""

    number: str = ""
    klass: str = ""
    port: str = ""
    mode: str = ""
    admitted_on: date = date.min
    admit_until: date | None = None  # None means D/S
    passport: int = 0  # index into Person.passports
    trip: int = 0
    renewed: bool = False  # passport renewed since the previous trip

    def event_day(self) -> date | None:
        """The admission date."""
        return self.admitted_on


@dataclass(slots=True)
class Departure(Dated):
    """Evidence that a person left."""

    port: str = ""
    mode: str = ""
    carrier: str = ""
    evidence: str = ""
    admission_number: str = ""
    passport: int = 0


@dataclass(slots=True)
class StatusEvent(Dated):
    """A filing or decision about stay or protection."""

    receipt: str = ""
    benefit: str = ""
    event: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    new_class: str = ""
    country: str = ""
    admission_number: str = ""


@dataclass(slots=True)
class CourtEvent(Dated):
    """An immigration court or order event."""

    case: str = ""
    event: str = ""
    deadline: date | None = None
    country: str = ""


@dataclass(slots=True)
class CriminalEvent(Dated):
    """One stage of a criminal matter."""

    incident: str = ""
    stage: str = ""
    category: str = ""
    offense_code: str = ""
    offense_description: str = ""
    gang_related: str = ""  # "true" | "false" | ""
    jurisdiction: str = ""
    sentence_days: int | None = None


@dataclass(slots=True)
class Encounter(Dated):
    """An enforcement or border encounter."""

    encounter_id: str = ""
    agency: str = ""
    encounter_type: str = ""
    outcome: str = ""
    field_office: str = ""


@dataclass(slots=True)
class Designation(Dated):
    """A national-security designation event."""

    designation_id: str = ""
    event: str = ""
    authority: str = ""


@dataclass(slots=True)
class Relationship(Record):
    """A family tie reported in a filing."""

    relationship_id: str = ""
    relationship: str = ""
    relative: int = -1  # index of the relative when a person of the world, else -1
    relative_family: str = ""
    relative_given: str = ""
    relative_dob: str = ""
    relative_us_citizen: str = ""
    relative_a_number: str = ""
    filed_on: date = date.min


@dataclass
class World:
    """Everything simulated, before any noise."""

    start: date
    end: date
    persons: list[Person] = field(default_factory=list)
    admissions: list[Admission] = field(default_factory=list)
    departures: list[Departure] = field(default_factory=list)
    status_events: list[StatusEvent] = field(default_factory=list)
    court_events: list[CourtEvent] = field(default_factory=list)
    criminal: list[CriminalEvent] = field(default_factory=list)
    encounters: list[Encounter] = field(default_factory=list)
    designations: list[Designation] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)

    def feeds(self) -> dict[str, list[Record]]:
        """Records per feed name."""
        return {
            "arrivals": list(self.admissions),
            "departures": list(self.departures),
            "status_events": list(self.status_events),
            "court_events": list(self.court_events),
            "criminal_dispositions": list(self.criminal),
            "encounters": list(self.encounters),
            "designations": list(self.designations),
            "relationships": list(self.relationships),
        }
