"""Ground truth: legal holds per person (the contract's Legal holds table), including ended ones.

A hold is (code, start, end): ``end`` is the date of the event that ended it, or the last day
of a window or validity (which may lie after the as-of date); ``None`` while open-ended.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from .federal_calendar import next_business_day
from .truth_status import verified_departures
from .world import Admission, CourtEvent, Departure, Encounter, Record, StatusEvent

APPEAL_DAYS = 30
#: The contract's hold table: a window after every order but an in-absentia one (not the law, which
#: allows no appeal to the Board from expedited, reinstated or administrative removal orders).
APPEALABLE = frozenset(
    {"REMOVAL_ORDERED", "EXPEDITED_REMOVAL_ORDER", "REINSTATEMENT_ORDER", "ADMINISTRATIVE_REMOVAL_ORDER"}
)
VD_BOND_BUSINESS_DAYS = 5
PROTECTION = frozenset({"ASYLUM", "WITHHOLDING", "CAT"})
DECIDED = frozenset({"APPROVED", "DENIED", "WITHDRAWN", "REVOKED", "EXPIRED", "TERMINATED", "REJECTED"})
ENDS_VALIDITY = frozenset({"REVOKED", "TERMINATED", "WITHDRAWN", "EXPIRED"})
APPEAL_DECIDED = frozenset({"APPEAL_DISMISSED", "APPEAL_SUSTAINED"})
PENDING_FLAGS = {"U_VISA": "U_VISA_PENDING", "T_VISA": "T_VISA_PENDING"}


@dataclass(frozen=True, slots=True, order=True)
class Hold:
    """One hold of one person."""

    person: str
    code: str
    start: date
    end: date | None


Span = tuple[str, date, date | None]


def appeal_window_end(order_day: date) -> date:
    """Last day of the appeal window: 30 days, moved to the next business day."""
    return next_business_day(order_day + timedelta(days=APPEAL_DAYS))


def _first(
    events: list[StatusEvent] | list[CourtEvent], names: frozenset[str] | set[str], after: date
) -> date | None:
    """Day of the first event named in ``names`` on or after ``after``."""
    days = [e.day for e in events if e.event in names and e.day >= after]
    return min(days) if days else None


def _receipts(events: list[StatusEvent]) -> dict[tuple[str, str], list[StatusEvent]]:
    groups: dict[tuple[str, str], list[StatusEvent]] = defaultdict(list)
    for ev in sorted(events, key=lambda e: (e.day, e.key)):
        groups[(ev.benefit, ev.receipt)].append(ev)
    return groups


def status_holds(events: list[StatusEvent]) -> list[Span]:
    """Holds sourced from filings and decisions."""
    out: list[Span] = []
    for (benefit, _), evs in sorted(_receipts(events).items()):
        if benefit == "CITIZENSHIP":
            out += _citizenship(evs)
        elif benefit in PROTECTION:
            out += _pending(evs, "PROTECTION_PENDING") + _country_bar(evs)
        elif benefit == "TPS":
            out += _pending(evs, "TPS") + _validity(evs, "TPS")
        elif benefit == "DACA":
            out += _daca(evs)
        elif benefit in PENDING_FLAGS:
            out += _pending(evs, PENDING_FLAGS[benefit])
    return out


def _pending(evs: list[StatusEvent], code: str) -> list[Span]:
    """From FILED until the first decision."""
    filed = _first(evs, {"FILED"}, date.min)
    if filed is None:
        return []
    return [(code, filed, _first(evs, DECIDED, filed))]


def _validity(evs: list[StatusEvent], code: str) -> list[Span]:
    """Each approval, valid from its start (or its date) to its last valid day."""
    out: list[Span] = []
    for ev in evs:
        if ev.event != "APPROVED":
            continue
        start = max(ev.day, ev.valid_from) if ev.valid_from else ev.day
        end = ev.valid_until
        cut = _first(evs, ENDS_VALIDITY, ev.day)
        if cut is not None and (end is None or cut < end):
            end = cut
        if end is None or start <= end:
            out.append((code, start, end))
    return out


def _country_bar(evs: list[StatusEvent]) -> list[Span]:
    out: list[Span] = []
    for ev in evs:
        if ev.event == "APPROVED" and ev.country and ev.benefit in ("WITHHOLDING", "CAT"):
            out.append((f"COUNTRY_BAR:{ev.country}", ev.day, _first(evs, ENDS_VALIDITY, ev.day)))
    return out


def _citizenship(evs: list[StatusEvent]) -> list[Span]:
    claimed = _first(evs, {"CLAIMED"}, date.min)
    confirmed = _first(evs, {"CONFIRMED"}, date.min)
    start = claimed or confirmed
    if start is None:
        return []
    rejected = _first(evs, {"REJECTED"}, start)
    if confirmed is not None and rejected is not None and rejected < confirmed:  # confirmed after a rejection
        return [("CITIZENSHIP_CLAIM", start, rejected), ("CITIZENSHIP_CLAIM", confirmed, None)]
    end = rejected if confirmed is None else None
    return [("CITIZENSHIP_CLAIM", start, end)]


def _daca(evs: list[StatusEvent]) -> list[Span]:
    """From the filing until a denial or withdrawal, or through the approved validity."""
    start = _first(evs, {"FILED", "APPROVED"}, date.min)
    if start is None:
        return []
    decision = next((e for e in evs if e.event in DECIDED and e.day >= start), None)
    if decision is None:
        return [("DACA", start, None)]
    if decision.event != "APPROVED":
        return [("DACA", start, decision.day)]
    end = decision.valid_until
    cut = _first(evs, ENDS_VALIDITY, decision.day)
    if cut is not None and (end is None or cut < end):
        end = cut
    return [("DACA", start, end)]


def court_holds(events: list[CourtEvent]) -> list[Span]:
    """Holds sourced from court cases: stays, appeal windows and appeals, voluntary departure."""
    cases: dict[str, list[CourtEvent]] = defaultdict(list)
    for ev in sorted(events, key=lambda e: (e.day, e.key)):
        cases[ev.case].append(ev)
    out: list[Span] = []
    for _, evs in sorted(cases.items()):
        out += _stays(evs) + _appeals(evs)
        out += [_voluntary_departure(e, evs) for e in evs if e.event == "VOLUNTARY_DEPARTURE_GRANTED"]
    return out


def bond_deadline(granted: date) -> date:
    """The last day to post a voluntary-departure bond: the 5th business day after the grant."""
    day = granted
    for _ in range(VD_BOND_BUSINESS_DAYS):
        day = next_business_day(day + timedelta(days=1))
    return day


def _voluntary_departure(grant: CourtEvent, evs: list[CourtEvent]) -> Span:
    """The period runs to its deadline. With the appeal waived (on the grant's day or later) it was granted
    before the end of proceedings: at most 120 days. Otherwise at the end: at most 60 days, and vacated on
    the 5th business day when no bond was posted by then (8 CFR 1240.26(c)(3)). A motion to reopen filed
    during the period ends it (the alternate order of removal takes effect)."""
    before_end = _first(evs, {"APPEAL_WAIVED"}, grant.day) is not None
    longest = grant.day + timedelta(days=120 if before_end else 60)
    ends = [longest if grant.deadline is None else min(grant.deadline, longest)]
    posted, bond_by = _first(evs, {"VD_BOND_POSTED"}, grant.day), bond_deadline(grant.day)
    if not before_end and (posted is None or posted > bond_by):
        ends.append(bond_by)
    motion = _first(evs, {"MOTION_TO_REOPEN_FILED"}, grant.day)
    if motion is not None:
        ends.append(motion)
    return ("VOLUNTARY_DEPARTURE", grant.day, min(ends))


def _stays(evs: list[CourtEvent]) -> list[Span]:
    out: list[Span] = []
    for ev in evs:
        if ev.event == "STAY_GRANTED":
            out.append(("STAY", ev.day, _first(evs, {"STAY_LIFTED"}, ev.day)))
        elif ev.event == "MOTION_TO_REOPEN_FILED" and any(
            o.event == "IN_ABSENTIA_ORDER" and o.day <= ev.day for o in evs
        ):
            out.append(("STAY", ev.day, _first(evs, {"MOTION_TO_REOPEN_DECIDED"}, ev.day)))
    return out


def _appeals(evs: list[CourtEvent]) -> list[Span]:
    out: list[Span] = []
    for ev in evs:
        if ev.event in APPEALABLE:
            waived = _first(evs, {"APPEAL_WAIVED"}, ev.day)
            if waived == ev.day:
                continue
            end = appeal_window_end(ev.day)
            out.append(("APPEAL", ev.day, min(end, waived) if waived else end))
        elif ev.event == "APPEAL_FILED":
            out.append(("APPEAL", ev.day, _first(evs, APPEAL_DECIDED, ev.day)))
    return out


def _inside(e: Encounter) -> bool:
    """The encounter shows the person inside the country (an entry for `DEPARTED`)."""
    if e.encounter_type in ("APPREHENSION", "INTERIOR_ARREST", "CHECK_IN"):
        return True
    return e.encounter_type == "INADMISSIBLE" and e.outcome in ("PAROLED", "RELEASED_NTA", "RELEASED_ATD")


def departed_holds(adms: list[Admission], encounters: list[Encounter], deps: list[Departure]) -> list[Span]:
    """A verified departure after the last admission or entry, until the day before the next one (on the
    day of that entry, the departure is no longer after the last entry)."""
    entries = sorted({a.admitted_on for a in adms} | {e.day for e in encounters if _inside(e)})
    verified = sorted(v.day for v in verified_departures(deps)[0])
    out: list[Span] = []
    bounds: list[date | None] = [None, *entries]
    for i, lower in enumerate(bounds):
        upper = bounds[i + 1] if i + 1 < len(bounds) else None
        inside = [d for d in verified if (lower is None or d >= lower) and (upper is None or d < upper)]
        if inside:
            out.append(("DEPARTED", inside[0], upper - timedelta(days=1) if upper else None))
    return out


R = TypeVar("R", bound=Record)


def by_person(records: Iterable[R], as_of: date, known_at: datetime) -> dict[int, list[R]]:
    """Records in force at ``known_at`` and dated on or before ``as_of``, per person."""
    out: dict[int, list[R]] = defaultdict(list)
    for rec in records:
        day = rec.event_day()
        if rec.in_force(known_at) and day is not None and day <= as_of:
            out[rec.person].append(rec)
    return out


def holds_truth(
    persons: list[str],
    admissions: Iterable[Admission],
    departures: Iterable[Departure],
    status_events: Iterable[StatusEvent],
    court_events: Iterable[CourtEvent],
    encounters: Iterable[Encounter],
    as_of: date,
    known_at: datetime,
) -> list[Hold]:
    """All holds of all persons (``persons`` maps person index to true_person_id), sorted."""
    adms = by_person(admissions, as_of, known_at)
    deps = by_person(departures, as_of, known_at)
    evs = by_person(status_events, as_of, known_at)
    court = by_person(court_events, as_of, known_at)
    meets = by_person(encounters, as_of, known_at)
    out: set[Hold] = set()
    for idx in set(adms) | set(deps) | set(evs) | set(court) | set(meets):
        spans = status_holds(evs.get(idx, [])) + court_holds(court.get(idx, []))
        spans += departed_holds(adms.get(idx, []), meets.get(idx, []), deps.get(idx, []))
        out.update(Hold(persons[idx], code, start, end) for code, start, end in spans)
    return sorted(out, key=lambda h: (h.person, h.code, h.start, h.end or date.max))
