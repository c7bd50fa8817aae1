"""Feed rows from world records: each row describes its person as that source saw them."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from . import noise
from .context import Ids
from .documents import SecondaryDocuments
from .reference import COUNTRY_BY_CODE
from .stamps import stamp
from .world import (
    Admission,
    CourtEvent,
    CriminalEvent,
    Departure,
    Designation,
    Encounter,
    Person,
    Record,
    Relationship,
    StatusEvent,
)

Row = dict[str, str]
UPPER_SYSTEMS = frozenset({"I94", "APIS", "CBP-BE", "LANDX-CAN"})
#: Share of rows carrying a document, and an A-number (when the person has one), per feed.
DOC_SHARE = {
    "status_events": 0.5,
    "court_events": 0.2,
    "criminal_dispositions": 0.1,
    "encounters": 0.5,
    "designations": 0.6,
    "relationships": 0.3,
}
A_SHARE = {
    "arrivals": 0.08,
    "departures": 0.03,
    "status_events": 0.9,
    "court_events": 0.97,
    "criminal_dispositions": 0.3,
    "encounters": 0.95,
    "designations": 0.4,
    "relationships": 0.8,
}


def _d(day: date | None) -> str:
    return "" if day is None else day.isoformat()


class RowFactory:
    """Builds noisy rows; one instance per run so that secondary documents stay stable."""

    def __init__(
        self, rng: random.Random, persons: list[Person], last_day: date, docs: SecondaryDocuments, ids: Ids
    ) -> None:
        self.rng = rng
        self.ids = ids
        self.persons = persons
        self.last_day = last_day
        self.docs = docs
        self._bodies: dict[type, Callable[[Record], Row]] = {
            Admission: self._arrival,
            Departure: self._departure,
            StatusEvent: self._status,
            CourtEvent: self._court,
            CriminalEvent: self._criminal,
            Encounter: self._encounter,
            Designation: self._designation,
            Relationship: self._relationship,
        }

    def fresh_key(self, rec: Record) -> str:
        """A new source_record_id in the style of the record's system."""
        return self.ids.alnum(rec.key[:2], len(rec.key) - 2)

    def build(self, feed: str, rec: Record, key: str | None = None) -> tuple[Row, list[str]]:
        """A row for the record (optionally under another key) and the noise it carries."""
        codes: list[str] = []
        person = self.persons[rec.person]
        row = self._identity(feed, rec, person, codes)
        row["source_record_id"] = key or rec.key
        row.update(self._bodies[type(rec)](rec))
        if isinstance(rec, Relationship):
            self._relative_noise(row, codes)
        row["retracted"] = "false" if self.rng.random() < 0.02 else ""
        return row, codes

    def _identity(self, feed: str, rec: Record, person: Person, codes: list[str]) -> Row:
        rng = self.rng
        country = COUNTRY_BY_CODE[person.citizenship]
        given, family = noise.names(rng, person.given, person.family, country.script, codes)
        if rec.system in UPPER_SYSTEMS and rng.random() < 0.5:
            given, family = given.upper(), family.upper()
            codes.append("case")
        if feed != "arrivals" and rng.random() < noise.RATES["no_birth_date"]:
            dob = ""
            codes.append("no_birth_date")
        else:
            dob = noise.birth_date(rng, person.dob, person.citizenship, codes)
        doc_type, doc_no, doc_country = self._document(feed, rec, person, codes)
        a_number = ""
        if person.a_number and rng.random() < A_SHARE[feed]:
            a_number = noise.a_number(rng, person.a_number, codes)
        return {
            "source_system": rec.system,
            "recorded_at": stamp(
                rng, rec.recorded, rec.event_day(), self.last_day, rec.system, getattr(rec, "port", "")
            ),
            "family_name": family,
            "given_names": given,
            "date_of_birth": dob,
            "sex": self._sex(person),
            "citizenship": noise.citizenship(rng, person.citizenship, codes),
            "birth_country": person.birth_country if rng.random() < 0.7 else "",
            "document_type": doc_type,
            "document_number": doc_no,
            "document_country": doc_country,
            "a_number": a_number,
        }

    def _sex(self, person: Person) -> str:
        roll = self.rng.random()
        return person.sex if roll < 0.94 else ("U" if roll < 0.96 else "")

    def _document(self, feed: str, rec: Record, person: Person, codes: list[str]) -> tuple[str, str, str]:
        """Document type, number (noisy) and issuing country."""
        rng = self.rng
        if isinstance(rec, Admission | Departure):
            kind, number, issuer = self.docs.travel_document(rng, person, rec)
            if kind == "P" and isinstance(rec, Admission) and rec.renewed:
                codes.append("passport_renewed")
        elif rng.random() < DOC_SHARE[feed]:
            kind, number, issuer = "P", person.passports[-1], person.citizenship
            if rng.random() < 0.15:  # a state id or driver's licence
                kind, number, issuer = "O", self.docs.number(person.idx, "O"), "USA"
        else:
            return "", "", ""
        return kind, noise.document(rng, number, codes), issuer

    def _arrival(self, rec: Record) -> Row:
        assert isinstance(rec, Admission)
        return {
            "admission_number": rec.number,
            "class_of_admission": rec.klass,
            "port_of_entry": rec.port,
            "mode": rec.mode,
            "admitted_on": _d(rec.admitted_on),
            "admit_until": "D/S" if rec.admit_until is None else _d(rec.admit_until),
        }

    def _departure(self, rec: Record) -> Row:
        assert isinstance(rec, Departure)
        return {
            "departure_date": _d(rec.day),
            "port": rec.port,
            "mode": rec.mode,
            "carrier": rec.carrier,
            "evidence": rec.evidence,
            "admission_number": rec.admission_number,
        }

    def _status(self, rec: Record) -> Row:
        assert isinstance(rec, StatusEvent)
        return {
            "receipt_number": rec.receipt,
            "benefit": rec.benefit,
            "event": rec.event,
            "event_date": _d(rec.day),
            "valid_from": _d(rec.valid_from),
            "valid_until": _d(rec.valid_until),
            "new_class": rec.new_class,
            "country": rec.country,
            "admission_number": rec.admission_number,
        }

    def _court(self, rec: Record) -> Row:
        assert isinstance(rec, CourtEvent)
        return {
            "case_number": rec.case,
            "event": rec.event,
            "event_date": _d(rec.day),
            "deadline": _d(rec.deadline),
            "country": rec.country,
        }

    def _criminal(self, rec: Record) -> Row:
        assert isinstance(rec, CriminalEvent)
        return {
            "incident_id": rec.incident,
            "stage": rec.stage,
            "event_date": _d(rec.day),
            "category": rec.category,
            "offense_code": rec.offense_code,
            "offense_description": rec.offense_description,
            "gang_related": rec.gang_related,
            "jurisdiction": rec.jurisdiction,
            "sentence_days": "" if rec.sentence_days is None else str(rec.sentence_days),
        }

    def _encounter(self, rec: Record) -> Row:
        assert isinstance(rec, Encounter)
        return {
            "encounter_id": rec.encounter_id,
            "event_date": _d(rec.day),
            "agency": rec.agency,
            "encounter_type": rec.encounter_type,
            "outcome": rec.outcome,
            "field_office": rec.field_office,
        }

    def _designation(self, rec: Record) -> Row:
        assert isinstance(rec, Designation)
        return {
            "designation_id": rec.designation_id,
            "event": rec.event,
            "event_date": _d(rec.day),
            "authority": rec.authority,
        }

    def _relationship(self, rec: Record) -> Row:
        assert isinstance(rec, Relationship)
        return {
            "relationship_id": rec.relationship_id,
            "relationship": rec.relationship,
            "relative_family_name": rec.relative_family,
            "relative_given_names": rec.relative_given,
            "relative_date_of_birth": rec.relative_dob,
            "relative_us_citizen": rec.relative_us_citizen,
            "relative_a_number": rec.relative_a_number,
        }

    def _relative_noise(self, row: Row, codes: list[str]) -> None:
        """Filers misspell relatives too."""
        if self.rng.random() < noise.RATES["typo"]:
            row["relative_family_name"] = noise.typo(self.rng, row["relative_family_name"])
            codes.append("relative_typo")
        if row["relative_a_number"]:
            row["relative_a_number"] = noise.a_number(self.rng, row["relative_a_number"], [])
