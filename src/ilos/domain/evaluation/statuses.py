"""The contract's admission status rules for the records of a few persons, in plain Python.

The same rules as `ilos.adapters.duck.admission_status` (the reference, set-at-a-time over every
admission), step for step and with the same ties, for the records of one person and their relatives:
a re-rank or a stream event needs a handful of rows judged in a millisecond, where a DuckDB statement
costs one. `tests/integration/test_evaluation.py` holds the two to the same answers on generated worlds.
Rows come in as the reader gives them (text columns, `uid`, `person_id`, `source_record_id`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from ilos.domain.admission_rules import (
    ADJUSTMENT,
    DECISIONS,
    EXTENSION,
    PROGRAM_ENDS,
    PROTECTION_ENDING,
    SELF_REPORTED,
    STAY_FILINGS,
    STUDENT_PROGRAM,
    AdmissionRules,
)
from ilos.domain.evaluation.common import Row, blank, day, greatest, group, least

FAR_FUTURE = date(9999, 12, 31)


@dataclass(slots=True)
class Admission:
    """An admission in force on the as-of date (table `adm`)."""

    aid: int
    number: str
    person_id: str | None
    pkey: str
    klass: str | None
    citizenship: str | None
    mode: str | None
    admitted_on: date
    admit_until_text: str | None
    admit_until: date | None
    uid: str


@dataclass(slots=True)
class Departure:
    """A departure dated on or before the as-of date (`dep`), or a verified one (`verified`: its day
    and number may come from the record corroborating a self-report, `sources` names both)."""

    pkey: str
    day: date
    evidence: str
    source_system: str
    number: str | None
    uid: str
    sources: str = ""

    @property
    def self_reported(self) -> bool:
        return self.evidence == SELF_REPORTED


@dataclass(slots=True)
class Filing:
    """A stay filing: its status events grouped by receipt (`filing`)."""

    pkey: str
    receipt_number: str | None
    benefit: str
    filed: date | None
    decision: str | None
    decided: date | None
    decision_valid_until: date | None
    number: str | None
    first_day: date
    first_not_filed: bool
    first_key: str
    sources: str
    no_change: bool = False
    timely: bool = False


@dataclass
class Judged:
    """Every step's result a later rule reads: admissions, departures, verified departures, and one
    status row per admission (the columns of the SQL `status` view)."""

    admissions: list[Admission]
    departures: list[Departure]
    verified: list[Departure]
    statuses: list[Row] = field(default_factory=list)


def judge(inputs: dict[str, list[Row]], as_of: date, rules: AdmissionRules) -> Judged:
    """Statuses of every admission among `inputs` (`arrivals`, `departures`, `status_events`)."""
    admissions = _admissions(inputs["arrivals"], as_of)
    departures = [
        Departure(
            r["person_id"] or r["uid"],
            d,
            r["evidence"],
            r["source_system"],
            blank(r["admission_number"]),
            r["uid"],
        )
        for r in inputs["departures"]
        if (d := day(r["departure_date"])) is not None and d <= as_of
    ]
    events = _events(inputs["status_events"], as_of)
    verified, alone = _verified(departures, rules)
    windows = _Windows(admissions)
    by_number = {a.number: a for a in admissions}
    ending = _ending(verified, windows, by_number)
    unverified = _ending(alone, windows, by_number)
    untils = {a.aid: _until0(a, events, rules) for a in admissions}
    filings = _filings(events, windows, by_number, rules)
    judged = Judged(admissions, departures, verified)
    for a in admissions:
        until, changed, protecting = _ledger(untils[a.aid], filings.get(a.aid, []))
        judged.statuses.append(
            _verdict(a, until, changed, protecting, ending.get(a.aid), unverified.get(a.aid), as_of)
        )
    return judged


def _admissions(rows: list[Row], as_of: date) -> list[Admission]:
    """`adm`: admissions on or before the as-of date, one per number (the smallest record uid kept)."""
    kept: dict[str, Row] = {}
    for r in rows:
        admitted = day(r["admitted_on"])
        if admitted is None or admitted > as_of:
            continue
        number = r["admission_number"]
        if number not in kept or r["uid"] < kept[number]["uid"]:
            kept[number] = r
    return [
        Admission(
            i,
            r["admission_number"],
            r["person_id"],
            r["person_id"] or r["uid"],
            r["class_of_admission"],
            r["citizenship"],
            r["mode"],
            admitted,
            r["admit_until"],
            day(r["admit_until"]),
            r["uid"],
        )
        for i, r in enumerate(kept.values())
        if (admitted := day(r["admitted_on"])) is not None
    ]


def _events(rows: list[Row], as_of: date) -> list[Row]:
    """`ev`: stay filings and student program ends dated on or before the as-of date."""
    out = []
    for r in rows:
        d = day(r["event_date"])
        if d is None or d > as_of:
            continue
        if r["benefit"] in STAY_FILINGS or (r["benefit"] == STUDENT_PROGRAM and r["event"] in PROGRAM_ENDS):
            out.append(
                {
                    "pkey": r["person_id"] or r["uid"],
                    "receipt_number": r["receipt_number"],
                    "benefit": r["benefit"],
                    "event": r["event"],
                    "day": d,
                    "valid_until": day(r["valid_until"]),
                    "number": blank(r["admission_number"]),
                    "key": r["source_record_id"],
                    "uid": r["uid"],
                }
            )
    return out


class _Windows:
    """Per person, the admission whose window (to the person's next admission) holds a date: the last
    admission of the latest admission day on or before it (`adm_window` and its as-of join)."""

    def __init__(self, admissions: Iterable[Admission]) -> None:
        last: dict[tuple[str, date], Admission] = {}
        for a in admissions:
            key = (a.pkey, a.admitted_on)
            if key not in last or a.number > last[key].number:
                last[key] = a
        self._days: dict[str, list[date]] = {}
        self._admissions: dict[str, list[Admission]] = {}
        for (pkey, admitted), a in sorted(last.items(), key=lambda kv: kv[0]):
            self._days.setdefault(pkey, []).append(admitted)
            self._admissions.setdefault(pkey, []).append(a)

    def at(self, pkey: str, when: date) -> Admission | None:
        days = self._days.get(pkey)
        if not days:
            return None
        i = bisect_right(days, when)
        return self._admissions[pkey][i - 1] if i else None


def _verified(departures: list[Departure], rules: AdmissionRules) -> tuple[list[Departure], list[Departure]]:
    """Departures verified (a self-report once another source records a departure within the window in
    force on its day) and self-reports left alone."""
    by_person = group(departures, lambda d: d.pkey)
    verified, alone = [], []
    for d in departures:
        if not d.self_reported:
            verified.append(Departure(d.pkey, d.day, d.evidence, d.source_system, d.number, d.uid, d.uid))
            continue
        partners = [
            p
            for w in rules.self_report_corroboration
            if w.effective_from <= d.day <= (w.effective_until or FAR_FUTURE)
            for p in by_person[d.pkey]
            if p.source_system != d.source_system and abs((p.day - d.day).days) <= w.days
        ]
        if not partners:
            alone.append(Departure(d.pkey, d.day, d.evidence, d.source_system, d.number, d.uid, d.uid))
            continue
        numbered = [p for p in partners if p.number is not None]
        number = min(numbered, key=lambda p: (p.day, p.uid)).number if numbered else None
        sources = ";".join([d.uid, *sorted(p.uid for p in partners)])
        first = min(p.day for p in partners)
        verified.append(
            Departure(
                d.pkey, least(d.day, first), d.evidence, d.source_system, d.number or number, d.uid, sources
            )
        )
    return verified, alone


def _ending(
    departures: list[Departure], windows: _Windows, by_number: dict[str, Admission]
) -> dict[int, Departure]:
    """Per admission, the earliest departure in its window or carrying its number and dated on or after
    its admission (a record of its own before a self-report on the same day, then by uid)."""
    best: dict[int, Departure] = {}

    def offer(aid: int, d: Departure) -> None:
        held = best.get(aid)
        if held is None or (d.day, d.self_reported, d.uid) < (held.day, held.self_reported, held.uid):
            best[aid] = d

    for d in departures:
        window = windows.at(d.pkey, d.day)
        if window is not None:
            offer(window.aid, d)
        numbered = by_number.get(d.number) if d.number is not None else None
        if numbered is not None and numbered is not window and d.day >= numbered.admitted_on:
            offer(numbered.aid, d)
    return best


def _until0(a: Admission, events: list[Row], rules: AdmissionRules) -> date | None:
    """Authorized-until before any filing: the admit-until date, or a D/S program end plus the grace
    period in force on its date (the latest program end on or after the admission)."""
    if a.admit_until is not None or a.admit_until_text != "D/S":
        return a.admit_until
    ends = [
        e
        for e in events
        if e["benefit"] == STUDENT_PROGRAM and e["pkey"] == a.pkey and e["day"] >= a.admitted_on
    ]
    if not ends:
        return None
    end = max(ends, key=lambda e: (e["day"], e["key"], e["uid"]))
    letter = (a.klass or "")[:1]
    grace = [
        g
        for g in rules.grace_periods
        if a.klass
        and g.class_letter == letter
        and g.program_end == end["event"]
        and g.effective_from <= end["day"] <= (g.effective_until or FAR_FUTURE)
    ]
    days = max(grace, key=lambda g: g.effective_from).days if grace else 0
    return end["day"] + timedelta(days=days)  # type: ignore[no-any-return]


def _filings(
    events: list[Row], windows: _Windows, by_number: dict[str, Admission], rules: AdmissionRules
) -> dict[int, list[Filing]]:
    """Stay filings matched to an admission (by number, else by the window of their first day), in
    filing order per admission."""
    matched: dict[int, list[tuple[Filing, Admission]]] = {}
    stay = [e for e in events if e["benefit"] in STAY_FILINGS]
    for rows in group(stay, lambda e: (e["pkey"], e["receipt_number"])).values():
        f = _filing(rows)
        a = by_number.get(f.number) if f.number is not None else windows.at(f.pkey, f.first_day)
        if a is not None:
            f.no_change = any(
                a.klass in r.classes
                and r.effective_from <= (f.filed or f.first_day) <= (r.effective_until or FAR_FUTURE)
                for r in rules.no_extension_or_change
            )
            matched.setdefault(a.aid, []).append((f, a))
    return {aid: sorted((f for f, _ in pairs), key=_filing_order) for aid, pairs in matched.items()}


def _filing_order(f: Filing) -> tuple[object, ...]:
    receipt = (f.receipt_number is None, f.receipt_number or "")
    return (f.filed or f.decided or FAR_FUTURE, f.first_day, f.first_not_filed, f.first_key, receipt)


def _filing(rows: list[Row]) -> Filing:
    ordered = sorted(rows, key=lambda e: (e["day"], e["event"] != "FILED", e["key"], e["uid"]))
    decisions = sorted(
        (e for e in rows if e["event"] in DECISIONS), key=lambda e: (e["day"], e["key"], e["uid"])
    )
    first = ordered[0]
    decision = decisions[0] if decisions else None
    numbers = [e["number"] for e in ordered if e["number"] is not None]
    return Filing(
        first["pkey"],
        first["receipt_number"],
        first["benefit"],
        min((e["day"] for e in rows if e["event"] == "FILED"), default=None),
        decision["event"] if decision else None,
        decision["day"] if decision else None,
        decision["valid_until"] if decision else None,
        numbers[0] if numbers else None,
        min(e["day"] for e in rows),
        first["event"] != "FILED",
        first["key"],
        ";".join(e["uid"] for e in ordered),
    )


def _ledger(until: date | None, filings: list[Filing]) -> tuple[date | None, date | None, list[Filing]]:
    """Authorized-until and the day of a change of status after each filing in order, and the filings
    that protect (timely)."""
    changed: date | None = None
    protecting = []
    for f in filings:
        timely = f.filed is not None and (
            f.benefit == ADJUSTMENT or (not f.no_change and (until is None or f.filed <= until))
        )
        if f.decision == "APPROVED" and f.benefit != EXTENSION:
            changed = least(changed or f.decided, f.decided)
        if f.decision == "APPROVED" and f.benefit == EXTENSION and f.decision_valid_until is not None:
            until = f.decision_valid_until
        elif f.decision in PROTECTION_ENDING and timely and until is not None:
            until = greatest(until, f.decided)
        if timely:
            protecting.append(f)
    return until, changed, protecting


def _verdict(
    a: Admission,
    until: date | None,
    changed: date | None,
    protecting: list[Filing],
    departed: Departure | None,
    unverified: Departure | None,
    as_of: date,
) -> Row:
    """Rules 4 and 5: the first status that matches."""
    dep_day = departed.day if departed else None
    at_departure = dep_day is not None and any(
        f.filed <= dep_day and (f.decided is None or f.decided >= dep_day)  # type: ignore[operator]
        for f in protecting
    )
    at_as_of = any(f.filed <= as_of and (f.decided is None or f.decided > as_of) for f in protecting)  # type: ignore[operator]
    if changed is not None and (dep_day is None or changed < dep_day):
        status = "STATUS_CHANGED"
    elif dep_day is not None and (until is None or dep_day <= until or at_departure):
        status = "DEPARTED_TIMELY"
    elif dep_day is not None:
        status = "DEPARTED_OVERSTAY"
    elif until is None or as_of <= until:
        status = "IN_STATUS"
    elif at_as_of:
        status = "PENDING_BENEFIT"
    elif unverified is not None:
        status = "DEPARTURE_UNVERIFIED"
    else:
        status = "SUSPECTED_IN_COUNTRY_OVERSTAY"
    return {
        "admission_number": a.number,
        "person_id": a.person_id,
        "klass": a.klass,
        "citizenship": a.citizenship,
        "mode": a.mode,
        "admitted_on": a.admitted_on,
        "admit_until_text": a.admit_until_text,
        "until": until,
        "changed": changed,
        "dep_day": dep_day,
        "dep_evidence": departed.evidence if departed else None,
        "dep_sources": departed.sources if departed else None,
        "unverified_day": unverified.day if unverified else None,
        "unverified_sources": unverified.sources if unverified else None,
        "uid": a.uid,
        "pending_at_departure": at_departure,
        "pending_at_as_of": at_as_of,
        "status": status,
    }
