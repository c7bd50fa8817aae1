"""Ground truth: the contract's admission status rules, implemented independently of ILOS.

Statuses are judged as of a date (events dated later are ignored) with the records known at a
time (rows recorded later, or retracted by then, are ignored).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .reference import VISA_WAIVER
from .world import Admission, Departure, StatusEvent

SELF_REPORTED = "SELF_REPORTED"
CORROBORATION_DAYS = 3
FILINGS = frozenset({"EXTENSION_OF_STAY", "CHANGE_OF_STATUS", "ADJUSTMENT_OF_STATUS"})
DECISIONS = frozenset({"APPROVED", "DENIED", "WITHDRAWN", "REVOKED", "EXPIRED", "TERMINATED", "REJECTED"})
PROGRAM_ENDS = frozenset({"COMPLETED", "WITHDRAWN", "TERMINATED"})
#: Grace periods after a program end: (effective from, class letter, end event, days).
GRACE_RULES: tuple[tuple[date, str, str, int], ...] = (
    (date(1900, 1, 1), "F", "COMPLETED", 60),
    (date(1900, 1, 1), "J", "COMPLETED", 30),
    (date(1900, 1, 1), "F", "WITHDRAWN", 15),
    (date(1900, 1, 1), "J", "WITHDRAWN", 0),
    (date(1900, 1, 1), "F", "TERMINATED", 0),
    (date(1900, 1, 1), "J", "TERMINATED", 0),
)


@dataclass(frozen=True, slots=True)
class Verified:
    """A verified departure."""

    day: date
    admission_number: str


@dataclass(frozen=True, slots=True)
class AdmissionTruth:
    """The status of one admission."""

    number: str
    status: str
    authorized_until: date | None
    overstay_days: int | None
    departure: date | None = None


@dataclass(slots=True)
class Filing:
    """Events of one receipt that matter for an admission."""

    benefit: str
    filed: date | None = None
    decision: StatusEvent | None = None


def grace_days(klass: str, end_event: str, ended: date) -> int:
    """Grace period in days for a D/S program end, by the rule in effect on the end date."""
    days = 0
    for effective, letter, event, grace in GRACE_RULES:
        if letter == klass[:1] and event == end_event and effective <= ended:
            days = grace
    return days


def verified_departures(deps: list[Departure]) -> tuple[list[Verified], list[Departure]]:
    """Verified departures, and self-reports left uncorroborated."""
    verified = [Verified(d.day, d.admission_number) for d in deps if d.evidence != SELF_REPORTED]
    alone: list[Departure] = []
    for rep in (d for d in deps if d.evidence == SELF_REPORTED):
        partners = [
            d for d in deps if d.system != rep.system and abs((d.day - rep.day).days) <= CORROBORATION_DAYS
        ]
        if not partners:
            alone.append(rep)
            continue
        number = rep.admission_number or next(
            (p.admission_number for p in partners if p.admission_number), ""
        )
        verified.append(Verified(min([rep.day, *(p.day for p in partners)]), number))
    return verified, alone


def _in_window(day: date, number: str, adm: Admission, next_on: date | None) -> bool:
    """Whether a departure belongs to the admission (by number, or by its date)."""
    if number and number == adm.number:
        return adm.admitted_on <= day
    return adm.admitted_on <= day and (next_on is None or day < next_on)


class PersonStatus:
    """Statuses of one person's admissions."""

    def __init__(
        self, adms: list[Admission], deps: list[Departure], events: list[StatusEvent], as_of: date
    ) -> None:
        self.adms = sorted(adms, key=lambda a: (a.admitted_on, a.number))
        self.verified, self.self_reports = verified_departures(deps)
        self.events = sorted(events, key=lambda e: (e.day, e.event != "FILED", e.key))
        self.as_of = as_of
        self.by_number = {a.number: a for a in self.adms}

    def all(self) -> list[AdmissionTruth]:
        """One truth per admission."""
        out = []
        for i, adm in enumerate(self.adms):
            next_on = self.adms[i + 1].admitted_on if i + 1 < len(self.adms) else None
            out.append(self.judge(adm, next_on))
        return out

    def _admission_for(self, number: str, filed: date) -> Admission | None:
        if number:
            return self.by_number.get(number)
        before = [a for a in self.adms if a.admitted_on <= filed]
        return before[-1] if before else None

    def _filings(self, adm: Admission) -> list[Filing]:
        """Extension, change and adjustment filings matched to the admission."""
        groups: dict[str, list[StatusEvent]] = defaultdict(list)
        for ev in self.events:
            if ev.benefit in FILINGS:
                groups[ev.receipt].append(ev)
        out = []
        for evs in groups.values():
            number = next((e.admission_number for e in evs if e.admission_number), "")
            if self._admission_for(number, evs[0].day) is adm:
                out.append(_filing(evs))
        return out

    def _program_end(self, adm: Admission) -> StatusEvent | None:
        ends = [
            e
            for e in self.events
            if e.benefit == "STUDENT_PROGRAM" and e.event in PROGRAM_ENDS and e.day >= adm.admitted_on
        ]
        return max(ends, key=lambda e: (e.day, e.key)) if ends else None

    def judge(self, adm: Admission, next_on: date | None) -> AdmissionTruth:
        """Apply rules 1 to 5 to one admission."""
        ledger = _Ledger(adm, self._program_end(adm) if adm.admit_until is None else None)
        for filing in sorted(self._filings(adm), key=_first_day):
            ledger.apply(filing)
        departure = self._departure(adm, next_on)
        return ledger.verdict(adm.number, departure, self._unverified(adm, next_on), self.as_of)

    def _departure(self, adm: Admission, next_on: date | None) -> date | None:
        days = [v.day for v in self.verified if _in_window(v.day, v.admission_number, adm, next_on)]
        return min(days) if days else None

    def _unverified(self, adm: Admission, next_on: date | None) -> bool:
        return any(_in_window(d.day, d.admission_number, adm, next_on) for d in self.self_reports)


def _filing(evs: list[StatusEvent]) -> Filing:
    filing = Filing(evs[0].benefit)
    for ev in evs:
        if ev.event == "FILED" and filing.filed is None:
            filing.filed = ev.day
        elif ev.event in DECISIONS and filing.decision is None:
            filing.decision = ev
    return filing


def _first_day(f: Filing) -> date:
    if f.filed is not None:
        return f.filed
    return f.decision.day if f.decision is not None else date.max


class _Ledger:
    """Authorized-until and protection of one admission as its filings unfold."""

    def __init__(self, adm: Admission, program_end: StatusEvent | None) -> None:
        self.adm = adm
        self.until: date | None = adm.admit_until
        if program_end is not None:
            self.until = program_end.day + timedelta(
                days=grace_days(adm.klass, program_end.event, program_end.day)
            )
        self.protecting: list[tuple[date, date | None]] = []  # (filed, decided)
        self.changed: date | None = None

    def apply(self, f: Filing) -> None:
        """Rule 2 for one filing, in order of filing."""
        timely = f.filed is not None and (
            f.benefit == "ADJUSTMENT_OF_STATUS"
            or (self.adm.klass not in VISA_WAIVER and (self.until is None or f.filed <= self.until))
        )
        decision = f.decision
        if timely and f.filed is not None:
            self.protecting.append((f.filed, decision.day if decision is not None else None))
        if decision is None:
            return
        if decision.event == "APPROVED":
            if f.benefit == "EXTENSION_OF_STAY" and decision.valid_until is not None:
                self.until = decision.valid_until
            elif f.benefit != "EXTENSION_OF_STAY":
                self.changed = decision.day if self.changed is None else min(self.changed, decision.day)
        elif timely and decision.event in ("DENIED", "WITHDRAWN") and self.until is not None:
            self.until = max(self.until, decision.day)

    def pending_on(self, day: date, decision_day_counts: bool = False) -> bool:
        """A protecting filing is pending on ``day`` (on its decision day too, if asked: a person leaving
        the day a filing is decided left while it was pending)."""
        return any(
            filed <= day and (decided is None or decided > day or (decision_day_counts and decided == day))
            for filed, decided in self.protecting
        )

    def verdict(self, number: str, departure: date | None, unverified: bool, as_of: date) -> AdmissionTruth:
        """Rules 3 to 5: the first matching status."""
        until = self.until
        if self.changed is not None and (departure is None or self.changed < departure):
            return AdmissionTruth(number, "STATUS_CHANGED", until, None, departure)
        if departure is not None:
            if until is None or departure <= until or self.pending_on(departure, decision_day_counts=True):
                return AdmissionTruth(number, "DEPARTED_TIMELY", until, None, departure)
            return AdmissionTruth(number, "DEPARTED_OVERSTAY", until, (departure - until).days, departure)
        if until is None or as_of <= until:
            return AdmissionTruth(number, "IN_STATUS", until, None)
        if self.pending_on(as_of):
            return AdmissionTruth(number, "PENDING_BENEFIT", until, None)
        status = "DEPARTURE_UNVERIFIED" if unverified else "SUSPECTED_IN_COUNTRY_OVERSTAY"
        return AdmissionTruth(number, status, until, (as_of - until).days)


def admission_truth(
    admissions: Iterable[Admission],
    departures: Iterable[Departure],
    status_events: Iterable[StatusEvent],
    as_of: date,
    known_at: datetime,
) -> list[AdmissionTruth]:
    """Statuses of every admission in force, sorted by admission number."""
    adms: dict[int, list[Admission]] = defaultdict(list)
    deps: dict[int, list[Departure]] = defaultdict(list)
    evs: dict[int, list[StatusEvent]] = defaultdict(list)
    for a in admissions:
        if a.in_force(known_at) and a.admitted_on <= as_of:
            adms[a.person].append(a)
    for d in departures:
        if d.in_force(known_at) and d.day <= as_of:
            deps[d.person].append(d)
    for e in status_events:
        if e.in_force(known_at) and e.day <= as_of:
            evs[e.person].append(e)
    out: list[AdmissionTruth] = []
    for person, own in adms.items():
        out.extend(PersonStatus(own, deps.get(person, []), evs.get(person, []), as_of).all())
    return sorted(out, key=lambda t: t.number)
