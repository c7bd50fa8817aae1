"""`ilos case history|show|due` on crafted court records, one case per path, on both stores."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import ilos
from tests.feedfiles import write_csv

REC = "2026-06-10T00:00:00Z"


def person(n: int) -> dict[str, str]:
    return {"family_name": f"CASO{chr(65 + n)}", "given_names": "ANA", "date_of_birth": f"1980-01-{n + 1:02d}",
            "a_number": f"A3000000{n:02d}", "citizenship": "SLV"}  # fmt: skip


def court(n: int, rid: str, event: str, day: str, **kw: str) -> dict[str, str]:
    return {"source_system": "EOIR", "source_record_id": rid, "recorded_at": REC, **person(n),
            "case_number": f"C{n}", "event": event, "event_date": day, **kw}  # fmt: skip


COURT = [
    # C0: an order whose appeal window ends on Saturday 1 March 2025: final on Tuesday 4 March
    court(0, "A1", "NTA_FILED", "2024-06-03"), court(0, "A2", "REMOVAL_ORDERED", "2025-01-30"),
    # C1: voluntary departure at the end of proceedings with no bond: the alternate order is final after the
    # 5th business day
    court(1, "B1", "NTA_FILED", "2024-06-03"), court(1, "B2", "VOLUNTARY_DEPARTURE_GRANTED", "2025-06-30",
                                                     deadline="2025-08-28"),
    # C2: voluntary departure at the end of proceedings with a bond, and the person leaves
    court(2, "V1", "NTA_FILED", "2024-06-03"), court(2, "V2", "VOLUNTARY_DEPARTURE_GRANTED", "2025-06-30",
                                                     deadline="2025-08-28"),
    court(2, "V4", "VD_BOND_POSTED", "2025-07-02"),
    # C3: an appeal dismissed after a stay; C4: relief granted; C5: an in-absentia order with a hearing before
    court(3, "P1", "NTA_FILED", "2024-01-10"), court(3, "P2", "REMOVAL_ORDERED", "2024-09-10"),
    court(3, "P3", "APPEAL_FILED", "2024-09-20"), court(3, "P4", "APPEAL_DISMISSED", "2025-02-03"),
    court(3, "P5", "STAY_GRANTED", "2025-03-03"), court(3, "P6", "STAY_LIFTED", "2025-05-01"),
    court(4, "R1", "NTA_FILED", "2024-01-10"), court(4, "R2", "RELIEF_GRANTED", "2024-11-12"),
    court(5, "H1", "NTA_FILED", "2025-05-01"), court(5, "H2", "HEARING_SCHEDULED", "2025-05-02", deadline="2025-07-08"),
    court(5, "H3", "IN_ABSENTIA_ORDER", "2025-07-08"),
    # C6: an order whose appeal window ends on Friday 4 July 2025, a federal holiday: due Monday 7 July
    court(6, "J1", "NTA_FILED", "2025-01-06"), court(6, "J2", "REMOVAL_ORDERED", "2025-06-04"),
    # C7: a final order, and withholding of removal to El Salvador granted later
    court(7, "W1", "NTA_FILED", "2024-01-08"), court(7, "W2", "IN_ABSENTIA_ORDER", "2024-06-03"),
    # C8: voluntary departure at the end of proceedings (no waiver) for 120 days: cut to 60
    court(8, "E1", "NTA_FILED", "2024-06-03"), court(8, "E2", "VOLUNTARY_DEPARTURE_GRANTED", "2025-03-03",
                                                     deadline="2025-07-01"),
    court(8, "E3", "VD_BOND_POSTED", "2025-03-05"),
    # C9: voluntary departure before the end (appeal waived), bond posted, then a motion to reopen ends it
    court(9, "M1", "NTA_FILED", "2024-06-03"), court(9, "M2", "VOLUNTARY_DEPARTURE_GRANTED", "2025-03-03",
                                                     deadline="2025-06-30"),
    court(9, "M3", "APPEAL_WAIVED", "2025-03-03"), court(9, "M4", "VD_BOND_POSTED", "2025-03-05"),
    court(9, "M5", "MOTION_TO_REOPEN_FILED", "2025-03-20"),
    # C10: voluntary departure before the end (appeal waived) for 100 days: no bond needed, the period runs out
    court(10, "N1", "NTA_FILED", "2024-06-03"), court(10, "N2", "VOLUNTARY_DEPARTURE_GRANTED", "2025-03-03",
                                                      deadline="2025-06-11"),
    court(10, "N3", "APPEAL_WAIVED", "2025-03-03"),
    # C11: voluntary departure, then the proceedings are terminated: the alternate order never becomes final
    court(11, "Q1", "NTA_FILED", "2024-06-03"), court(11, "Q2", "VOLUNTARY_DEPARTURE_GRANTED", "2025-03-03",
                                                      deadline="2025-04-30"),
    court(11, "Q3", "TERMINATED", "2025-03-05"),
    # C13, C14: final orders, then asylum filed (C13) and an initial TPS application (C14)
    court(13, "G0", "NTA_FILED", "2024-06-03"), court(13, "G1", "IN_ABSENTIA_ORDER", "2025-01-06"),
    court(14, "T0", "NTA_FILED", "2024-06-03"), court(14, "T1", "IN_ABSENTIA_ORDER", "2025-01-06"),
    court(16, "S0", "NTA_FILED", "2025-01-06"),  # C16: a stipulated order is recorded by an officer
]  # fmt: skip
FILINGS = [
    {"source_system": "USCIS", "source_record_id": "F1", "recorded_at": REC, **person(7), "receipt_number": "R7",
     "benefit": "WITHHOLDING", "event": "APPROVED", "event_date": "2025-01-15", "country": "SLV"},
]  # fmt: skip
#: Persons 10 to 12 are leads for a notice to appear: in status; an overstay with asylum pending; an overstay
#: who claimed U.S. citizenship.
ARRIVALS = [
    {"source_system": "ADIS", "source_record_id": f"I{n}", "recorded_at": REC, **person(n),
     "admission_number": f"900000{n}A01", "class_of_admission": "B2", "port_of_entry": "MIA", "mode": "AIR",
     "admitted_on": "2025-01-10", "admit_until": until}
    for n, until in ((10, "2026-01-09"), (11, "2025-07-09"), (12, "2025-07-09"))
] + [
    {"source_system": "ADIS", "source_record_id": "I17", "recorded_at": REC, **person(17),
     "admission_number": "90000017A01", "class_of_admission": "B2", "port_of_entry": "MIA", "mode": "AIR",
     "admitted_on": "2024-01-10", "admit_until": "2024-07-09"},
    {"source_system": "ADIS", "source_record_id": "I15", "recorded_at": REC, **person(15),
     "admission_number": "90000015A01", "class_of_admission": "WT", "port_of_entry": "JFK", "mode": "AIR",
     "admitted_on": "2025-01-10", "admit_until": "2025-04-09"},
]  # fmt: skip
FILINGS += [
    {"source_system": "USCIS", "source_record_id": "F2", "recorded_at": REC, **person(11), "receipt_number": "R11",
     "benefit": "ASYLUM", "event": "FILED", "event_date": "2025-09-01", "country": ""},
    {"source_system": "USCIS", "source_record_id": "F3", "recorded_at": REC, **person(12), "receipt_number": "R12",
     "benefit": "CITIZENSHIP", "event": "CLAIMED", "event_date": "2025-09-01", "country": ""},
    {"source_system": "USCIS", "source_record_id": "F4", "recorded_at": REC, **person(13), "receipt_number": "R13",
     "benefit": "ASYLUM", "event": "FILED", "event_date": "2025-02-01", "country": ""},
    {"source_system": "USCIS", "source_record_id": "F5", "recorded_at": REC, **person(14), "receipt_number": "R14",
     "benefit": "TPS", "event": "FILED", "event_date": "2025-02-01", "country": ""},
    {"source_system": "USCIS", "source_record_id": "F6", "recorded_at": REC, **person(17), "receipt_number": "R17",
     "benefit": "CHANGE_OF_STATUS", "event": "FILED", "event_date": "2024-05-01", "country": "",
     "admission_number": "90000017A01"},
    {"source_system": "USCIS", "source_record_id": "F7", "recorded_at": REC, **person(17), "receipt_number": "R17",
     "benefit": "CHANGE_OF_STATUS", "event": "APPROVED", "event_date": "2024-06-01", "country": "", "new_class": "F1",
     "admission_number": "90000017A01"},
]  # fmt: skip
DEPARTURES = [
    {"source_system": "APIS", "source_record_id": "L1", "recorded_at": REC, **person(2), "departure_date": "2025-08-01",
     "mode": "AIR", "evidence": "MANIFEST"},
]  # fmt: skip


@pytest.fixture(scope="module", params=["embedded", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.conftest import fresh_pg_schema

    folder = tmp_path_factory.mktemp("cases")
    urls = (
        iter([f"sqlite:///{folder / 'ilos.db'}"])
        if request.param == "embedded"
        else fresh_pg_schema(request.getfixturevalue("pg_server"))
    )
    url = next(urls)
    for feed, rows in (("court_events", COURT), ("departures", DEPARTURES), ("status_events", FILINGS),
                       ("arrivals", ARRIVALS)):  # fmt: skip
        done = ilos("ingest", feed, str(write_csv(folder / f"{feed}.csv", rows)), db=url)
        assert done.code == 0, done.err
    for name, role in (("ana", "officer"), ("bo", "supervisor"), ("cy", "analyst")):
        assert ilos("users", "add", name, "--role", role, db=url).code == 0
    yield url
    for _ in urls:
        pass


#: Tests of guard logic run on the embedded store only: what they judge is computed in DuckDB the same way
#: over either store, and the store's part (appending steps, reading them back, events) runs on both in
#: the other tests. This keeps the PostgreSQL half of the module to what differs between stores.
GUARD_LOGIC = pytest.mark.parametrize("world", ["embedded"], indirect=True)


def history(url: str, case: str, as_of: str) -> list[tuple[str, str, str, str]]:
    out = ilos("case", "history", case, "--as-of", as_of, db=url)
    assert out.code == 0, out.err
    return [(r["date"], r["step"], r["to"], r["applied"]) for r in csv.DictReader(io.StringIO(out.out))]


def state(url: str, case: str, as_of: str) -> str:
    return ilos("case", "show", case, "--as-of", as_of, db=url).out.splitlines()[0].rsplit(": ", 1)[1]


def test_an_order_becomes_final_the_day_after_a_saturday_window_moved_to_monday(world: str) -> None:
    assert state(world, "C0", "2025-03-03") == "ORDERED"
    assert history(world, "C0", "2025-03-04")[-2:] == [
        ("2025-03-04", "appeal_window_closed", "FINAL_ORDER", "true"),
        ("2025-03-04", "resumed:APPEAL", "FINAL_ORDER", "true"),
    ]


def test_voluntary_departure_without_a_bond_ends_and_the_alternate_order_is_final(world: str) -> None:
    assert state(world, "C1", "2025-07-08") == "VOLUNTARY_DEPARTURE"
    assert ("2025-07-09", "voluntary_departure_ended", "FINAL_ORDER", "true") in history(
        world, "C1", "2025-07-09"
    )


def test_voluntary_departure_with_a_bond_ends_in_a_verified_departure(world: str) -> None:
    steps = history(world, "C2", "2025-12-01")
    assert steps[-1] == ("2025-08-01", "departure_verified", "DEPARTED", "true")
    assert "voluntary_departure_ended" not in [s[1] for s in steps]  # a closed case has no clock


def test_an_appeal_dismissed_then_a_stay_suspends_and_its_lifting_resumes(world: str) -> None:
    steps = history(world, "C3", "2025-06-01")
    assert [(s[0], s[1], s[2]) for s in steps] == [
        ("2024-01-10", "NTA_FILED", "IN_PROCEEDINGS"), ("2024-09-10", "REMOVAL_ORDERED", "ORDERED"),
        ("2024-09-10", "suspended:APPEAL", "ORDERED"),  # the window
        ("2024-09-20", "APPEAL_FILED", "ON_APPEAL"), ("2024-09-20", "suspended:APPEAL", "ON_APPEAL"),  # pending
        ("2024-10-11", "resumed:APPEAL", "ON_APPEAL"),  # the window closed; the appeal still holds
        ("2025-02-03", "APPEAL_DISMISSED", "FINAL_ORDER"), ("2025-02-04", "resumed:APPEAL", "FINAL_ORDER"),
        ("2025-03-03", "suspended:STAY", "FINAL_ORDER"), ("2025-05-02", "resumed:STAY", "FINAL_ORDER"),
    ]  # fmt: skip
    during = ilos("case", "show", "C3", "--as-of", "2025-04-01", db=world).out
    assert "suspended by: STAY" in during


def test_relief_closes_and_in_absentia_is_final_at_once(world: str) -> None:
    assert state(world, "C4", "2025-01-01") == "CLOSED"
    assert history(world, "C5", "2025-07-08")[-1] == (
        "2025-07-08",
        "IN_ABSENTIA_ORDER",
        "FINAL_ORDER",
        "true",
    )


def test_due_lists_hearings_bonds_and_appeal_windows_moved_past_a_federal_holiday(world: str) -> None:
    out = ilos("case", "due", "--within", "7d", "--as-of", "2025-07-01", db=world)
    assert out.code == 0, out.err
    rows = [(r["due"], r["case"], r["deadline"], r["source"]) for r in csv.DictReader(io.StringIO(out.out))]
    assert rows == [
        ("2025-07-07", "C6", "APPEAL_WINDOW_ENDS", "EOIR/J2"),  # 4 July (a Friday) is a federal holiday
        ("2025-07-08", "C1", "VOLUNTARY_DEPARTURE_BOND_DUE", "EOIR/B2"),
        ("2025-07-08", "C2", "VOLUNTARY_DEPARTURE_BOND_DUE", "EOIR/V2"),  # not posted yet on 1 July
        ("2025-07-08", "C5", "HEARING", "EOIR/H2"),
    ]
    posted = ilos("case", "due", "--within", "7d", "--as-of", "2025-07-03", db=world).out
    assert "C2" not in {r["case"] for r in csv.DictReader(io.StringIO(posted))}  # posted on 2 July
    later = ilos("case", "due", "--within", "2w", "--as-of", "2025-08-20", db=world).out
    assert list(csv.DictReader(io.StringIO(later))) == []  # C1's period ended without a bond; C2 departed


def test_voluntary_departure_at_the_end_of_proceedings_is_cut_to_60_days(world: str) -> None:
    assert state(world, "C8", "2025-05-02") == "VOLUNTARY_DEPARTURE"
    assert ("2025-05-03", "voluntary_departure_ended", "FINAL_ORDER", "true") in history(
        world, "C8", "2025-05-03"
    )
    due = ilos("case", "due", "--within", "7d", "--as-of", "2025-04-28", db=world).out
    rows = [(r["due"], r["deadline"]) for r in csv.DictReader(io.StringIO(due)) if r["case"] == "C8"]
    assert rows == [("2025-05-02", "VOLUNTARY_DEPARTURE_ENDS")]  # not 1 July as recorded


def test_voluntary_departure_before_the_end_runs_until_a_motion_to_reopen_ends_it(world: str) -> None:
    assert state(world, "C9", "2025-03-20") == "VOLUNTARY_DEPARTURE"
    out = ilos("case", "history", "C9", "--as-of", "2025-03-21", db=world).out
    ended = [r for r in csv.DictReader(io.StringIO(out)) if r["step"] == "voluntary_departure_ended"]
    assert [(r["date"], r["to"]) for r in ended] == [("2025-03-21", "FINAL_ORDER")]
    assert "M5" in ended[0]["sources"]  # the motion that ended it
    assert state(world, "C9", "2025-05-01") == "FINAL_ORDER"  # ended by the motion, not the deadline


def test_proceedings_terminated_during_voluntary_departure_leave_no_final_order(world: str) -> None:
    steps = history(world, "C11", "2025-06-01")
    assert [s[1] for s in steps if s[3] == "true" and not s[1].startswith(("suspended", "resumed"))] == [
        "NTA_FILED",
        "VOLUNTARY_DEPARTURE_GRANTED",
        "TERMINATED",
    ]
    assert state(world, "C11", "2025-06-01") == "CLOSED"


def test_voluntary_departure_before_the_end_needs_no_bond_and_runs_to_its_deadline(world: str) -> None:
    assert state(world, "C10", "2025-06-11") == "VOLUNTARY_DEPARTURE"  # day 100: more than 60, no bond posted
    assert ("2025-06-12", "voluntary_departure_ended", "FINAL_ORDER", "true") in history(
        world, "C10", "2025-06-12"
    )
    due = ilos("case", "due", "--within", "7d", "--as-of", "2025-03-03", db=world).out
    assert "C10" not in {r["case"] for r in csv.DictReader(io.StringIO(due))}  # no bond due


def test_unknown_case_fails_with_one_line(world: str) -> None:
    out = ilos("case", "history", "NOPE", db=world)
    assert out.code != 0
    assert "case NOPE has no court events" in out.err


def step(url: str, case: str, name: str, on: str, *extra: str, actor: str = "ana") -> tuple[int, str]:
    when = ("--on", on) if on else ()
    out = ilos("case", "move", case, name, "--actor", actor, "--reason", "test", *when, *extra, db=url)
    return out.code, out.out + out.err


APPROVED = ("--approved-by", "bo", "--justification", "final order, nothing holds it")


def test_removal_runs_its_course_only_under_every_guard(world: str) -> None:
    assert step(world, "C5", "schedule_removal", "2025-07-10")[1].endswith(
        "schedule_removal is not an officer's step from FINAL_ORDER; from there: request_travel_document\n"
    )
    assert step(world, "C5", "request_travel_document", "2025-07-10")[0] == 0
    assert step(world, "C5", "issue_travel_document", "2025-07-20", "--valid-until", "2025-07-31")[0] == 0
    code, text = step(world, "C5", "schedule_removal", "2025-07-24")
    assert code != 0
    assert "supervisor's approval" in text
    assert "not barred by an approved withholding" in text
    assert step(world, "C5", "schedule_removal", "2025-07-25", "--country", "SLV", *APPROVED)[0] == 0
    assert step(world, "C5", "execute_removal", "2025-07-28", "--country", "SLV")[0] == 0
    rows = list(csv.DictReader(io.StringIO(ilos("case", "history", "C5", db=world).out)))
    officer = [(r["step"], r["applied"], r["actor"]) for r in rows if r["trigger"] == "officer"]
    assert officer == [
        ("request_travel_document", "true", "ana"),
        ("issue_travel_document", "true", "ana"),
        ("schedule_removal", "false", "ana"),
        ("schedule_removal", "true", "ana"),
        ("execute_removal", "true", "ana"),
    ]  # fmt: skip  (a refused attempt stays on the record)
    assert state(world, "C5", "2025-08-01") == "REMOVED"
    lines = ilos("events", "--kind", "case:step", db=world).out.splitlines()
    events = [json.loads(line) for line in lines]
    scheduled = [e for e in events if e["subject"] == "C5" and e["step"] == "schedule_removal"]
    assert [(e["applied"], e["from"], e["to"], e["approved_by"]) for e in scheduled] == [
        (False, "TRAVEL_DOCUMENT_ISSUED", "TRAVEL_DOCUMENT_ISSUED", None),
        (True, "TRAVEL_DOCUMENT_ISSUED", "REMOVAL_SCHEDULED", "bo"),
    ]
    assert scheduled[0]["guard_results"]["supervisor_approval"] is False
    assert scheduled[1]["detail"] == {"country": "SLV"}


@GUARD_LOGIC
def test_no_removal_during_a_stay_or_to_a_barred_country(world: str) -> None:
    assert step(world, "C3", "request_travel_document", "2025-03-10")[0] == 0
    assert step(world, "C3", "issue_travel_document", "2025-03-11", "--valid-until", "2025-12-31")[0] == 0
    code, text = step(world, "C3", "schedule_removal", "2025-03-12", "--country", "SLV", *APPROVED)
    assert code != 0
    assert "no stay of removal in force" in text
    assert (
        step(world, "C3", "schedule_removal", "2025-05-05", "--country", "SLV", *APPROVED)[0] == 0
    )  # lifted
    assert step(world, "C7", "request_travel_document", "2025-02-01")[0] == 0
    assert step(world, "C7", "issue_travel_document", "2025-02-02", "--valid-until", "2025-12-31")[0] == 0
    code, text = step(world, "C7", "schedule_removal", "2025-02-03", "--country", "slv", *APPROVED)
    assert code != 0
    assert "not barred by an approved withholding or CAT" in text
    assert step(world, "C7", "schedule_removal", "2025-02-03", "--country", "MEX", *APPROVED)[0] == 0
    due = ilos("case", "due", "--within", "7d", "--as-of", "2025-12-26", db=world).out
    expiring = [r for r in csv.DictReader(io.StringIO(due)) if r["deadline"] == "TRAVEL_DOCUMENT_EXPIRES"]
    assert [(r["due"], r["case"]) for r in expiring] == [("2025-12-31", "C3"), ("2025-12-31", "C7")]
    code, text = step(world, "C7", "execute_removal", "2026-01-05", "--country", "MEX")
    assert code != 0
    assert "a travel document issued and not expired" in text


def test_only_officers_move_cases_and_a_supervisor_approves_a_referral(world: str) -> None:
    links = csv.DictReader(io.StringIO(ilos("export", "links", db=world).out))
    somebody = next(r["person_id"] for r in links if r["source_record_id"] == "R1")
    listed_only = ilos("case", "open", "--person", somebody, "--actor", "ana", "--reason", "worklist entry",
                       "--source", "worklist:guidelines-2021", db=world)  # fmt: skip
    assert listed_only.code != 0
    assert "is not on the guidelines-2021 worklist on" in listed_only.err  # relief was granted
    opened = ilos(
        "case", "open", "--person", somebody, "--actor", "ana", "--reason", "officer's referral", db=world
    )
    assert opened.code == 0, opened.err
    lead = opened.out.strip()
    assert lead.startswith("L-")
    assert "cy (analyst) may not move a case" in step(world, lead, "vet", "", actor="cy")[1]
    assert "not a user" in step(world, lead, "vet", "", actor="zed")[1]
    assert step(world, lead, "vet", "")[0] == 0
    self_approved = step(world, lead, "refer", "", "--approved-by", "ana", "--justification", "x")
    assert self_approved[0] != 0
    assert "supervisor's approval" in self_approved[1]
    assert step(world, lead, "refer", "", *APPROVED)[0] == 0
    shown = ilos("case", "show", lead, db=world).out
    assert shown.splitlines()[0].endswith(": REFERRED")
    assert f"persons: {somebody}" in shown


def lead_on(url: str, record: str) -> str:
    links = csv.DictReader(io.StringIO(ilos("export", "links", db=url).out))
    somebody = next(r["person_id"] for r in links if r["source_record_id"] == record)
    opened = ilos("case", "open", "--person", somebody, "--actor", "ana", "--reason", "referral", "--on", "2025-09-30",
                  db=url)  # fmt: skip
    assert opened.code == 0, opened.err
    lead = opened.out.strip()
    assert step(url, lead, "vet", "2025-10-01")[0] == 0
    return lead


@GUARD_LOGIC
def test_a_notice_to_appear_is_refused_while_its_charges_are_unfounded_or_a_citizenship_claim_is_open(
    world: str,
) -> None:
    in_status = lead_on(world, "I10")
    code, text = step(world, in_status, "issue_nta", "2025-10-02", "--charge", "overstay")
    assert code != 0
    assert "the person is not in status on the day" in text
    assert "needs --charge" in step(world, in_status, "issue_nta", "2025-10-02")[1]
    assert (
        "unknown charge SMUGGLING"
        in step(world, in_status, "issue_nta", "2025-10-02", "--charge", "smuggling")[1]
    )
    assert (
        step(world, in_status, "issue_nta", "2025-10-02", "--charge", "fraud")[0] == 0
    )  # not a status charge
    asylum = lead_on(world, "I11")
    code, text = step(world, asylum, "issue_nta", "2025-10-02", "--charge", "OVERSTAY")
    assert code != 0
    assert "no asylum, TPS or timely extension or change of status pending" in text
    assert "not in status" not in text  # the stay ended on 9 July
    claimed = lead_on(world, "I12")
    code, text = step(world, claimed, "issue_nta", "2025-10-02", "--charge", "OVERSTAY")
    assert code != 0
    assert "no open claim to U.S. citizenship" in text
    backdated = step(world, claimed, "issue_nta", "2025-08-29", "--charge", "OVERSTAY")
    assert "a step cannot be dated before it" in backdated[1]  # before the claim, but after the vetting


def test_cases_are_assigned_to_officers_and_their_field_offices(world: str) -> None:
    assert ilos("users", "add", "eve", "--role", "officer", "--field-office", "MIAMI", db=world).code == 0

    def assign(case: str, to: str, actor: str) -> tuple[int, str]:
        out = ilos("case", "assign", case, "--to", to, "--actor", actor, "--reason", "workload", "--on", "2025-08-01",
                   db=world)  # fmt: skip
        return out.code, out.out + out.err

    assert "ana (officer) may not assign a case to someone else" in assign("C0", "eve", "ana")[1]
    assert "cy (analyst) may not be assigned a case" in assign("C0", "cy", "bo")[1]
    assert "case NOPE has no court events" in assign("NOPE", "eve", "bo")[1]
    assert assign("C0", "eve", "bo") == (0, "case C0: assigned to eve (MIAMI)\n")
    assert assign("C4", "ana", "ana")[0] == 0  # an officer takes a case
    mine = ilos("case", "assigned", "--field-office", "MIAMI", db=world).out
    assert [(r["case"], r["officer"], r["by"]) for r in csv.DictReader(io.StringIO(mine))] == [
        ("C0", "eve", "bo")
    ]
    assert (
        "assigned to: eve (MIAMI) since 2025-08-01"
        in ilos("case", "show", "C0", "--as-of", "2025-09-01", db=world).out
    )
    assert "assigned to: nobody" in ilos("case", "show", "C0", "--as-of", "2025-07-01", db=world).out


def test_overriding_the_ranking_is_allowed_with_a_reason_recorded_and_counted(world: str) -> None:
    links = list(csv.DictReader(io.StringIO(ilos("export", "links", db=world).out)))
    relieved = next(
        r["person_id"] for r in links if r["source_record_id"] == "R1"
    )  # relief granted: not listed
    stayed = next(r["person_id"] for r in links if r["source_record_id"] == "P5")

    def open_lead(person: str, on: str, *extra: str) -> tuple[int, str]:
        out = ilos("case", "open", "--person", person, "--actor", "ana", "--reason", "tip from the field office",
                   "--source", "worklist:guidelines-2021", "--on", on, *extra, db=world)  # fmt: skip
        return out.code, out.out + out.err

    assert "override the ranking with --override" in open_lead(relieved, "2025-06-01")[1]
    code, lead = open_lead(relieved, "2025-06-01", "--override")
    assert code == 0, lead
    held = open_lead(stayed, "2025-04-01", "--override")
    assert "is held on 2025-04-01 (STAY): a legal hold is not the policy's to override" in held[1]
    referral = ilos(
        "case", "open", "--person", stayed, "--actor", "ana", "--reason", "x", "--override", db=world
    )
    assert "--override applies to a lead from a worklist" in referral.err
    counted = ilos("case", "overrides", db=world)
    rows = list(csv.DictReader(io.StringIO(counted.out)))
    assert [(r["policy"], r["case"], r["person_id"], r["tier"]) for r in rows] == [
        ("guidelines-2021", lead.strip(), relieved, "")
    ]
    assert counted.err == "guidelines-2021: 1 override\n"
    assert ilos("case", "overrides", "--policy", "priorities-2014", db=world).out.strip() == (
        "policy,version,case,person_id,day,actor,tier,reason"
    )


@GUARD_LOGIC
@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("C13", "no asylum, withholding or CAT claim pending"),
        ("C14", "no valid TPS and no pending initial TPS"),
    ],
)
def test_no_removal_while_asylum_or_an_initial_tps_application_is_pending(
    world: str, case: str, reason: str
) -> None:
    assert step(world, case, "request_travel_document", "2025-01-20")[0] == 0
    assert step(world, case, "issue_travel_document", "2025-01-21", "--valid-until", "2025-12-31")[0] == 0
    code, text = step(world, case, "schedule_removal", "2025-01-31", "--country", "SLV", *APPROVED)
    assert code != 0
    assert (
        reason in text
    )  # dated the day before the filing, but it is pending on the day the step is recorded
    code, text = step(world, case, "schedule_removal", "2025-02-03", "--country", "SLV", *APPROVED)
    assert code != 0
    assert reason in text


@GUARD_LOGIC
def test_paths_without_a_hearing_visa_waiver_removal_and_a_stipulated_order(world: str) -> None:
    entrant = lead_on(world, "I15")
    code, text = step(world, entrant, "order_visa_waiver_removal", "2025-10-02")
    assert code != 0
    assert "supervisor's approval" in text
    assert step(world, entrant, "order_visa_waiver_removal", "2025-10-02", *APPROVED)[0] == 0
    visitor = lead_on(world, "I10")  # admitted as a B2 visitor: a hearing cannot be waived
    code, text = step(world, visitor, "order_visa_waiver_removal", "2025-10-02", *APPROVED)
    assert code != 0
    assert "admission was under the Visa Waiver Program" in text
    code, text = step(world, "C16", "record_stipulated_order", "2025-03-03")
    assert code != 0
    assert "the signed stipulation and the judge's order are on file" in text
    assert step(world, "C16", "record_stipulated_order", "2025-03-03", "--document", "EOIR-STIP-16")[0] == 0
    assert step(world, "C16", "request_travel_document", "2025-03-04")[0] == 0
    assert step(world, "C16", "issue_travel_document", "2025-03-05", "--valid-until", "2025-09-30")[0] == 0
    assert (
        step(world, "C16", "schedule_removal", "2025-03-06", "--country", "SLV", *APPROVED)[0] == 0
    )  # final


@GUARD_LOGIC
def test_an_approved_change_of_status_is_in_status_for_an_overstay_charge(world: str) -> None:
    student = lead_on(world, "I17")  # a B2 visitor whose change to F-1 was approved before the stay ended
    code, text = step(world, student, "issue_nta", "2025-10-02", "--charge", "OVERSTAY")
    assert code != 0
    assert "the person is not in status on the day" in text


@GUARD_LOGIC
def test_steps_are_not_dated_in_the_future_and_a_backdated_step_respects_protections_in_force_now(
    world: str,
) -> None:
    lead = lead_on(world, "I12")  # claimed U.S. citizenship on 1 September 2025, vetted on 1 October
    future = step(world, lead, "close", "2999-01-01")
    assert "a step cannot be dated after today" in future[1]
    links = csv.DictReader(io.StringIO(ilos("export", "links", db=world).out))
    claimant = next(r["person_id"] for r in links if r["source_record_id"] == "I12")
    opened = ilos("case", "open", "--person", claimant, "--actor", "ana", "--reason", "old tip", "--on", "2025-08-01",
                  db=world)  # fmt: skip
    backdated = opened.out.strip()
    assert step(world, backdated, "vet", "2025-08-02")[0] == 0
    code, text = step(world, backdated, "issue_nta", "2025-08-04", "--charge", "OVERSTAY")  # before the claim
    assert code != 0
    assert "no open claim to U.S. citizenship" in text  # the claim is open on the day it is recorded


@pytest.mark.parametrize(
    "order", ["EXPEDITED_REMOVAL_ORDER", "REINSTATEMENT_ORDER", "ADMINISTRATIVE_REMOVAL_ORDER"]
)
def test_a_summary_order_waits_for_the_contracts_appeal_window(tmp_path: Path, order: str) -> None:
    """The contract gives every order but an in-absentia one the 30-day window (ADR 8): the case is
    ORDERED, the window's end is due, and the order is final the day after it (Monday 1 June 2026)."""
    url = f"sqlite:///{tmp_path}/ilos.db"
    rows = [court(9, "S1", order, "2026-05-02")]
    assert ilos("ingest", "court_events", str(write_csv(tmp_path / "c.csv", rows)), db=url).code == 0
    assert state(url, "C9", "2026-06-01") == "ORDERED"
    due = ilos("case", "due", "--within", "40d", "--as-of", "2026-05-02", db=url).out
    assert [(r["due"], r["case"], r["deadline"]) for r in csv.DictReader(io.StringIO(due))] == [
        ("2026-06-01", "C9", "APPEAL_WINDOW_ENDS")
    ]
    assert ("2026-06-02", "appeal_window_closed", "FINAL_ORDER", "true") in history(url, "C9", "2026-06-02")
    assert state(url, "C9", "2026-06-02") == "FINAL_ORDER"
