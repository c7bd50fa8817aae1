"""The contract's legal holds for the records of a few persons, in plain Python: the rules of
`ilos.adapters.duck.holds` (the reference), step for step. A hold is a row `{pkey, code, start,
last_day, sources}`; `last_day` is its last day in force (None while open-ended)."""

from __future__ import annotations

from datetime import date, timedelta

from ilos.domain.admission_rules import DECISIONS
from ilos.domain.evaluation.calendar import BusinessDays
from ilos.domain.evaluation.common import (
    Row,
    arg_min,
    earliest,
    first_day,
    greatest,
    group,
    least,
    on_or_after,
)
from ilos.domain.evaluation.statuses import Admission, Departure
from ilos.domain.holds import (
    ADMITTING_OUTCOMES_AT_PORT,
    APPEAL_WINDOW_DAYS,
    APPEALABLE_ORDERS,
    ENDS_VALIDITY,
    PRESENCE_ENCOUNTERS,
    PROTECTION_BENEFITS,
    VD_BOND_BUSINESS_DAYS,
    VD_MAX_DAYS_AT_END,
    VD_MAX_DAYS_BEFORE_END,
)

PROTECTION = frozenset(PROTECTION_BENEFITS)


def _hold(pkey: str, code: str, start: date | None, last_day: date | None, sources: str | None) -> Row:
    return {"pkey": pkey, "code": code, "start": start, "last_day": last_day, "sources": sources}


def receipt_holds(sev: list[Row]) -> list[Row]:
    """Holds from filings, per receipt: pending applications, validity of approvals, country bars,
    citizenship claims and DACA."""
    holds: list[Row] = []
    receipts = group(sev, lambda e: (e["pkey"], e["benefit"], e["receipt_number"]))
    for (pkey, benefit, _), rows in receipts.items():
        holds.extend(_pending(pkey, benefit, rows))
        holds.extend(_citizenship(pkey, benefit, rows))
        holds.extend(_daca(pkey, benefit, rows))
    for a in sev:
        if a["event"] == "APPROVED":
            receipt = receipts[(a["pkey"], a["benefit"], a["receipt_number"])]
            holds.extend(_approval(a, first_day(receipt, ENDS_VALIDITY, a["day"])))
    return holds


def _approval(a: Row, cut: date | None) -> list[Row]:
    """TPS valid until its validity ends or is cut; withholding or CAT barring removal to a country until
    the approval is cut."""
    if a["benefit"] == "TPS":
        valid_until = a["valid_until"]
        last = cut if cut is not None and (valid_until is None or cut < valid_until) else valid_until
        return [_hold(a["pkey"], "TPS", greatest(a["day"], a["valid_from"] or a["day"]), last, a["uid"])]
    if a["benefit"] in ("WITHHOLDING", "CAT") and a["country"] is not None:
        return [_hold(a["pkey"], "COUNTRY_BAR:" + a["country"], a["day"], cut, a["uid"])]
    return []


def _pending(pkey: str, benefit: str, rows: list[Row]) -> list[Row]:
    if benefit not in PROTECTION | {"TPS", "U_VISA", "T_VISA"}:
        return []
    filed, filed_uid = earliest([e for e in rows if e["event"] == "FILED"])
    if filed is None:
        return []
    code = (
        "PROTECTION_PENDING" if benefit in PROTECTION else "TPS" if benefit == "TPS" else f"{benefit}_PENDING"
    )
    return [_hold(pkey, code, filed, first_day(rows, DECISIONS, filed), filed_uid)]


def _citizenship(pkey: str, benefit: str, rows: list[Row]) -> list[Row]:
    if benefit != "CITIZENSHIP":
        return []
    claimed, claimed_uid = earliest([e for e in rows if e["event"] in ("CLAIMED", "CONFIRMED")])
    if claimed is None:
        return []
    confirmed, confirmed_uid = earliest([e for e in rows if e["event"] == "CONFIRMED"])
    rejected = first_day(rows, ("REJECTED",), claimed)
    again = confirmed is not None and rejected is not None and rejected < confirmed
    holds = [
        _hold(
            pkey, "CITIZENSHIP_CLAIM", claimed, rejected if confirmed is None or again else None, claimed_uid
        )
    ]
    if again:  # a confirmation after a rejection holds again, for good
        holds.append(_hold(pkey, "CITIZENSHIP_CLAIM", confirmed, None, confirmed_uid))
    return holds


def _daca(pkey: str, benefit: str, rows: list[Row]) -> list[Row]:
    """DACA from its filing (or approval) until a denial, or through the approval's validity."""
    if benefit != "DACA":
        return []
    start, start_uid = earliest([e for e in rows if e["event"] in ("FILED", "APPROVED")])
    if start is None:
        return []
    decisions = [e for e in rows if e["event"] in DECISIONS and e["day"] >= start]
    decision = arg_min(decisions, lambda e: e["event"], lambda e: e["day"])
    decided = least(*(e["day"] for e in decisions))
    if decision is None:
        last = None
    elif decision != "APPROVED":
        last = decided
    else:
        valid_until = arg_min(decisions, lambda e: e["valid_until"], lambda e: e["day"])
        last = least(valid_until, first_day(rows, ENDS_VALIDITY, decided))
    return [_hold(pkey, "DACA", start, last, start_uid)]


def voluntary_departure(court: list[Row], calendar: BusinessDays) -> list[Row]:
    """`vd_period` of the reference: each voluntary-departure grant and the last day of its period, with
    why it ended (`ended_by`, `ended_uid`)."""
    cases = group(court, lambda c: (c["pkey"], c["case_number"]))
    periods = []
    for c in court:
        if c["event"] != "VOLUNTARY_DEPARTURE_GRANTED":
            continue
        bond_by = calendar.business_days_after(c["day"], VD_BOND_BUSINESS_DAYS)
        if bond_by is None:
            continue
        case = cases[(c["pkey"], c["case_number"])]
        before_end = first_day(case, ("APPEAL_WAIVED",), c["day"]) is not None
        posted = first_day(case, ("VD_BOND_POSTED",), c["day"])
        motion, motion_uid = earliest(on_or_after(case, ("MOTION_TO_REOPEN_FILED",), c["day"]))
        longest = c["day"] + timedelta(days=VD_MAX_DAYS_BEFORE_END if before_end else VD_MAX_DAYS_AT_END)
        unbonded = bond_by if not before_end and (posted is None or posted > bond_by) else None
        deadline = least(c["deadline"], longest)
        by_motion = motion is not None and motion <= least(deadline, unbonded)
        ended_by = (
            "MOTION_TO_REOPEN_FILED"
            if by_motion
            else ("BOND_NOT_POSTED" if unbonded is not None and unbonded <= deadline else "PERIOD_ENDED")
        )
        periods.append(
            {
                "pkey": c["pkey"],
                "case_number": c["case_number"],
                "day": c["day"],
                "uid": c["uid"],
                "last_day": least(deadline, unbonded, motion),
                "ended_by": ended_by,
                "ended_uid": motion_uid if by_motion else None,
            }
        )
    return periods


def court_holds(court: list[Row], periods: list[Row], calendar: BusinessDays) -> list[Row]:
    """Stays (and the automatic stay of a motion to reopen an in-absentia order), appeal windows and
    pending appeals, voluntary-departure periods."""
    cases = group(court, lambda c: (c["pkey"], c["case_number"]))
    holds = [h for c in court if (h := _court_hold(c, cases[(c["pkey"], c["case_number"])], calendar))]
    holds.extend(_hold(p["pkey"], "VOLUNTARY_DEPARTURE", p["day"], p["last_day"], p["uid"]) for p in periods)
    return holds


def _court_hold(c: Row, case: list[Row], calendar: BusinessDays) -> Row | None:
    """The hold one court event opens in its case, if any."""
    event, start = c["event"], c["day"]
    if event == "STAY_GRANTED":
        return _hold(c["pkey"], "STAY", start, first_day(case, ("STAY_LIFTED",), start), c["uid"])
    if event == "MOTION_TO_REOPEN_FILED":
        if not any(o["event"] == "IN_ABSENTIA_ORDER" and o["day"] <= start for o in case):
            return None
        return _hold(
            c["pkey"], "STAY", start, first_day(case, ("MOTION_TO_REOPEN_DECIDED",), start), c["uid"]
        )
    if event in APPEALABLE_ORDERS:
        waived = first_day(case, ("APPEAL_WAIVED",), start)
        window = calendar.next_business_on(start + timedelta(days=APPEAL_WINDOW_DAYS))
        if window is None or waived == start:
            return None
        return _hold(c["pkey"], "APPEAL", start, least(window, waived), c["uid"])
    if event == "APPEAL_FILED":
        return _hold(
            c["pkey"],
            "APPEAL",
            start,
            first_day(case, ("APPEAL_DISMISSED", "APPEAL_SUSTAINED"), start),
            c["uid"],
        )
    return None


def departed(admissions: list[Admission], enc: list[Row], verified: list[Departure]) -> list[Row]:
    """A verified departure after the last admission or entry, until the day before the next one (an
    encounter inside the country counts as an entry)."""
    entries: dict[str, set[date]] = {}
    for a in admissions:
        entries.setdefault(a.pkey, set()).add(a.admitted_on)
    for e in enc:
        if e["day"] is not None and (
            e["encounter_type"] in PRESENCE_ENCOUNTERS
            or (e["encounter_type"] == "INADMISSIBLE" and e["outcome"] in ADMITTING_OUTCOMES_AT_PORT)
        ):
            entries.setdefault(e["pkey"], set()).add(e["day"])
    spans: dict[tuple[str, date | None, date | None], list[Departure]] = {}
    for v in verified:
        days = entries.get(v.pkey, set())
        lower = max((d for d in days if d <= v.day), default=None)
        upper = min((d for d in days if d > v.day), default=None)
        spans.setdefault((v.pkey, lower, upper), []).append(v)
    return [
        _hold(
            pkey,
            "DEPARTED",
            min(v.day for v in vs),
            upper - timedelta(days=1) if upper else None,
            arg_min(vs, lambda v: v.sources, lambda v: v.day),
        )
        for (pkey, _, upper), vs in spans.items()
    ]


def compute_holds(
    sev: list[Row],
    court: list[Row],
    enc: list[Row],
    admissions: list[Admission],
    verified: list[Departure],
    calendar: BusinessDays,
) -> tuple[list[Row], list[Row]]:
    """Every hold of the persons of the rows, and the voluntary-departure periods facts read."""
    periods = voluntary_departure(court, calendar)
    holds = receipt_holds(sev) + court_holds(court, periods, calendar) + departed(admissions, enc, verified)
    return holds, periods
