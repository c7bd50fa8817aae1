"""Facts of one person for policy rules, in plain Python: the rules of `ilos.adapters.duck.facts`
(the reference), step for step. A person's facts are a row with each fact of the allow-list and
`src_<fact>`, the `;`-joined uids of the records it rests on."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from ilos.domain.evaluation.calendar import BusinessDays
from ilos.domain.evaluation.common import (
    Row,
    arg_max,
    arg_min,
    earliest,
    greatest,
    group,
    joined,
    least,
    on_or_after,
)
from ilos.domain.evaluation.statuses import Admission, Departure
from ilos.domain.facts import CONVICTION_CATEGORIES, DISPOSING_STAGES, FACTS, FactType
from ilos.domain.holds import APPEAL_WINDOW_DAYS, APPEALABLE_ORDERS, FINAL_AT_ONCE_ORDERS, UNDOING_EVENTS

ORDERS = frozenset((*APPEALABLE_ORDERS, *FINAL_AT_ONCE_ORDERS))
SUSPECTED = ("SUSPECTED_IN_COUNTRY_OVERSTAY", "DEPARTURE_UNVERIFIED")


def _latest(rows: list[Row]) -> Row | None:
    """The row first by day, then uid, descending."""
    return max(rows, key=lambda r: (r["day"], r["uid"])) if rows else None


def _matters(crim: list[Row]) -> tuple[list[Row], list[Row]]:
    """`matter` (one per incident: a conviction in force until vacated, its expungement, or pending) and
    `matter_count` (one per category of its convictions)."""
    matters, counts = [], []
    for _, rows in group(crim, lambda c: (c["pkey"], c["incident_id"])).items():
        convictions = [r for r in rows if r["stage"] == "CONVICTION"]
        convicted = max((r["day"] for r in convictions), default=None)
        vacated = max((r["day"] for r in rows if r["stage"] == "VACATED"), default=None)
        expunged = [r for r in rows if r["stage"] == "EXPUNGED"]
        in_force = convicted is not None and (vacated is None or vacated < convicted)
        last_expunged = _latest(expunged)
        charges = joined(r["uid"] for r in rows if r["stage"] in ("ARREST", "CHARGE"))
        matters.append(
            {
                "pkey": rows[0]["pkey"],
                "convicted": convicted,
                "in_force": in_force,
                "expunged": max(r["day"] for r in expunged) if expunged else None,
                "expunged_uid": last_expunged["uid"] if last_expunged else None,
                "disposed": any(r["stage"] in DISPOSING_STAGES for r in rows),
                "charge_uids": charges,
            }
        )
        for category, of in group(convictions, lambda r: r["category"]).items():
            counts.append(
                {
                    "pkey": rows[0]["pkey"],
                    "category": category,
                    "convicted": max(r["day"] for r in of),
                    "gang": any(r["gang"] for r in of),
                    "conviction_uid": _latest(of)["uid"],  # type: ignore[index]
                    "in_force": in_force,
                }
            )
    return matters, counts


def _criminal_facts(matters: list[Row], counts: list[Row]) -> Row:
    out: Row = {}
    live = [m for m in counts if m["in_force"]]
    for c in CONVICTION_CATEGORIES:
        of = [m for m in live if m["category"] == c]
        out[f"convictions_{c.lower()}"] = len(of) if counts else None
        out[f"src_convictions_{c.lower()}"] = joined(m["conviction_uid"] for m in of)
    dated = [m for m in live if m["category"] is not None and m["category"] != "INFRACTION"]
    out["last_conviction_on"] = max((m["convicted"] for m in dated), default=None)
    out["src_last_conviction_on"] = arg_max(dated, lambda m: m["conviction_uid"], lambda m: m["convicted"])
    out["gang_conviction"] = any(m["gang"] for m in live) if counts else None
    out["src_gang_conviction"] = joined(m["conviction_uid"] for m in live if m["gang"])
    expunged = [
        m for m in matters if m["in_force"] and m["expunged"] is not None and m["expunged"] >= m["convicted"]
    ]
    pending = [m for m in matters if not m["disposed"]]
    out["convictions_expunged"] = len(expunged) if matters else None
    out["src_convictions_expunged"] = joined(m["expunged_uid"] for m in expunged)
    out["pending_criminal_matters"] = len(pending) if matters else None
    out["src_pending_criminal_matters"] = joined(m["charge_uids"] for m in pending)
    return out


def case_orders(court: list[Row], periods: list[Row], calendar: BusinessDays) -> list[Row]:
    """`case_order`: per court case the latest removal order not undone, the day it is (or becomes) final,
    and whether the case is open."""
    by_grant = {(p["pkey"], p["uid"]): p for p in periods}
    return [
        _case_order(pkey, case, by_grant, calendar)
        for (pkey, _), case in group(court, lambda c: (c["pkey"], c["case_number"])).items()
    ]


def _case_order(pkey: str, case: list[Row], by_grant: dict[Any, Row], calendar: BusinessDays) -> Row:
    order = _latest([c for c in case if c["event"] in ORDERS])
    day, uid = (order["day"], order["uid"]) if order else (None, None)
    grants = [c for c in case if c["event"] == "VOLUNTARY_DEPARTURE_GRANTED"]
    vd_day = max((c["day"] for c in grants), default=None)
    vd_uid = arg_max(grants, lambda c: c["uid"], lambda c: c["day"])
    ntas = [c for c in case if c["event"] == "NTA_FILED"]
    waived, waived_uid = earliest(on_or_after(case, ("APPEAL_WAIVED",), day))
    appealed, _ = earliest(on_or_after(case, ("APPEAL_FILED",), day))
    undone, _ = earliest(on_or_after(case, UNDOING_EVENTS, greatest(day, vd_day)))
    dismissed, dismissal_uid = earliest(on_or_after(case, ("APPEAL_DISMISSED",), appealed))
    window = calendar.next_business_on(day + timedelta(days=APPEAL_WINDOW_DAYS)) if day else None
    # an appeal filed within the window holds finality until it is dismissed (a voluntary-departure period
    # too); one filed after the window closed leaves the order final
    timely = appealed is not None and (day is None or (window is not None and appealed <= window))
    vd = vd_day is not None and (day is None or vd_day >= day)
    period = by_grant.get((pkey, vd_uid))
    order_uid: str | None = uid
    if timely and dismissal_uid is not None:
        order_uid = f"{uid};{dismissal_uid}"
    elif vd:
        order_uid = ";".join(u for u in (vd_uid, period["ended_uid"] if period else None) if u is not None)
    elif waived is not None:
        order_uid = f"{uid};{waived_uid}"
    final_on: date | None
    if undone is not None:
        final_on = None
    elif order is not None and order["event"] in FINAL_AT_ONCE_ORDERS:
        final_on = day
    elif timely:
        final_on = dismissed
    elif vd:
        final_on = period["last_day"] + timedelta(days=1) if period and period["last_day"] else None
    else:
        final_on = waived or (window + timedelta(days=1) if window else None)
    return {
        "pkey": pkey, "nta": bool(ntas), "nta_uid": arg_min(ntas, lambda c: c["uid"], lambda c: c["day"]),
        "closed": any(c["event"] in ("RELIEF_GRANTED", "TERMINATED") for c in case),
        "ordered": day is not None or vd_day is not None, "order_uid": order_uid, "final_on": final_on,
        "undone": undone is not None,
    }  # fmt: skip


def _court_facts(orders: list[Row], as_of: date) -> Row:
    final = [o for o in orders if o["final_on"] is not None and o["final_on"] <= as_of]
    pending = [
        o for o in orders if o["ordered"] and not o["undone"] and (o["final_on"] is None or o["final_on"] > as_of)
    ]  # fmt: skip
    open_ = [o for o in orders if o["nta"] and (not o["ordered"] or o["undone"]) and not o["closed"]]
    return {
        "final_order": bool(final), "src_final_order": joined(o["order_uid"] for o in final),
        "final_order_on": max((o["final_on"] for o in final), default=None),
        "src_final_order_on": arg_max(final, lambda o: o["order_uid"], lambda o: o["final_on"]),
        "removal_order_pending": bool(pending), "src_removal_order_pending": joined(o["order_uid"] for o in pending),
        "in_proceedings": bool(open_), "src_in_proceedings": joined(o["nta_uid"] for o in open_),
    }  # fmt: skip


def _years(later: date, earlier: date | None) -> int | None:
    """Whole years from `earlier` to `later`."""
    if earlier is None:
        return None
    return later.year - earlier.year - (1 if (later.month, later.day) < (earlier.month, earlier.day) else 0)


def _age(person: str, dob: list[Row], as_of: date) -> tuple[int | None, str | None]:
    """Age from the date of birth most of the person's records carry (the earliest of equals)."""
    tally: Counter[date] = Counter()
    first_uid: dict[date, str] = {}
    for r in dob:
        if r["person_id"] == person and r["dob"] is not None:
            tally[r["dob"]] += 1
            first_uid[r["dob"]] = min(first_uid.get(r["dob"], r["uid"]), r["uid"])
    if not tally:
        return None, None
    chosen = max(tally, key=lambda d: (tally[d], -d.toordinal()))
    return _years(as_of, chosen), first_uid[chosen]


def person_facts(
    person: str,
    records: dict[str, list[Row]],
    statuses: list[Row],
    admissions: list[Admission],
    departures: list[Departure],
    periods: list[Row],
    calendar: BusinessDays,
    as_of: date,
) -> Row:
    """The facts row of `person` from the typed rows of `records` (`crim`, `court`, `enc`, `desig`, `sev`,
    `rel`, `dob`)."""
    mine = {name: [r for r in rows if r.get("pkey") == person] for name, rows in records.items()}
    matters, counts = _matters(mine["crim"])
    row: Row = {"person_id": person}
    row |= _criminal_facts(matters, counts) if matters else {}
    row |= _court_facts(
        case_orders(mine["court"], [p for p in periods if p["pkey"] == person], calendar), as_of
    )
    row |= _other_facts(person, records, mine, statuses, departures, as_of)
    age, age_uid = _age(person, records["dob"], as_of)
    entries = [(a.admitted_on, a.uid) for a in admissions if a.pkey == person] + [
        (e["day"], e["uid"]) for e in mine["enc"] if e["encounter_type"] == "APPREHENSION"
    ]
    first_entry = least(*(d for d, _ in entries))
    row |= {
        "age": age,
        "src_age": age_uid,
        "years_in_us": _years(as_of, first_entry),
        "src_years_in_us": arg_min(entries, lambda e: e[1], lambda e: e[0]),
    }
    return _filled(row)


def _other_facts(
    person: str,
    records: dict[str, list[Row]],
    mine: dict[str, list[Row]],
    statuses: list[Row],
    departures: list[Departure],
    as_of: date,
) -> Row:
    latest = [_latest(rows) for rows in group(mine["desig"], lambda d: d["designation_id"]).values()]
    added = [d for d in latest if d is not None and d["event"] == "ADDED"]
    removals = [d for d in departures if d.pkey == person and d.evidence == "REMOVAL_EXECUTED"]
    apprehended = [
        e for e in mine["enc"] if e["encounter_type"] == "APPREHENSION" and e["agency"] == "CBP_BORDER"
    ]
    suspected = [s for s in statuses if s["person_id"] == person and s["status"] in SUSPECTED]
    citizens = {
        s["pkey"] for s in records["sev"] if s["benefit"] == "CITIZENSHIP" and s["event"] == "CONFIRMED"
    }
    relatives = [
        r
        for r in mine["rel"]
        if r["relationship"] in ("SPOUSE", "CHILD") and (r["usc"] or r["relative_person_id"] in citizens)
    ]
    victims = [
        v for v in mine["sev"] if v["benefit"] in ("U_VISA", "T_VISA") and v["event"] in ("FILED", "APPROVED")
    ]
    return {
        "national_security_designation": bool(added),
        "src_national_security_designation": joined(d["uid"] for d in added if d),
        "prior_removal": bool(removals),
        "src_prior_removal": joined(d.uid for d in removals),
        "unlawful_entry_on": max((e["day"] for e in apprehended if e["day"] is not None), default=None),
        "src_unlawful_entry_on": arg_max(apprehended, lambda e: e["uid"], lambda e: e["day"]),
        "suspected_overstay_days": max(
            ((as_of - s["until"]).days for s in suspected if s["until"]), default=None
        ),
        "src_suspected_overstay_days": joined(s["uid"] for s in suspected),
        "us_citizen_spouse_or_child": bool(relatives),
        "src_us_citizen_spouse_or_child": joined(r["uid"] for r in relatives),
        "victim_witness_filing": bool(victims),
        "src_victim_witness_filing": joined(v["uid"] for v in victims),
    }


def _filled(row: Row) -> Row:
    """Every fact and source column, a missing flag false and a missing count 0."""
    out: dict[str, Any] = {"person_id": row["person_id"]}
    for name, fact in FACTS.items():
        value = row.get(name)
        if fact.type is FactType.FLAG:
            value = bool(value)
        elif fact.type is FactType.COUNT:
            value = value or 0
        out[name] = value
        out[f"src_{name}"] = row.get(f"src_{name}")
    return out


def is_person(person: str, records: dict[str, list[Row]], admissions: list[Admission]) -> bool:
    """Whether the person has a facts row: a record of theirs among admissions, filings, court events,
    criminal dispositions, encounters, designations or relationships (departures alone do not count)."""
    return any(a.person_id == person for a in admissions) or any(
        r["person_id"] == person
        for name in ("sev", "court", "crim", "enc", "desig", "rel")
        for r in records[name]
    )
