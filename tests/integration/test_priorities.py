"""Worklists, holds and explanations on a crafted world, one person per scenario, on both stores.

Each person's records carry one family name and birth date (and an A-number where the scenario is not
about identity), so identity resolution links them; the worklist is then judged as of chosen dates.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ilos.entrypoints.cli.main import app
from tests.cli import ilos
from tests.feedfiles import arrival, write_csv

REC = "2026-06-10T00:00:00Z"
PEOPLE = {
    "VACATA": ("ROSA", "1980-02-11", "A200000001"),
    "BORRADO": ("LUIS", "1981-03-12", "A200000002"),
    "ASILO": ("ANA", "1982-04-13", "A200000003"),
    "TEMPORAL": ("JOSE", "1983-05-14", "A200000004"),
    "SUSPENSO": ("CARLOS", "1984-06-15", "A200000005"),
    "AUSENTE": ("MARTA", "1985-07-16", "A200000006"),
    "APELA": ("PEDRO", "1986-08-17", "A200000007"),
    "VOLUNTARIO": ("ELENA", "1987-09-18", "A200000008"),
    "FIANZA": ("RAUL", "1988-10-19", "A200000009"),
    "PARTIDA": ("SOFIA", "1989-11-20", "A200000010"),
    "ACUSADO": ("DIEGO", "1990-12-21", "A200000011"),
    "SALIDA": ("IRENE", "1991-01-22", "A200000012"),
    "CIUDADANO": ("TOMAS", "1992-02-23", "A200000013"),
}


def who(name: str, a_number: bool = True) -> dict[str, str]:
    given, born, anum = PEOPLE[name]
    row = {"family_name": name, "given_names": given, "date_of_birth": born, "citizenship": "GTM", "sex": "M"}
    return {**row, "a_number": anum} if a_number else row


def rec(system: str, rid: str, person: dict[str, str], recorded_at: str = REC, **cols: str) -> dict[str, str]:
    return {"source_system": system, "source_record_id": rid, "recorded_at": recorded_at, **person, **cols}


def crime(
    rid: str, name: str, incident: str, stage: str, day: str, category: str, **kw: str
) -> dict[str, str]:
    return rec(
        "CJIS-TX", rid, who(name), incident_id=incident, stage=stage, event_date=day, category=category, **kw
    )


def court(rid: str, name: str, event: str, day: str, **kw: str) -> dict[str, str]:
    return rec("EOIR", rid, who(name), case_number=f"C-{name}", event=event, event_date=day, **kw)


def filing(rid: str, name: str, benefit: str, event: str, day: str, **kw: str) -> dict[str, str]:
    return rec("USCIS", rid, who(name), receipt_number=f"R-{name}-{benefit}", benefit=benefit, event=event,
               event_date=day, **kw)  # fmt: skip


TWIN_A = {"family_name": "GEMELO", "given_names": "JUAN", "date_of_birth": "1995-05-05", "citizenship": "HND",
          "document_number": "HN1111111", "document_country": "HND", "document_type": "P"}  # fmt: skip
TWIN_B = {**TWIN_A, "given_names": "MATEO", "document_number": "HN2222222"}

FEEDS: dict[str, list[dict[str, str]]] = {
    "criminal_dispositions": [
        crime("X1", "VACATA", "I1", "CONVICTION", "2024-01-10", "VIOLENT_FELONY"),
        crime("X2", "VACATA", "I1", "VACATED", "2024-06-01", "VIOLENT_FELONY"),
        crime("X3", "BORRADO", "I2", "CONVICTION", "2024-01-10", "VIOLENT_FELONY"),
        crime("X4", "BORRADO", "I2", "EXPUNGED", "2024-06-01", "VIOLENT_FELONY"),
        crime("X5", "ASILO", "I3", "CONVICTION", "2025-10-01", "FELONY"),
        crime("X6", "TEMPORAL", "I4", "CONVICTION", "2025-02-01", "FELONY"),
        crime("X7", "PARTIDA", "I5", "CONVICTION", "2024-05-01", "SIGNIFICANT_MISDEMEANOR"),
        crime("X8", "ACUSADO", "I6", "ARREST", "2026-01-05", "VIOLENT_FELONY"),
        crime("X9", "ACUSADO", "I6", "CHARGE", "2026-01-20", "VIOLENT_FELONY"),
        crime("X11", "CIUDADANO", "I8", "CONVICTION", "2023-05-01", "FELONY"),
        rec(
            "CJIS-TX",
            "X10",
            TWIN_A,
            incident_id="I7",
            stage="CONVICTION",
            event_date="2025-03-03",
            category="FELONY",
        ),
    ],
    "arrivals": [
        arrival(
            "1", **who("ASILO", False), admitted_on="2025-01-01", admit_until="2025-06-30", recorded_at=REC
        ),
        arrival(
            "2", **who("PARTIDA", False), admitted_on="2024-01-01", admit_until="2024-06-30", recorded_at=REC
        ),
        arrival("3", **TWIN_A, admitted_on="2024-02-01", admit_until="2024-07-31", recorded_at=REC),
        arrival("4", **TWIN_B, admitted_on="2024-02-01", admit_until="2024-07-31", recorded_at=REC),
    ],
    "status_events": [
        filing("S1", "ASILO", "ASYLUM", "FILED", "2025-09-01"),
        filing(
            "S2",
            "TEMPORAL",
            "TPS",
            "APPROVED",
            "2024-06-01",
            valid_from="2024-06-01",
            valid_until="2026-06-14",
        ),
        filing("S3", "CIUDADANO", "CITIZENSHIP", "CLAIMED", "2024-01-05"),
        filing("S4", "CIUDADANO", "CITIZENSHIP", "REJECTED", "2024-04-01"),
        filing("S5", "CIUDADANO", "CITIZENSHIP", "CONFIRMED", "2024-06-01"),
    ],
    "court_events": [
        court("K1", "SUSPENSO", "REMOVAL_ORDERED", "2025-01-10"),
        court("K2", "SUSPENSO", "APPEAL_WAIVED", "2025-01-10"),
        court("K3", "SUSPENSO", "STAY_GRANTED", "2026-05-01"),
        court("K4", "AUSENTE", "IN_ABSENTIA_ORDER", "2026-06-01"),
        court("K5", "APELA", "REMOVAL_ORDERED", "2025-01-30"),  # + 30 days = Saturday 1 March 2025
        # K6, K8: granted at the end of proceedings (no waiver): a bond due in 5 business days, 60 days at most
        court("K6", "VOLUNTARIO", "VOLUNTARY_DEPARTURE_GRANTED", "2025-06-30", deadline="2025-09-30"),
        court("K8", "FIANZA", "VOLUNTARY_DEPARTURE_GRANTED", "2025-06-30", deadline="2025-09-30"),
        court("K10", "FIANZA", "VD_BOND_POSTED", "2025-07-02"),
        court("K11", "SALIDA", "IN_ABSENTIA_ORDER", "2023-01-10"),
    ],
    "encounters": [
        rec(
            "CBP",
            "E1",
            who("ACUSADO"),
            encounter_id="E1",
            event_date="2021-03-01",
            agency="CBP_BORDER",
            encounter_type="APPREHENSION",
            outcome="RELEASED_NTA",
        ),
    ],
    "departures": [
        rec(
            "APP-SELF",
            "D1",
            who("PARTIDA", False),
            departure_date="2024-07-10",
            mode="AIR",
            evidence="SELF_REPORTED",
            admission_number="00000000002",
        ),
    ],
}


@pytest.fixture(scope="module", params=["embedded", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The crafted world loaded into a fresh store; yields its URL."""
    from tests.conftest import fresh_pg_schema

    folder = tmp_path_factory.mktemp("priorities")
    urls: Iterator[str]
    if request.param == "embedded":
        urls = iter([f"sqlite:///{folder / 'ilos.db'}"])
    else:
        urls = fresh_pg_schema(request.getfixturevalue("pg_server"))
    url = next(urls)
    for feed, rows in FEEDS.items():
        done = ilos("ingest", feed, str(write_csv(folder / f"{feed}.csv", rows)), db=url)
        assert done.code == 0, done.err
        assert "quarantined" not in done.out or "quarantined 0" in done.out, done.out
    yield url
    for _ in urls:  # drops the PostgreSQL schema
        pass


def person_of(url: str, source_record_id: str) -> str:
    links = csv.DictReader(io.StringIO(ilos("export", "links", db=url).out))
    return next(r["person_id"] for r in links if r["source_record_id"] == source_record_id)


def listed(url: str, policy: str, as_of: str, *extra: str) -> dict[str, dict[str, str]]:
    out = ilos("worklist", "--policy", policy, "--as-of", as_of, *extra, db=url)
    assert out.code == 0, out.err
    return {r["person_id"]: r for r in csv.DictReader(io.StringIO(out.out))}


def test_a_vacated_conviction_does_not_count_and_an_expunged_one_does(world: str) -> None:
    rows = listed(world, "guidelines-2021", "2026-06-15")
    assert person_of(world, "X1") not in rows
    expunged = rows[person_of(world, "X3")]
    assert expunged["tier"] == "PUBLIC_SAFETY"
    assert expunged["score"] == "25"  # violent felony +30, recent +10, expunged -15
    assert "PS_VIOLENT_FELONY:CJIS-TX/X3" in expunged["reasons"].split(";")
    assert "MIT_EXPUNGED:CJIS-TX/X4" in expunged["reasons"].split(";")
    text = ilos("explain", "rank", person_of(world, "X1"), "--policy", "guidelines-2021", "--as-of", "2026-06-15",
                db=world).out  # fmt: skip
    assert "No removability fact on record: not listed." in text


def test_pending_asylum_holds_an_overstay_with_a_felony_off_the_list(world: str) -> None:
    person = person_of(world, "X5")
    assert person not in listed(world, "guidelines-2021", "2026-06-15")
    held = listed(world, "guidelines-2021", "2026-06-15", "--include-held")[person]
    assert (held["tier"], held["holds"]) == ("HELD", "PROTECTION_PENDING")
    assert list(held) == ["rank", "person_id", "tier", "score", "holds", "reasons"]
    assert int(held["rank"]) == max(int(r["rank"]) for r in listed(world, "guidelines-2021", "2026-06-15",
                                                                   "--include-held").values())  # fmt: skip


def test_tps_that_expired_yesterday_no_longer_holds(world: str) -> None:
    person = person_of(world, "X6")
    assert person not in listed(world, "guidelines-2021", "2026-06-14")
    assert listed(world, "guidelines-2021", "2026-06-15")[person]["tier"] == "PUBLIC_SAFETY"
    holds = list(csv.DictReader(io.StringIO(ilos("holds", person, "--as-of", "2026-06-15", db=world).out)))
    assert [(h["code"], h["scope"], h["start"], h["end"], h["in_force"]) for h in holds] == [
        ("TPS", "no removal", "2024-06-01", "2026-06-14", "false")
    ]
    assert holds[0]["sources"] == "status_events/USCIS/S2"


def test_a_citizenship_confirmed_after_a_rejection_holds_again(world: str) -> None:
    person = person_of(world, "X11")
    assert person not in listed(world, "guidelines-2021", "2024-03-01")  # the claim holds
    assert listed(world, "guidelines-2021", "2024-05-01")[person]["tier"] == "PUBLIC_SAFETY"  # rejected
    assert person not in listed(world, "guidelines-2021", "2026-06-15")  # confirmed


def test_a_final_order_with_a_stay_is_held_and_listed_before_the_stay(world: str) -> None:
    person = person_of(world, "K1")
    assert (
        listed(world, "priorities-2014", "2026-04-30")[person]["reasons"]
        == "P3_FINAL_ORDER:EOIR/K1;P3_FINAL_ORDER:EOIR/K2"
    )
    assert person not in listed(world, "priorities-2014", "2026-06-15")
    assert listed(world, "priorities-2014", "2026-06-15", "--include-held")[person]["holds"] == "STAY"


def test_an_in_absentia_order_is_final_at_once_with_no_appeal_window(world: str) -> None:
    person = person_of(world, "K4")
    assert listed(world, "priorities-2014", "2026-06-01")[person]["tier"] == "PRIORITY_3"
    assert ilos("holds", person, "--as-of", "2026-06-15", db=world).out.strip() == (
        "code,scope,start,end,in_force,sources"
    )


def test_an_appeal_window_ending_on_a_saturday_holds_through_monday(world: str) -> None:
    person = person_of(world, "K5")
    holds = list(csv.DictReader(io.StringIO(ilos("holds", person, "--as-of", "2025-03-03", db=world).out)))
    assert [(h["code"], h["end"], h["in_force"]) for h in holds] == [("APPEAL", "2025-03-03", "true")]
    assert person not in listed(world, "priorities-2014", "2025-03-03")
    assert listed(world, "priorities-2014", "2025-03-04")[person]["tier"] == "PRIORITY_3"


def test_a_voluntary_departure_bond_not_posted_makes_the_alternate_order_final(world: str) -> None:
    unposted, posted = person_of(world, "K6"), person_of(world, "K8")
    assert unposted not in listed(
        world, "priorities-2014", "2025-07-08"
    )  # the 5th business day: still running
    on_9_july = listed(world, "priorities-2014", "2025-07-09")
    assert on_9_july[unposted]["reasons"] == "P3_FINAL_ORDER:EOIR/K6"
    assert posted not in on_9_july
    assert listed(world, "priorities-2014", "2025-10-01")[posted]["tier"] == "PRIORITY_3"  # period ran out


def test_twins_where_only_one_has_a_conviction(world: str) -> None:
    convicted, other = person_of(world, "3"), person_of(world, "4")
    assert convicted != other
    assert person_of(world, "X10") == convicted
    rows = listed(world, "guidelines-2021", "2026-06-15")
    assert rows[convicted]["tier"] == "PUBLIC_SAFETY"
    assert other not in rows


def test_an_allegation_puts_a_person_on_review_but_never_raises_a_tier(world: str) -> None:
    person = person_of(world, "X8")
    row = listed(world, "guidelines-2021", "2026-06-15")[person]
    assert (row["tier"], row["score"], row["reasons"]) == ("BORDER_SECURITY", "0", "BS_BORDER_ENTRY:CBP/E1")
    review = ilos(
        "worklist", "--policy", "guidelines-2021", "--as-of", "2026-06-15", "--review", db=world
    ).out
    mine = [r for r in csv.DictReader(io.StringIO(review)) if r["person_id"] == person]
    assert mine == [
        {"person_id": person, "rules": "REVIEW_PENDING_CHARGES", "sources": "CJIS-TX/X8;CJIS-TX/X9"}
    ]


def test_an_uncorroborated_self_report_keeps_a_person_listed_until_a_departure_verifies_it(
    world: str, tmp_path: Path
) -> None:
    person = person_of(world, "X7")
    assert listed(world, "priorities-2014", "2026-06-15")[person]["tier"] == "PRIORITY_2"
    manifest = [rec("APIS", "D2", who("PARTIDA", False), recorded_at="2026-06-12T00:00:00Z",
                    departure_date="2024-07-11", mode="AIR", evidence="MANIFEST")]  # fmt: skip
    assert ilos("ingest", "departures", str(write_csv(tmp_path / "d.csv", manifest)), db=world).code == 0
    assert person not in listed(world, "priorities-2014", "2026-06-15")
    before = listed(world, "priorities-2014", "2026-06-15", "--known-at", "2026-06-11T00:00:00Z")
    assert before[person]["tier"] == "PRIORITY_2"
    holds = ilos("holds", person, "--as-of", "2026-06-15", "--json", db=world).out
    assert [(h["code"], h["in_force"]) for h in json.loads(holds)] == [("DEPARTED", True)]


def test_a_streamed_departure_takes_the_person_off_the_list_at_once(world: str) -> None:
    person = person_of(world, "K11")
    assert listed(world, "priorities-2014", "2026-06-20")[person]["tier"] == "PRIORITY_3"
    line = rec("ICE-ERO", "D3", who("SALIDA"), recorded_at="2026-06-17T00:00:00Z", departure_date="2026-06-16",
               mode="AIR", evidence="REMOVAL_EXECUTED")  # fmt: skip
    streamed = CliRunner().invoke(app, ["stream", "departures", "--db", world], input=json.dumps(line) + "\n")
    assert streamed.exit_code == 0, streamed.stderr
    assert person not in listed(world, "priorities-2014", "2026-06-20")
    assert person in listed(world, "priorities-2014", "2026-06-15")  # before the departure it was listed


def test_the_same_inputs_give_the_same_list_and_hash(world: str) -> None:
    args = ("worklist", "--policy", "guidelines-2021", "--as-of", "2026-06-15")
    first, second = ilos(*args, db=world).out, ilos(*args, db=world).out
    assert first == second
    events = [json.loads(e) for e in ilos("events", "--kind", "worklist:produced", db=world).out.splitlines()]
    mine = [e for e in events if e["as_of"] == "2026-06-15" and e["subject"] == "guidelines-2021"
            and not e["include_held"]]  # fmt: skip
    assert len({(e["inputs_hash"], e["list_hash"]) for e in mine[-2:]}) == 1
    assert mine[-1]["rows"] == len(first.splitlines()) - 1
    other = ilos("worklist", "--policy", "guidelines-2021", "--as-of", "2026-06-14", db=world)
    assert other.code == 0
    last = json.loads(ilos("events", "--kind", "worklist:produced", db=world).out.splitlines()[-1])
    assert last["inputs_hash"] != mine[-1]["inputs_hash"]  # TPS expired in between: the facts differ


def test_policy_diff_counts_and_names_the_persons_who_move(world: str) -> None:
    out = ilos("policy", "diff", "priorities-2014", "guidelines-2021", "--as-of", "2026-06-15", db=world)
    assert out.code == 0, out.err
    moves, persons = out.out.split("\n\n")
    assert "PRIORITY_3,not listed,5" in moves.splitlines()  # final orders alone reach no 2021 tier
    who_moved = {r["person_id"]: r for r in csv.DictReader(io.StringIO(persons))}
    absent = who_moved[person_of(world, "K4")]
    assert (absent["tier_a"], absent["tier_b"], absent["rules_a"]) == ("PRIORITY_3", "", "P3_FINAL_ORDER")


def test_unknown_policy_and_person_fail_with_one_line(world: str) -> None:
    bad = ilos("worklist", "--policy", "nope", db=world)
    assert bad.code != 0
    assert "no policy pack 'nope'; installed: guidelines-2021, priorities-2014" in bad.err
    for command in (
        ("explain", "rank", "P9999999999", "--policy", "guidelines-2021"),
        ("holds", "P9999999999"),
    ):
        missing = ilos(*command, db=world)
        assert missing.code != 0
        assert missing.err.count("\n") == 1
        assert "person P9999999999 has no records" in missing.err


def test_a_removal_recorded_with_a_name_and_passport_takes_a_person_who_entered_unseen_off_the_list(
    tmp_path: Path,
) -> None:
    """A person who entered without inspection has no arrival; the apprehension and the removal order
    show him in the country. His removal, recorded with his names and a passport but no birth date or
    A-number, is placed on him by that stay (the one person of that name in the country), so the
    removal takes him off the list and holds him as departed."""
    url = f"sqlite:///{tmp_path / 'ilos.db'}"
    names = {"family_name": "EXPULSADO", "given_names": "MATEO", "citizenship": "GTM", "sex": "M"}
    person = {**names, "date_of_birth": "1993-04-05", "a_number": "A200000099"}
    feeds = {
        "encounters": [rec("CBP-E3", "E9", person, encounter_id="E9", event_date="2026-05-01", agency="CBP_BORDER",
                           encounter_type="APPREHENSION", outcome="EXPEDITED_REMOVAL")],
        "court_events": [rec("EOIR", "K9", person, case_number="C-9", event="EXPEDITED_REMOVAL_ORDER",
                             event_date="2026-05-02")],
    }  # fmt: skip
    for feed, rows in feeds.items():
        assert ilos("ingest", feed, str(write_csv(tmp_path / f"{feed}.csv", rows)), db=url).code == 0
    expelled = person_of(url, "E9")
    assert expelled in listed(url, "guidelines-2021", "2026-06-02")  # after the order's appeal window
    removal = rec("ICE-ERO", "R9", names, departure_date="2026-05-20", mode="AIR", evidence="REMOVAL_EXECUTED",
                  document_type="P", document_number="G12345678", document_country="GTM")  # fmt: skip
    assert ilos("ingest", "departures", str(write_csv(tmp_path / "r.csv", [removal])), db=url).code == 0
    assert person_of(url, "R9") == expelled
    assert expelled not in listed(url, "guidelines-2021", "2026-06-02")
    holds = ilos("holds", expelled, "--as-of", "2026-06-02", "--json", db=url).out
    assert [(h["code"], h["in_force"]) for h in json.loads(holds)] == [("APPEAL", False), ("DEPARTED", True)]


@pytest.mark.parametrize(
    "order", ["EXPEDITED_REMOVAL_ORDER", "REINSTATEMENT_ORDER", "ADMINISTRATIVE_REMOVAL_ORDER"]
)
def test_every_order_but_in_absentia_opens_the_appeal_window(tmp_path: Path, order: str) -> None:
    """As the contract's hold table states it ("the 30-day appeal window after an order ...; none after
    IN_ABSENTIA_ORDER or APPEAL_WAIVED"), though in law these orders are not appealable to the Board:
    the person is held through the window's last day (2026-06-01, a Monday) and listed after it."""
    url = f"sqlite:///{tmp_path / 'ilos.db'}"
    person = {"family_name": "VENTANA", "given_names": "LUIS", "citizenship": "GTM", "sex": "M",
              "date_of_birth": "1990-01-02", "a_number": "A200000123"}  # fmt: skip
    row = rec("EOIR", "K1", person, case_number="C-1", event=order, event_date="2026-05-02")
    assert ilos("ingest", "court_events", str(write_csv(tmp_path / "c.csv", [row])), db=url).code == 0
    who = person_of(url, "K1")
    holds = json.loads(ilos("holds", who, "--as-of", "2026-06-01", "--json", db=url).out)
    assert [(h["code"], h["start"], h["last_day"], h["in_force"]) for h in holds] == [
        ("APPEAL", "2026-05-02", "2026-06-01", True)
    ]
    assert who not in listed(url, "priorities-2014", "2026-06-01")
    assert listed(url, "priorities-2014", "2026-06-02")[who]["reasons"] == "P3_FINAL_ORDER:EOIR/K1"
