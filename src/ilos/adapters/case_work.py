"""The CaseWork port: a court case's timeline and the deadlines of every open case, from the records.

Cases are derived on read, like statuses and holds (ADR 8): the court events of the case, the clock
(an appeal window or a voluntary-departure period closing, counted in business days), the person's
verified departures and the holds that suspend and resume the case, as of a date with the records
known at a time. The order of steps is replayed through the domain's transition table.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.duck.holds import APPEALABLE, in_force
from ilos.adapters.priority_work import evaluated
from ilos.domain.admission_rules import AdmissionRules, admission_rules
from ilos.domain.cases import (
    OFFICER_ORDERS,
    RECORD_ONLY_STEPS,
    STATUS_CHARGES,
    VISA_WAIVER_CLASSES,
    Pending,
    Trigger,
)
from ilos.domain.holds import APPEAL_WINDOW_DAYS, APPEALABLE_ORDERS, BLOCKING_SCOPES, hold_kind

#: Court events in the order they take effect on one day (an order before its waiver or appeal).
EVENT_ORDER = ("NTA_FILED", "HEARING_SCHEDULED", "REMOVAL_ORDERED", "IN_ABSENTIA_ORDER", "EXPEDITED_REMOVAL_ORDER",
               "REINSTATEMENT_ORDER", "ADMINISTRATIVE_REMOVAL_ORDER", "VOLUNTARY_DEPARTURE_GRANTED", "APPEAL_WAIVED",
               "VD_BOND_POSTED", "APPEAL_FILED", "APPEAL_DISMISSED", "APPEAL_SUSTAINED", "RELIEF_GRANTED",
               "TERMINATED", "MOTION_TO_REOPEN_DECIDED")  # fmt: skip
#: Court events that are holds (a stay, a motion to reopen): shown through the holds they start.
HOLD_EVENTS = ("STAY_GRANTED", "STAY_LIFTED", "MOTION_TO_REOPEN_FILED")
DECIDING = (
    "'REMOVAL_ORDERED', 'IN_ABSENTIA_ORDER', 'VOLUNTARY_DEPARTURE_GRANTED', 'RELIEF_GRANTED', 'TERMINATED'"
)


def _source(uid: str) -> str:
    return uid.split("/", 1)[1] if "/" in uid else uid


class DuckCaseWork:
    """Case timelines and deadlines as of a date with the records known at a time."""

    def __init__(
        self, reader: PersonDataReader, con: duckdb.DuckDBPyConnection, rules: AdmissionRules | None = None
    ) -> None:
        self.reader = reader
        self.con = con
        self.rules = rules or admission_rules()

    def timeline(
        self, case_number: str, as_of: date, known_at_utc: str | None
    ) -> tuple[list[str], list[Pending]]:
        """The persons of the case and its triggers in order (empty when neither a court event nor an
        officer's step carries it)."""
        actions = [
            a for a in self.reader.case_actions(case_number).to_pylist() if a["day"] <= as_of.isoformat()
        ]
        persons = sorted(
            {*self.reader.persons_of_case(case_number), *(a["person_id"] for a in actions if a["person_id"])}
        )
        if not persons:
            return [], []
        with evaluated(self.reader, self.con, self.rules, as_of, known_at_utc, persons) as cur:
            court = _rows(
                cur,
                "SELECT day, event, uid, pkey FROM court WHERE case_number = ? ORDER BY day",
                [case_number],
            )
            days = [r["day"] for r in court] + [date.fromisoformat(a["day"]) for a in actions]
            if not days:
                return persons, []
            opened = min(days)
            steps = _rows(cur, "SELECT s.day, s.event, s.vd_day, s.waived, s.appealed, o.final_on, o.order_uid "
                               "FROM case_steps s JOIN case_order o USING (pkey, case_number) WHERE case_number = ?",
                          [case_number])  # fmt: skip
            holds = _rows(cur, "SELECT code, start, last_day, sources FROM holds WHERE list_contains(?, pkey) "
                               "AND (last_day IS NULL OR last_day >= ?) ORDER BY start", [persons, opened])  # fmt: skip
            departures = _rows(cur, "SELECT v.day, v.evidence, v.sources FROM verified v WHERE list_contains(?, v.pkey) "
                                    "AND v.day >= ? ORDER BY v.day LIMIT 1", [persons, opened])  # fmt: skip
        pending = [
            Pending(r["day"], Trigger.COURT, r["event"], (_source(r["uid"]),))
            for r in court
            if r["event"] not in HOLD_EVENTS
        ]
        pending += (
            _clock(steps, as_of) + _holds(holds, opened, as_of) + _departures(departures) + _actions(actions)
        )
        order = {name: i for i, name in enumerate(EVENT_ORDER)}
        rank = {Trigger.COURT: 0, Trigger.CLOCK: 1, Trigger.HOLD: 2, Trigger.DEPARTURE: 3, Trigger.OFFICER: 4}
        pending.sort(key=lambda p: (p.day, rank[p.trigger], order.get(p.name, 99)))
        return persons, pending

    def guard_facts(
        self, case_number: str, persons: list[str], as_of: date, detail: dict[str, Any]
    ) -> dict[str, bool]:
        """Every guard but a supervisor's approval, judged on `as_of` from the records and the case's steps
        (`detail` of the step: a removal's `country`, a notice to appear's `charges`)."""
        with evaluated(self.reader, self.con, self.rules, as_of, None, persons) as cur:
            day = f"DATE '{as_of.isoformat()}'"
            codes = {r["code"] for r in _rows(cur, f"SELECT code FROM holds WHERE list_contains(?, pkey) AND {in_force(day)}",
                                             [persons])}  # fmt: skip
            final = _rows(
                cur, "SELECT 1 FROM case_order WHERE case_number = ? AND final_on <= ?", [case_number, as_of]
            )
            final = final or _rows(
                cur, "SELECT 1 FROM facts WHERE list_contains(?, person_id) AND final_order", [persons]
            )
            latest = _rows(cur, "SELECT klass, status, admitted_on, (SELECT max(e.day) FROM entry e "
                                "WHERE list_contains(?, e.pkey)) AS entered FROM status WHERE list_contains(?, person_id) "
                                "ORDER BY admitted_on DESC, admission_number DESC LIMIT 1", [persons, persons])  # fmt: skip
        actions = [a for a in self.reader.case_actions(case_number).to_pylist() if a["applied"]]
        issued = [json.loads(a["detail"]) for a in actions if a["step"] == "issue_travel_document"]
        ordered = any(a["step"] in OFFICER_ORDERS for a in actions)  # an order an officer recorded
        valid_until = issued[-1].get("valid_until") if issued else None
        plain = {c.split(":", 1)[0] for c in codes}
        country = detail.get("country")
        status_charge = bool(STATUS_CHARGES & set(detail.get("charges", ())))
        current = latest[0] if latest else {}  # the person's latest admission
        return {
            "final_order": bool(final) or ordered,
            **{f"no_{code.lower()}": code not in plain for code in ("STAY", "TPS", "VOLUNTARY_DEPARTURE")},
            "no_protection_pending": "PROTECTION_PENDING" not in plain,
            "no_citizenship_claim": "CITIZENSHIP_CLAIM" not in plain,
            "no_appeal_window": "APPEAL" not in plain,
            "travel_document_valid": valid_until is not None and valid_until >= as_of.isoformat(),
            "not_barred_country": country is not None and f"COUNTRY_BAR:{country}" not in codes,
            "not_in_status": not status_charge
            or current.get("status") not in ("IN_STATUS", "STATUS_CHANGED"),
            "admitted_visa_waiver": _visa_waiver_entrant(current),
            "stipulation_on_file": bool(detail.get("document")),
            "no_protecting_filing": not status_charge
            or not ({"PROTECTION_PENDING", "TPS"} & plain or current.get("status") == "PENDING_BENEFIT"),
        }

    def last_action_day(self, case_number: str) -> date | None:
        """The day of the latest officer's step recorded on the case (a lead's opening included)."""
        days = self.reader.case_actions(case_number).column("day").to_pylist()
        return date.fromisoformat(max(days)) if days else None

    def due(self, as_of: date, last: date, known_at_utc: str | None) -> pa.Table:
        """Deadlines from `as_of` to `last` of every case not closed by then: due, case, person_id,
        deadline, source."""
        documents = _documents(
            [a for a in self.reader.case_actions().to_pylist() if a["day"] <= as_of.isoformat()]
        )
        with evaluated(self.reader, self.con, self.rules, as_of, known_at_utc) as cur:
            cur.register("documents", documents)
            return cur.sql(_DUE, params={"as_of": as_of, "last": last}).to_arrow_table()


def _visa_waiver_entrant(admission: dict[str, Any]) -> bool:
    """The latest admission was under the Visa Waiver Program, is the person's last entry (no apprehension
    since), and has not ended in a departure or a change of status."""
    return (
        admission.get("klass") in VISA_WAIVER_CLASSES
        and admission.get("status") not in ("DEPARTED_TIMELY", "DEPARTED_OVERSTAY", "STATUS_CHANGED")
        and admission.get("entered") == admission.get("admitted_on")
    )


def _rows(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = cur.sql(sql, params=params).to_arrow_table().to_pylist()
    return rows


def _clock(steps: list[dict[str, Any]], as_of: date) -> list[Pending]:
    """An order made final by the clock: the appeal window closing, or a voluntary-departure period ending."""
    out = []
    for s in steps:
        final, source = s["final_on"], tuple(_source(u) for u in (s["order_uid"] or "").split(";") if u)
        if final is None or final > as_of:
            continue
        if s["appealed"] is not None and s["appealed"] < final:
            continue  # appealed in time: final when the appeal is dismissed, a court event of its own
        if s["vd_day"] is not None and (s["day"] is None or s["vd_day"] >= s["day"]):
            out.append(Pending(final, Trigger.CLOCK, "voluntary_departure_ended", source))
        elif s["event"] in APPEALABLE_ORDERS and s["waived"] is None:  # no appeal, or one after the window
            out.append(Pending(final, Trigger.CLOCK, "appeal_window_closed", source))
    return out


def _holds(holds: list[dict[str, Any]], opened: date, as_of: date) -> list[Pending]:
    """A blocking hold suspends the case from its start (or the case's opening) and resumes it after."""
    out = []
    for h in holds:
        if hold_kind(h["code"]).scope not in BLOCKING_SCOPES or h["code"] == "DEPARTED":
            continue
        sources = tuple(sorted({_source(u) for u in (h["sources"] or "").split(";") if u}))
        out.append(Pending(max(h["start"], opened), Trigger.HOLD, f"suspended:{h['code']}", sources))
        if h["last_day"] is not None and h["last_day"] < as_of:
            out.append(
                Pending(h["last_day"] + timedelta(days=1), Trigger.HOLD, f"resumed:{h['code']}", sources)
            )
    return out


def _documents(actions: list[dict[str, Any]]) -> pa.Table:
    """Per case, the last day of the latest travel document issued by these steps (case_number, pkey,
    valid_until, issued, uid); none once the removal was carried out or the case closed."""
    latest: dict[str, dict[str, Any]] = {}
    for a in actions:
        if a["step"] == "issue_travel_document" and a["applied"]:
            latest[a["case_number"]] = a
        elif a["step"] in ("execute_removal", "close") and a["applied"]:
            latest.pop(a["case_number"], None)
    rows = [(c, a["person_id"], json.loads(a["detail"]).get("valid_until"), date.fromisoformat(a["day"]),
             f"case_action/{a['action_id']}") for c, a in latest.items()]  # fmt: skip
    return pa.table({
        "case_number": pa.array([r[0] for r in rows], pa.string()), "pkey": pa.array([r[1] for r in rows], pa.string()),
        "valid_until": pa.array([date.fromisoformat(r[2]) if r[2] else None for r in rows], pa.date32()),
        "issued": pa.array([r[3] for r in rows], pa.date32()), "uid": pa.array([r[4] for r in rows], pa.string()),
    })  # fmt: skip


def _actions(actions: list[dict[str, Any]]) -> list[Pending]:
    """Officers' steps as recorded, with the guard results they were judged on."""
    return [
        Pending(
            date.fromisoformat(a["day"]),
            Trigger.OFFICER,
            a["step"],
            (),
            a["actor"],
            json.loads(a["guard_results"]),
        )
        for a in actions
        if a["step"] not in RECORD_ONLY_STEPS
    ]


def _departures(departures: list[dict[str, Any]]) -> list[Pending]:
    return [
        Pending(d["day"], Trigger.DEPARTURE,
                "removal_verified" if d["evidence"] == "REMOVAL_EXECUTED" else "departure_verified",
                tuple(_source(u) for u in d["sources"].split(";")))
        for d in departures
    ]  # fmt: skip


_DUE = f"""
    WITH closed AS (
        SELECT DISTINCT c.case_number FROM court c WHERE c.event IN ('RELIEF_GRANTED', 'TERMINATED')
        UNION SELECT DISTINCT c.case_number FROM court c JOIN verified v ON v.pkey = c.pkey AND v.day >= c.day),
    due AS (
        SELECT k.next_business AS due, s.case_number, s.pkey, 'APPEAL_WINDOW_ENDS' AS deadline, s.uid
        FROM case_steps s JOIN calendar k ON k.day = s.day + {APPEAL_WINDOW_DAYS}
        WHERE s.event IN ({APPEALABLE}) AND s.waived IS NULL AND s.appealed IS NULL AND s.undone IS NULL
        UNION ALL
        SELECT v.bond_by, v.case_number, v.pkey, 'VOLUNTARY_DEPARTURE_BOND_DUE', v.uid
        FROM vd_period v JOIN case_steps s ON s.pkey = v.pkey AND s.vd_uid = v.uid
        WHERE NOT v.before_end AND v.posted IS NULL AND (v.motion IS NULL OR v.motion > v.bond_by)
        UNION ALL
        SELECT least(v.deadline, v.motion), v.case_number, v.pkey, 'VOLUNTARY_DEPARTURE_ENDS', v.uid
        FROM vd_period v JOIN case_steps s ON s.pkey = v.pkey AND s.vd_uid = v.uid
        WHERE v.ended_by <> 'BOND_NOT_POSTED' OR v.bond_by >= $as_of  -- a period vacated by no bond ended then
        UNION ALL
        SELECT d.valid_until, d.case_number, d.pkey, 'TRAVEL_DOCUMENT_EXPIRES', d.uid FROM documents d
        WHERE d.valid_until IS NOT NULL AND NOT EXISTS (SELECT 1 FROM verified v WHERE v.pkey = d.pkey AND v.day >= d.issued)
        UNION ALL
        SELECT h.deadline, h.case_number, h.pkey, 'HEARING', h.uid FROM court h
        WHERE h.event = 'HEARING_SCHEDULED' AND h.deadline IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM court d WHERE d.case_number = h.case_number AND d.pkey = h.pkey
              AND d.event IN ({DECIDING}) AND d.day >= h.day))
    SELECT strftime(due, '%Y-%m-%d') AS due, case_number AS "case", pkey AS person_id, deadline,
           CASE WHEN uid LIKE 'case_action/%' THEN uid ELSE substr(uid, strpos(uid, '/') + 1) END AS source
    FROM due WHERE due BETWEEN $as_of AND $last AND case_number NOT IN (SELECT case_number FROM closed)
    ORDER BY due, "case", deadline, person_id, source
"""
