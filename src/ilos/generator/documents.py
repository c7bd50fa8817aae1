"""Travel documents other than passports: visa foils, border crossing cards, national ids."""

from __future__ import annotations

import random

from .world import Admission, Departure, Person


class SecondaryDocuments:
    """Stable per-person numbers of visa foils, border crossing cards and national ids."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._numbers: dict[tuple[int, str], str] = {}
        self._used: set[str] = set()

    def number(self, person: int, kind: str) -> str:
        """The person's document of that kind (created on first use)."""
        key = (person, kind)
        if key not in self._numbers:
            while True:
                value = f"{kind}{self._rng.randrange(10**8):08d}"
                if value not in self._used:
                    break
            self._used.add(value)
            self._numbers[key] = value
        return self._numbers[key]

    def travel_document(
        self, rng: random.Random, person: Person, rec: Admission | Departure
    ) -> tuple[str, str, str]:
        """(document_type, number, issuing country) presented on a crossing."""
        roll = rng.random()
        if rec.mode == "LAND" and person.citizenship == "MEX" and roll < 0.5:
            return "B", self.number(person.idx, "B"), "USA"
        if rec.mode == "LAND" and person.citizenship == "CAN" and roll < 0.3:
            return "N", self.number(person.idx, "N"), "CAN"
        if isinstance(rec, Admission) and roll > 0.95 and person.citizenship not in ("CAN",):
            return "V", self.number(person.idx, "V"), "USA"
        return "P", person.passports[rec.passport], person.citizenship
