"""`ilos report departures`: verified departures per day by evidence type, one per person and day, and
those of people past their authorized stay who left on their own (no removal among their records)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.cli import ilos
from tests.feedfiles import arrival, write_csv

PEOPLE = {
    "removed": {"family_name": "NASH", "given_names": "WALTER", "date_of_birth": "1985-06-01", "citizenship": "GTM"},
    "reported": {"family_name": "PRICE", "given_names": "WANDA", "date_of_birth": "1985-06-03", "citizenship": "GTM"},
    "self": {"family_name": "OKAFOR", "given_names": "CHIDI", "date_of_birth": "1990-05-17", "citizenship": "NGA"},
    "twice": {"family_name": "MORTON", "given_names": "TESS", "date_of_birth": "1975-02-12", "citizenship": "BRA"},
    "changed": {"family_name": "ICEMAN", "given_names": "TOM", "date_of_birth": "1975-02-09", "citizenship": "BRA"},
    "no_i94": {"family_name": "HOLDEN", "given_names": "TIM", "date_of_birth": "1975-02-08", "citizenship": "BRA"},
    "alone": {"family_name": "SATO", "given_names": "YUKI", "date_of_birth": "1988-08-08", "citizenship": "JPN"},
}  # fmt: skip


def departure(rid: str, who: str, day: str, evidence: str, system: str = "APIS", **kw: str) -> dict[str, str]:
    return {"source_system": system, "source_record_id": rid, "recorded_at": f"{day}T20:00:00Z", **PEOPLE[who],
            "departure_date": day, "mode": "AIR", "evidence": evidence, **kw}  # fmt: skip


ARRIVALS = [
    arrival(n, recorded_at=f"{on}T12:00:00Z", admitted_on=on, admit_until=until, **PEOPLE[who])
    for n, who, on, until in [
        ("1", "removed", "2026-01-01", "2026-03-01"),
        ("2", "reported", "2026-01-01", "2026-03-01"),
        ("3", "self", "2026-01-01", "2026-03-01"),
        ("4", "twice", "2026-01-01", "2026-01-20"),
        ("5", "twice", "2026-02-01", "2026-06-01"),
        ("6", "changed", "2026-01-01", "2026-03-01"),
        ("7", "alone", "2026-01-01", "2026-03-01"),
    ]
]
DEPARTURES = [
    # a removal and the carrier's manifest of the same flight
    departure("r1", "removed", "2026-04-01", "REMOVAL_EXECUTED", "ICE-EID"),
    departure("m1", "removed", "2026-04-01", "MANIFEST"),
    # a self-report that only the removal the next day corroborates
    departure("s2", "reported", "2026-04-01", "SELF_REPORTED", "APP-SELF"),
    departure("r2", "reported", "2026-04-02", "REMOVAL_EXECUTED", "ICE-EID"),
    # an overstayer's self-report, corroborated by a consular check two days later
    departure("s3", "self", "2026-04-01", "SELF_REPORTED", "APP-SELF"),
    departure("c3", "self", "2026-04-03", "CONSULAR_VERIFICATION", "DOS-CONS"),
    # one manifest that ends two admissions: the first by its number, the second by its window
    departure("m4", "twice", "2026-03-10", "MANIFEST", admission_number="00000000004"),
    # a manifest after a change of status, and one of a person with no admission on file
    departure("m6", "changed", "2026-03-10", "MANIFEST"),
    departure("m8", "no_i94", "2026-03-10", "MANIFEST"),
    # a self-report nothing corroborates is not verified
    departure("s7", "alone", "2026-03-10", "SELF_REPORTED", "APP-SELF"),
]
CHANGE = [
    {"source_system": "USCIS", "source_record_id": f"e{n}", "recorded_at": f"{day}T12:00:00Z", **PEOPLE["changed"],
     "receipt_number": "EAC0000009", "benefit": "CHANGE_OF_STATUS", "event": event, "event_date": day,
     "new_class": new_class, "admission_number": "00000000006"}
    for n, (event, day, new_class) in enumerate([("FILED", "2026-01-15", ""), ("APPROVED", "2026-02-01", "F1")])
]  # fmt: skip


def series(db: str, first: str, last: str) -> list[tuple[str, str, int, int]]:
    result = ilos("report", "departures", "--from", first, "--to", last, "--as-of", "2026-12-01", db=db)
    assert result.code == 0, result.err
    return [(r["date"], r["evidence"], int(r["verified_departures"]), int(r["past_authorized_stay_left_on_own"]))
            for r in csv.DictReader(io.StringIO(result.out))]  # fmt: skip


def test_departures_are_counted_once_per_person_and_day_and_removals_never_as_leaving_on_ones_own(
    tmp_path: Path, store_url: str
) -> None:
    for feed, rows in (("arrivals", ARRIVALS), ("departures", DEPARTURES), ("status_events", CHANGE)):
        result = ilos("ingest", feed, str(write_csv(tmp_path / f"{feed}.csv", rows)), db=store_url)
        assert f"new {len(rows)}," in result.out, result.out

    assert series(store_url, "2026-01-01", "2026-12-01") == [
        # twice (once, though it ends two admissions, the first past its stay), changed, no_i94
        ("2026-03-10", "MANIFEST", 3, 1),
        ("2026-04-01", "REMOVAL_EXECUTED", 2, 0),  # removed; reported, folded into its self-report's day
        ("2026-04-01", "SELF_REPORTED", 1, 1),  # self: past its stay, left on its own
    ]
    assert series(store_url, "2026-03-11", "2026-04-01") == series(store_url, "2026-04-01", "2026-04-01")
    assert series(store_url, "2026-03-11", "2026-03-31") == []
