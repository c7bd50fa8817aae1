"""One person's place under a pack, from their records and their relatives', in plain Python.

The set-at-a-time SQL (`ilos.adapters.duck`) is the reference and serves whole worklists; this
evaluator serves a single person (a re-rank after a new record, `ilos explain rank`), where planning
a hundred DuckDB statements costs ten times the target. The two are held to the same answers by
`tests/integration/test_evaluation.py` (ADR 11).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from ilos.domain.admission_rules import AdmissionRules
from ilos.domain.evaluation.calendar import business_days
from ilos.domain.evaluation.common import Row, blank, day
from ilos.domain.evaluation.facts import is_person, person_facts
from ilos.domain.evaluation.holds import compute_holds
from ilos.domain.evaluation.ranking import fired, in_force, ranked
from ilos.domain.evaluation.statuses import judge
from ilos.domain.policy import Pack

FIRST_CALENDAR_YEAR = 1950


def _typed(rows: list[Row], as_of: date, **columns: Any) -> list[Row]:
    """Rows dated on or before the as-of date, with `pkey` (the person, or the record's own uid when it
    is linked to no one), `person_id`, `uid`, `day` and the columns given (name -> how to read it)."""
    out = []
    for r in rows:
        when = day(r["event_date"])
        if when is None or when > as_of:
            continue
        typed = {
            "pkey": r["person_id"] or r["uid"],
            "person_id": r["person_id"],
            "uid": r["uid"],
            "day": when,
        }
        typed |= {name: read(r) for name, read in columns.items()}
        out.append(typed)
    return out


def _flag(column: str) -> Callable[[Row], bool]:
    """A reader of a `true` / `false` column (anything else is false)."""
    return lambda r: (r[column] or "").lower() == "true"


def _text(column: str) -> Callable[[Row], Any]:
    """A reader of the column's text as it is."""
    return lambda r: r[column]


def typed_records(
    inputs: dict[str, list[Row]], relative_links: list[Row], as_of: date
) -> dict[str, list[Row]]:
    """The tables holds and facts read (`sev`, `court`, `crim`, `enc`, `desig`, `rel`, `dob`), as
    `ilos.adapters.duck.priority_inputs` loads them."""
    relative = {r["uid"]: r["relative_person_id"] for r in relative_links}
    return {
        "sev": _typed(
            inputs["status_events"],
            as_of,
            receipt_number=_text("receipt_number"),
            benefit=_text("benefit"),
            event=_text("event"),
            valid_from=lambda r: day(r["valid_from"]),
            valid_until=lambda r: day(r["valid_until"]),
            country=lambda r: blank(r["country"]),
            key=_text("source_record_id"),
        ),
        "court": _typed(
            inputs["court_events"],
            as_of,
            case_number=_text("case_number"),
            event=_text("event"),
            deadline=lambda r: day(r["deadline"]),
        ),
        "crim": _typed(
            inputs["criminal_dispositions"],
            as_of,
            incident_id=_text("incident_id"),
            stage=_text("stage"),
            category=_text("category"),
            gang=_flag("gang_related"),
        ),
        "enc": _typed(
            inputs["encounters"],
            as_of,
            encounter_type=_text("encounter_type"),
            agency=_text("agency"),
            outcome=_text("outcome"),
        ),
        "desig": _typed(
            inputs["designations"], as_of, designation_id=_text("designation_id"), event=_text("event")
        ),
        "rel": [
            {
                "pkey": r["person_id"] or r["uid"],
                "person_id": r["person_id"],
                "uid": r["uid"],
                "relationship": r["relationship"],
                "usc": _flag("relative_us_citizen")(r),
                "relative_person_id": relative.get(r["uid"]),
            }
            for r in inputs["relationships"]
        ],
        "dob": [
            {"person_id": r["person_id"], "uid": r["uid"], "dob": day(r["date_of_birth"])}
            for rows in inputs.values()
            for r in rows
            if r["person_id"] is not None and len(r["date_of_birth"] or "") == 10
        ],
    }


def place(
    person: str,
    pack: Pack,
    inputs: dict[str, list[Row]],
    relative_links: list[Row],
    as_of: date,
    rules: AdmissionRules,
) -> dict[str, Any]:
    """Everything behind one person's place under `pack`: `facts`, `ranked` (empty when the person has no
    facts), the rules `fired` and the `holds` in force, as `DuckPriorityWork.person` returns them."""
    calendar = business_days(FIRST_CALENDAR_YEAR, as_of.year + 2)
    judged = judge(inputs, as_of, rules)
    records = typed_records(inputs, relative_links, as_of)
    holds, periods = compute_holds(
        records["sev"], records["court"], records["enc"], judged.admissions, judged.verified, calendar
    )
    mine = sorted(
        (
            {k: h[k] for k in ("code", "start", "last_day", "sources")}
            for h in holds
            if h["pkey"] == person and in_force(h, as_of)
        ),
        key=lambda h: (h["code"], h["start"], h["sources"] or "", h["last_day"] or date.max),
    )
    if not is_person(person, records, judged.admissions):
        return {"facts": {}, "ranked": {}, "fired": [], "holds": mine}
    facts = person_facts(
        person, records, judged.statuses, judged.admissions, judged.departures, periods, calendar, as_of
    )
    rules_fired = fired(pack, facts, as_of)
    return {
        "facts": facts,
        "ranked": ranked(pack, facts, [h for h in holds if h["pkey"] == person], rules_fired, as_of),
        "fired": [{k: r[k] for k in ("rule", "kind", "tier", "weight", "sources")} for r in rules_fired],
        "holds": mine,
    }
