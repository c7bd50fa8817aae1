"""Run the status engine on records written as small dicts (no store): the unit tests' harness."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from ilos.adapters.db.reader import ADMISSION_INPUTS
from ilos.adapters.duck.admission_status import export_query, judged
from ilos.domain.admission_rules import AdmissionRules, admission_rules

_ids = itertools.count(1)
FEED_OF = {"adm": "arrivals", "dep": "departures", "ev": "status_events"}


def adm(
    number: str, admitted_on: str, admit_until: str, klass: str = "B2", person: str = "P1", **kw: str
) -> dict[str, Any]:
    """An arrivals record."""
    return {"_feed": "arrivals", "person_id": person, "source_system": "I94", "admission_number": number,
            "class_of_admission": klass, "citizenship": kw.get("citizenship", "DEU"), "mode": kw.get("mode", "AIR"),
            "admitted_on": admitted_on, "admit_until": admit_until}  # fmt: skip


def dep(
    day: str, evidence: str = "MANIFEST", person: str = "P1", system: str = "APIS", number: str = ""
) -> dict[str, Any]:
    """A departures record."""
    return {"_feed": "departures", "person_id": person, "source_system": system, "departure_date": day,
            "evidence": evidence, "admission_number": number or None}  # fmt: skip


def ev(receipt: str, benefit: str, event: str, day: str, person: str = "P1", **kw: str) -> dict[str, Any]:
    """A status_events record (`valid_until`, `number` optional)."""
    return {"_feed": "status_events", "person_id": person, "source_system": "USCIS", "receipt_number": receipt,
            "benefit": benefit, "event": event, "event_date": day, "valid_until": kw.get("valid_until"),
            "admission_number": kw.get("number")}  # fmt: skip


def inputs(records: list[dict[str, Any]]) -> dict[str, pa.Table]:
    """Arrow inputs as the reader delivers them."""
    out = {}
    for feed, columns in ADMISSION_INPUTS.items():
        rows = [r for r in records if r["_feed"] == feed]
        names = ["uid", "person_id", "source_record_id", *columns]
        data: dict[str, list[Any]] = {n: [] for n in names}
        for r in rows:
            rid = r.get("source_record_id") or f"R{next(_ids):06d}"
            values = {**r, "uid": f"{feed}/{r['source_system']}/{rid}", "source_record_id": rid}
            for n in names:
                data[n].append(values.get(n))
        out[feed] = pa.table({n: pa.array(v, pa.string()) for n, v in data.items()})
    return out


def judge(
    records: list[dict[str, Any]], as_of: str, rules: AdmissionRules | None = None
) -> dict[str, dict[str, Any]]:
    """Export rows by admission number."""
    return judge_inputs(inputs(records), as_of, rules)


def judge_inputs(
    tables: dict[str, pa.Table], as_of: str, rules: AdmissionRules | None = None
) -> dict[str, dict[str, Any]]:
    """Export rows by admission number, from inputs shaped as the reader delivers them."""
    day = date.fromisoformat(as_of)
    con = duckdb.connect()
    with judged(con, tables, day, rules or admission_rules()) as cur:
        rows = cur.sql(export_query(day)).to_arrow_table().to_pylist()
    con.close()
    return {r["admission_number"]: r for r in rows}
