"""Records with too little identity (name-only departures, filings, removals, convictions) placed
by their trips incrementally, in any delivery order, as a full run places them."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.cli import ilos
from tests.feedfiles import arrival, write_csv
from tests.integration.incremental.support import (
    assert_a_full_run_links_the_same,
    deliver,
    departure_of,
    linked,
    okafor,
    partition,
)


def _name_only(rid: str, day: str, document: str = "") -> dict[str, str]:
    """A departure of Chidi Okafor of Nigeria with nothing else to link it by but the trip it ends (and
    `document`, a passport no other record carries)."""
    row = departure_of(okafor("0"), rid, departure_date=day, recorded_at=f"{day}T20:00:00Z")
    papers = (
        {"document_type": "P", "document_number": document, "document_country": "NGA"} if document else {}
    )
    return {**row, "date_of_birth": "", **papers}


def _deliver_trips(tmp_path: Path, order: str, document: str = "") -> str:
    """Chidi Okafor arrives, leaves (D1), a namesake arrives, and a second departure (D2) follows, in
    the delivery `order`; the store's URL after checking a full run links the same."""
    namesake = okafor(
        "2", date_of_birth="1971-02-09", admitted_on="2024-05-01", recorded_at="2024-05-02T10:00:00Z"
    )
    second_papers = "NG2342108" if document else ""  # another passport, not one misread
    departures = (_name_only("D1", "2024-04-01", document), _name_only("D2", "2024-06-01", second_papers))
    return _deliver_in_order(tmp_path, order, namesake, *departures)


def _deliver_in_order(
    tmp_path: Path, order: str, namesake: dict[str, str], first: dict[str, str], second: dict[str, str]
) -> str:
    """Chidi Okafor's arrival (1 March 2024), the departures `first` (D1) and `second` (D2) and the
    arrival of `namesake`, delivered in `order`, each linked incrementally; checks that a full run
    links the same, that D1 joined Chidi and that D2 stayed alone, and returns the store's URL."""
    deliveries = {
        "chidi": ("arrivals", write_csv(tmp_path / "a1.csv", [okafor("1", admitted_on="2024-03-01")])),
        "first": ("departures", write_csv(tmp_path / "d1.csv", [first])),
        "namesake": ("arrivals", write_csv(tmp_path / "a2.csv", [namesake])),
        "second": ("departures", write_csv(tmp_path / "d2.csv", [second])),
    }
    sequence = {
        "as recorded": ["chidi", "first", "namesake", "second"],
        "departures first": ["second", "first", "chidi", "namesake"],
        "namesake first": ["namesake", "second", "chidi", "first"],
    }[order]
    db = f"sqlite:///{tmp_path / 'trips.db'}"
    persons = linked(db, [deliveries[name] for name in sequence])
    assert frozenset({"arrivals/I94/1", "departures/APIS/D1"}) in persons
    assert frozenset({"departures/APIS/D2"}) in persons
    return db


ORDERS = ["as recorded", "departures first", "namesake first"]


@pytest.mark.parametrize("order", ORDERS)
def test_a_name_only_departure_is_placed_as_a_full_run_places_it(tmp_path: Path, order: str) -> None:
    """A name-only departure joins the one Chidi Okafor in the country on its day; a namesake who
    arrives before a second one leaves that one alone; any delivery order gives the full run's persons."""
    db = _deliver_trips(tmp_path, order)
    unlinked = ilos("export", "unlinked", db=db).out
    assert "APIS,D2,name_without_birth_date_or_number" in unlinked
    assert "APIS,D1," not in unlinked  # its trip linked it
    why = ilos("explain", "link", "departures/APIS/D1", "arrivals/I94/1", db=db).out
    assert "linked now: yes, though one record has too little identity" in why


@pytest.mark.parametrize("order", ORDERS)
def test_a_departure_with_an_unknown_passport_is_placed_as_a_full_run_places_it(
    tmp_path: Path, order: str
) -> None:
    """The same with passports on the departures that no other record carries (renewed since arrival)."""
    db = _deliver_trips(tmp_path, order, document="NG4815162")
    why = ilos("explain", "link", "departures/APIS/D1", "arrivals/I94/1", db=db).out
    assert "linked now: yes, though the weights alone would not link them" in why


def _thin(rid: str, day: str, born: str) -> dict[str, str]:
    """A departure of an OKAFOR of Nigeria with no given name: born a day from Chidi (1990-05-17) or
    Ngozi (1990-05-19), the weights leave it in review with each."""
    row = departure_of(okafor("0"), rid, departure_date=day, recorded_at=f"{day}T20:00:00Z")
    return {**row, "given_names": "", "date_of_birth": born}


@pytest.mark.parametrize("order", ORDERS)
def test_a_departure_in_review_is_placed_as_a_full_run_places_it(tmp_path: Path, order: str) -> None:
    """A departure in review with the one Okafor in the country joins him; once Ngozi Okafor has
    arrived too, a second one stays alone; any delivery order gives the full run's persons."""
    ngozi = okafor("2", given_names="NGOZI", date_of_birth="1990-05-19", admitted_on="2024-05-01",
                    recorded_at="2024-05-02T10:00:00Z")  # fmt: skip
    departures = (_thin("D1", "2024-04-01", "1990-05-16"), _thin("D2", "2024-06-01", "1990-05-18"))
    _deliver_in_order(tmp_path, order, ngozi, *departures)


def _disposition(rid: str, incident: str, stage: str, **overrides: str) -> dict[str, str]:
    return {"source_system": "CJIS-FL", "source_record_id": rid, "recorded_at": "2024-07-01T00:00:00Z",
            "family_name": "OKAFOR", "given_names": "CHIDI", "citizenship": "NGA", "incident_id": incident,
            "stage": stage, "event_date": "2024-06-01", "category": "MISDEMEANOR", **overrides}  # fmt: skip


@pytest.mark.parametrize("order", ["charge first", "conviction first"])
def test_a_conviction_with_only_a_name_joins_its_charge_as_a_full_run_does(
    tmp_path: Path, order: str
) -> None:
    """A conviction that carries only a name joins the person its matter's charge names, in either
    delivery order; a namesake's name-only conviction in another matter stays apart."""
    chidi = okafor("1")
    charge = _disposition("C1", "FL-1", "CHARGE", date_of_birth=chidi["date_of_birth"], a_number="A012345678")
    deliveries = {
        "chidi": ("arrivals", write_csv(tmp_path / "a1.csv", [chidi])),
        "charge": ("criminal_dispositions", write_csv(tmp_path / "c1.csv", [charge])),
        "conviction": ("criminal_dispositions", write_csv(tmp_path / "c2.csv", [
            _disposition("C2", "FL-1", "CONVICTION"), _disposition("C3", "FL-2", "CONVICTION")])),
    }  # fmt: skip
    sequence = (
        ["chidi", "charge", "conviction"] if order == "charge first" else ["conviction", "chidi", "charge"]
    )
    db = f"sqlite:///{tmp_path / 'matters.db'}"
    deliver(db, [deliveries[name] for name in sequence], None, one_process=False)
    assert_a_full_run_links_the_same(db)
    persons = partition(db)
    chidi_records = "arrivals/I94/1", "criminal_dispositions/CJIS-FL/C1", "criminal_dispositions/CJIS-FL/C2"
    assert frozenset(chidi_records) in persons
    assert frozenset({"criminal_dispositions/CJIS-FL/C3"}) in persons
    unlinked = ilos("export", "unlinked", db=db).out
    assert "CJIS-FL,C3,name_without_birth_date_or_number" in unlinked
    assert "CJIS-FL,C2," not in unlinked  # its matter linked it
    why = ilos(
        "explain", "link", "criminal_dispositions/CJIS-FL/C2", "criminal_dispositions/CJIS-FL/C1", db=db
    )
    assert "a criminal disposition the person its matter's other records name" in why.out


def test_a_reviewer_separates_a_departure_its_trip_placed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'review.db'}"
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a1.csv", [okafor("1", admitted_on="2024-03-01")])),
        ("departures", write_csv(tmp_path / "d1.csv", [_name_only("D1", "2024-04-01")])),
    ]
    deliver(db, deliveries, None, one_process=True)
    assert frozenset({"arrivals/I94/1", "departures/APIS/D1"}) in partition(db)
    queue = list(csv.DictReader(io.StringIO(ilos("review", "list", db=db).out)))
    trip = [q for q in queue if q["rule"] == "trip"]
    assert [(q["record_a"], q["record_b"]) for q in trip] == [("arrivals/I94/1", "departures/APIS/D1")]
    decided = ilos("review", "decide", trip[0]["pair"], "separate", "--reason", "another traveller", db=db)
    assert decided.code == 0, decided.err
    assert ilos("resolve", "--incremental", db=db).code == 0
    assert frozenset({"departures/APIS/D1"}) in partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert frozenset({"departures/APIS/D1"}) in partition(db)


def test_a_retracted_placing_arrival_re_places_the_departure_as_a_full_run_does(tmp_path: Path) -> None:
    """Chidi's earlier arrival, under a longer given name, is linked to him by his passport but does
    not carry the departure's name: once the arrival that placed the departure is retracted, nothing
    places it, in an incremental run as in a full one."""
    db = f"sqlite:///{tmp_path / 'retract.db'}"
    passport = {"document_type": "P", "document_number": "A55501234", "document_country": "NGA"}
    earlier = okafor("9", given_names="CHIDIEBERE", admitted_on="2023-01-01", recorded_at="2023-01-02T10:00:00Z",
                      **passport)  # fmt: skip
    chidi = okafor("1", admitted_on="2024-03-01", **passport)
    gone = {**chidi, "recorded_at": "2024-05-01T00:00:00Z", "retracted": "true"}
    deliver(db, [("arrivals", write_csv(tmp_path / "a1.csv", [earlier, chidi])),
                  ("departures", write_csv(tmp_path / "d1.csv", [_name_only("D1", "2024-04-01")]))],
             None, one_process=True)  # fmt: skip
    assert frozenset({"arrivals/I94/9", "arrivals/I94/1", "departures/APIS/D1"}) in partition(db)
    deliver(db, [("arrivals", write_csv(tmp_path / "a1-retracted.csv", [gone]))], None, one_process=True)
    incremental = partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert (
        incremental
        == partition(db)
        == frozenset({frozenset({"arrivals/I94/9"}), frozenset({"departures/APIS/D1"})})
    )


@pytest.mark.parametrize("one_process", [True, False], ids=["kept index", "fresh processes"])
def test_a_retracted_rival_arrival_lets_the_departure_be_placed_as_a_full_run_does(
    tmp_path: Path, one_process: bool
) -> None:
    """Two Chidi Okafors were in the country, so the departure stayed alone; once the namesake's
    arrival is retracted, Chidi is the only one, in an incremental run as in a full one (the
    retracted arrival's old key comes from the kept index, or every key is re-placed without one)."""
    db = f"sqlite:///{tmp_path / 'rival.db'}"
    namesake = okafor(
        "2", date_of_birth="1971-02-09", admitted_on="2024-05-01", recorded_at="2024-05-02T10:00:00Z"
    )
    gone = {**namesake, "recorded_at": "2024-07-01T00:00:00Z", "retracted": "true"}
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a.csv", [okafor("1", admitted_on="2024-03-01"), namesake])),
        ("departures", write_csv(tmp_path / "d.csv", [_name_only("D2", "2024-06-01")])),
    ]
    deliver(db, deliveries, None, one_process=True)
    assert frozenset({"departures/APIS/D2"}) in partition(db)
    retraction = ("arrivals", write_csv(tmp_path / "a-retracted.csv", [gone]))
    if one_process:  # the same process stores and links the retraction, keeping its index
        db = f"sqlite:///{tmp_path / 'rival-kept.db'}"
        deliver(db, [*deliveries, retraction], None, one_process=True)
    else:
        deliver(db, [retraction], None, one_process=False)
    incremental = partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert incremental == partition(db)
    assert frozenset({"arrivals/I94/1", "departures/APIS/D2"}) in incremental


def test_a_rival_retracted_beside_a_new_record_lets_the_departure_be_placed_in_a_kept_process(
    tmp_path: Path,
) -> None:
    """As above, in one process, with the retraction delivered beside a new arrival: the batch is linked
    against the kept index, and the retracted arrival's old key comes from the trip keys the process
    kept (the new arrival's are built, the others kept), as a full run places the departure."""
    db = f"sqlite:///{tmp_path / 'rival-beside.db'}"
    namesake = okafor(
        "2", date_of_birth="1971-02-09", admitted_on="2024-05-01", recorded_at="2024-05-02T10:00:00Z"
    )
    gone = {**namesake, "recorded_at": "2024-07-01T00:00:00Z", "retracted": "true"}
    stranger = arrival("3", family_name="LINDQVIST", given_names="ASTRID", date_of_birth="1990-06-02",
                       admitted_on="2024-06-20", recorded_at="2024-07-01T00:00:00Z")  # fmt: skip
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a.csv", [okafor("1", admitted_on="2024-03-01"), namesake])),
        ("departures", write_csv(tmp_path / "d.csv", [_name_only("D2", "2024-06-01")])),
        ("arrivals", write_csv(tmp_path / "a-retracted.csv", [gone, stranger])),
    ]
    deliver(db, deliveries, None, one_process=True)
    incremental = partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert incremental == partition(db)
    assert frozenset({"arrivals/I94/1", "departures/APIS/D2"}) in incremental


def test_a_repeated_departure_before_the_trip_unplaces_it_as_a_full_run_does(tmp_path: Path) -> None:
    """A departure repeating Chidi's linked identity, dated before the name-only departure, says he
    had already left: the name-only departure is no longer his, in an incremental run as in a full one."""
    db = f"sqlite:///{tmp_path / 'repeat-trip.db'}"
    chidi = okafor("1", admitted_on="2024-03-01")
    deliver(db, [("arrivals", write_csv(tmp_path / "a.csv", [chidi])),
                  ("departures", write_csv(tmp_path / "d.csv", [_name_only("N1", "2024-04-01")]))],
             None, one_process=True)  # fmt: skip
    assert frozenset({"arrivals/I94/1", "departures/APIS/N1"}) in partition(db)
    earlier = departure_of(chidi, "U1", departure_date="2024-03-15", recorded_at="2024-03-16T00:00:00Z")
    deliver(db, [("departures", write_csv(tmp_path / "u.csv", [earlier]))], None, one_process=True)
    incremental = partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert incremental == partition(db)
    assert frozenset({"departures/APIS/N1"}) in incremental


def test_a_repeat_ending_a_rival_s_stay_places_the_departure_in_review_as_a_full_run_does(
    tmp_path: Path,
) -> None:
    """A departure without given names is in review with Chidi and with Ngozi Okafor, both in the country
    on its day, so it stays alone; a departure repeating Ngozi's identity, dated before it, says she had
    left: in a kept process as in a full run, the departure in review is placed again (its review pair
    with her ties its component to hers)."""
    db = f"sqlite:///{tmp_path / 'rival-left.db'}"
    chidi = okafor("1", admitted_on="2024-03-01")
    ngozi = okafor("2", given_names="NGOZI", date_of_birth="1990-05-19", admitted_on="2024-03-01")
    deliver(db, [("arrivals", write_csv(tmp_path / "a.csv", [chidi, ngozi])),
                  ("departures", write_csv(tmp_path / "d.csv", [_thin("D1", "2024-04-01", "1990-05-18")]))],
             None, one_process=True)  # fmt: skip
    assert frozenset({"departures/APIS/D1"}) in partition(db)
    left = departure_of(ngozi, "U1", departure_date="2024-03-15", recorded_at="2024-03-16T00:00:00Z")
    deliver(db, [("departures", write_csv(tmp_path / "u.csv", [left]))], None, one_process=True)
    incremental = partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert incremental == partition(db)
    assert frozenset({"arrivals/I94/1", "departures/APIS/D1"}) in incremental  # Chidi's now


@pytest.mark.parametrize("one_process", [True, False])
def test_a_self_report_before_the_trip_does_not_unplace_it(tmp_path: Path, one_process: bool) -> None:
    """A self-reported departure is a claim for another source to corroborate, not the end of a trip:
    dated before the name-only departure, it leaves that departure with Chidi (unlike a carrier's
    record, above), in an incremental run as in a full one."""
    db = f"sqlite:///{tmp_path / 'self-report.db'}"
    chidi = okafor("1", admitted_on="2024-03-01")
    claim = departure_of(chidi, "S1", source_system="APP-SELF", evidence="SELF_REPORTED", mode="LAND",
                          departure_date="2024-03-29", recorded_at="2024-03-29T12:00:00Z")  # fmt: skip
    deliveries = [("arrivals", write_csv(tmp_path / "a.csv", [chidi])),
                  ("departures", write_csv(tmp_path / "s.csv", [claim])),
                  ("departures", write_csv(tmp_path / "d.csv", [_name_only("N1", "2024-04-01")]))]  # fmt: skip
    persons = linked(db, deliveries, one_process)
    assert frozenset({"arrivals/I94/1", "departures/APP-SELF/S1", "departures/APIS/N1"}) in persons


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_a_departure_among_namesakes_joins_the_one_spelled_alike_as_a_full_run_does(
    tmp_path: Path, order: tuple[int, int, int]
) -> None:
    """CHIDI and CHIDY OKAFOR share a name key and are both in the country; the name-only departure
    spelled CHIDI joins Chidi, in three delivery orders, as a full run places it."""
    chidy = okafor("2", given_names="CHIDY", date_of_birth="1971-02-09", admitted_on="2024-03-10",
                    recorded_at="2024-03-11T10:00:00Z")  # fmt: skip
    deliveries = [("arrivals", write_csv(tmp_path / "a1.csv", [okafor("1", admitted_on="2024-03-01")])),
                  ("arrivals", write_csv(tmp_path / "a2.csv", [chidy])),
                  ("departures", write_csv(tmp_path / "d1.csv", [_name_only("D1", "2024-04-01")]))]  # fmt: skip
    persons = linked(f"sqlite:///{tmp_path / 'spelled.db'}", [deliveries[i] for i in order])
    assert frozenset({"arrivals/I94/1", "departures/APIS/D1"}) in persons
    assert frozenset({"arrivals/I94/2"}) in persons


def _chidi_a_namesake_and_his_return() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Chidi Okafor's arrival (1 March 2024), a namesake's (10 March) and Chidi's return (1 May)."""
    namesake = okafor("2", date_of_birth="1971-02-09", admitted_on="2024-03-10",
                       recorded_at="2024-03-11T10:00:00Z")  # fmt: skip
    returns = okafor("3", admitted_on="2024-05-01", recorded_at="2024-05-02T10:00:00Z")
    return okafor("1", admitted_on="2024-03-01"), namesake, returns


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0), (2, 0, 1, 3), (0, 3, 1, 2)])
def test_a_departure_among_namesakes_joins_the_one_who_arrives_again_as_a_full_run_does(
    tmp_path: Path, order: tuple[int, int, int, int]
) -> None:
    """Two Chidi Okafors are in the country when a name-only departure is recorded; only the first
    arrives again later, with no departure of his in between. The departure is his, in four delivery
    orders, as a full run places it (his return, delivered last, re-places a departure dated before it)."""
    chidi, namesake, returns = _chidi_a_namesake_and_his_return()
    deliveries = [("arrivals", write_csv(tmp_path / "a1.csv", [chidi])),
                  ("arrivals", write_csv(tmp_path / "a2.csv", [namesake])),
                  ("departures", write_csv(tmp_path / "d1.csv", [_name_only("D1", "2024-04-01")])),
                  ("arrivals", write_csv(tmp_path / "a3.csv", [returns]))]  # fmt: skip
    persons = linked(f"sqlite:///{tmp_path / 'returns.db'}", [deliveries[i] for i in order])
    assert frozenset({"arrivals/I94/1", "arrivals/I94/3", "departures/APIS/D1"}) in persons
    assert frozenset({"arrivals/I94/2"}) in persons


@pytest.mark.parametrize("one_process", [True, False], ids=["kept index", "fresh processes"])
def test_his_own_departure_before_his_return_unplaces_it_as_a_full_run_does(
    tmp_path: Path, one_process: bool
) -> None:
    """As above, then a departure repeating Chidi's linked identity, dated after the name-only one and
    before his return: that record ended his stay, so his return says nothing of the name-only
    departure, which is left alone again, in an incremental run as in a full one."""
    chidi, namesake, returns = _chidi_a_namesake_and_his_return()
    db = f"sqlite:///{tmp_path / 'own-departure.db'}"
    deliver(db, [("arrivals", write_csv(tmp_path / "a.csv", [chidi, namesake, returns])),
                  ("departures", write_csv(tmp_path / "d.csv", [_name_only("D1", "2024-04-01")]))],
             None, one_process=True)  # fmt: skip
    assert frozenset({"arrivals/I94/1", "arrivals/I94/3", "departures/APIS/D1"}) in partition(db)
    own = departure_of(chidi, "U1", departure_date="2024-04-15", recorded_at="2024-04-16T00:00:00Z")
    deliver(db, [("departures", write_csv(tmp_path / "u.csv", [own]))], None, one_process=one_process)
    assert_a_full_run_links_the_same(db)
    assert frozenset({"departures/APIS/D1"}) in partition(db)


def _layla(rid: str, given: str, document: str) -> dict[str, str]:
    """An arrival of Layla Hassan of Saudi Arabia spelt `given`, with passport `document` (or none)."""
    papers = {"document_type": "P" if document else "", "document_number": document,
              "document_country": "SAU" if document else ""}  # fmt: skip
    return arrival(rid, family_name="HASSAN", given_names=given, date_of_birth="1996-12-25", sex="F",
                   citizenship="SAU", **papers)  # fmt: skip


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0), (2, 0, 3, 1)])
def test_twins_undone_by_spellings_link_as_a_full_run_links_them(
    tmp_path: Path, order: tuple[int, ...]
) -> None:
    """LAYLS (no passport) and LEILA are "twins" until two records spelling LAYLA link to both: one
    woman, in whatever order her records arrive, as a full run links her."""
    rows = [_layla("1", "LAYLS", ""), _layla("2", "LEILA", "A11111111"),
            _layla("3", "LAYLA", "A22222222"), _layla("4", "LAYLA", "A33333333")]  # fmt: skip
    deliveries = [("arrivals", write_csv(tmp_path / f"a{i}.csv", [row])) for i, row in enumerate(rows)]
    persons = linked(f"sqlite:///{tmp_path / 'layla.db'}", [deliveries[i] for i in order])
    assert frozenset(f"arrivals/I94/{i}" for i in "1234") in persons


def _without_inspection(rid: str, **overrides: str) -> dict[str, str]:
    """A record of Chidi Okafor, who entered without inspection: his birth date and A-number."""
    return {"source_system": "CBP-E3", "source_record_id": rid, "recorded_at": "2024-03-02T00:00:00Z",
            "family_name": "OKAFOR", "given_names": "CHIDI", "date_of_birth": "1990-05-17", "sex": "M",
            "citizenship": "NGA", "a_number": "A201234567", **overrides}  # fmt: skip


def _removal(rid: str, day: str) -> dict[str, str]:
    """His removal as the removing agency recorded it: names, citizenship and a passport, no birth date."""
    return {
        **_name_only(rid, day, document="NG4815162"),
        "source_system": "ICE-ERO",
        "evidence": "REMOVAL_EXECUTED",
    }


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_a_removal_with_only_a_name_joins_the_person_an_encounter_shows_in_the_country(
    tmp_path: Path, order: tuple[int, int, int]
) -> None:
    """No arrival, but an apprehension and a removal order show Chidi in the country: his removal,
    recorded with a name and a passport alone, joins him in any delivery order, as a full run places it."""
    encounter = _without_inspection("E1", encounter_id="E1", event_date="2024-03-01", agency="CBP_BORDER",
                                    encounter_type="APPREHENSION", outcome="EXPEDITED_REMOVAL")  # fmt: skip
    order_row = _without_inspection("C1", source_system="EOIR", recorded_at="2024-03-05T00:00:00Z",
                                    case_number="K1", event="EXPEDITED_REMOVAL_ORDER", event_date="2024-03-04")  # fmt: skip
    deliveries = [("encounters", write_csv(tmp_path / "e.csv", [encounter])),
                  ("court_events", write_csv(tmp_path / "c.csv", [order_row])),
                  ("departures", write_csv(tmp_path / "r.csv", [_removal("R1", "2024-03-20")]))]  # fmt: skip
    persons = linked(f"sqlite:///{tmp_path / 'ewi.db'}", [deliveries[i] for i in order])
    assert frozenset({"encounters/CBP-E3/E1", "court_events/EOIR/C1", "departures/ICE-ERO/R1"}) in persons


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_a_removal_under_both_surnames_joins_records_that_cut_and_swap_them(
    tmp_path: Path, order: tuple[int, int, int]
) -> None:
    """The apprehension names only OKAFOR EZE, the court's order CHIDI OKAFOR with the names swapped
    and the second surname dropped; the removal, with names and a passport alone, names OKAFOR EZE
    CHIDI. The court event's names are the removal's with the second surname cut: it joins him in any
    delivery order, as a full run places it."""
    encounter = _without_inspection("E1", encounter_id="E1", event_date="2024-03-01", agency="CBP_BORDER",
                                    encounter_type="APPREHENSION", outcome="EXPEDITED_REMOVAL",
                                    family_name="OKAFOR EZE", given_names="")  # fmt: skip
    order_row = _without_inspection("C1", source_system="EOIR", recorded_at="2024-03-05T00:00:00Z",
                                    case_number="K1", event="EXPEDITED_REMOVAL_ORDER", event_date="2024-03-04",
                                    family_name="CHIDI", given_names="OKAFOR", date_of_birth="")  # fmt: skip
    removal = {**_removal("R1", "2024-03-20"), "family_name": "OKAFOR EZE", "document_number": ""}
    deliveries = [("encounters", write_csv(tmp_path / "e.csv", [encounter])),
                  ("court_events", write_csv(tmp_path / "c.csv", [order_row])),
                  ("departures", write_csv(tmp_path / "r.csv", [removal]))]  # fmt: skip
    persons = linked(f"sqlite:///{tmp_path / 'cut.db'}", [deliveries[i] for i in order])
    assert frozenset({"encounters/CBP-E3/E1", "court_events/EOIR/C1", "departures/ICE-ERO/R1"}) in persons


@pytest.mark.parametrize(
    ("encounter", "placed"),
    [({"agency": "CBP_BORDER", "encounter_type": "APPREHENSION", "outcome": "RETURNED"}, False),
     ({"agency": "CBP_PORT", "encounter_type": "INADMISSIBLE", "outcome": "EXPEDITED_REMOVAL"}, True)],
    ids=["returned at once", "held at a port until removed"],
)  # fmt: skip
def test_an_encounter_shows_its_person_in_the_country_unless_returned_at_once(
    tmp_path: Path, encounter: dict[str, str], placed: bool
) -> None:
    """Sent back at the border, Chidi never stayed: a removal with only his name stays alone. Refused at
    a port and held until his expedited removal, he is its one candidate."""
    row = _without_inspection("E1", encounter_id="E1", event_date="2024-03-01", **encounter)
    deliveries = [("encounters", write_csv(tmp_path / "e.csv", [row])),
                  ("departures", write_csv(tmp_path / "r.csv", [_removal("R1", "2024-03-20")]))]  # fmt: skip
    persons = linked(f"sqlite:///{tmp_path / 'encounter.db'}", deliveries)
    together = frozenset({"encounters/CBP-E3/E1", "departures/ICE-ERO/R1"})
    assert (together in persons) is placed


@pytest.mark.parametrize("order", [(0, 1, 2), (0, 2, 1), (2, 1, 0)])
def test_an_encounter_repeating_a_status_event_brings_its_person_into_the_trip(
    tmp_path: Path, order: tuple[int, int, int]
) -> None:
    """Chidi's TPS filing carries no trip day; an encounter repeating its identity shows him in the
    country and is the one record of his that carries the name-only departure's key. Delivered after
    the departure, it re-resolves his person with the departure, as a full run places it."""
    filing = _without_inspection("S1", source_system="USCIS", receipt_number="IOE0000000001", benefit="TPS",
                                 event="FILED", event_date="2024-02-01", recorded_at="2024-02-02T00:00:00Z")  # fmt: skip
    encounter = _without_inspection("E1", encounter_id="E1", event_date="2024-03-01", agency="ICE",
                                    encounter_type="INTERIOR_ARREST", outcome="RELEASED_NTA")  # fmt: skip
    deliveries = [("status_events", write_csv(tmp_path / "s.csv", [filing])),
                  ("departures", write_csv(tmp_path / "d.csv", [_name_only("D1", "2024-03-20")])),
                  ("encounters", write_csv(tmp_path / "e.csv", [encounter]))]  # fmt: skip
    persons = linked(f"sqlite:///{tmp_path / 'repeat.db'}", [deliveries[i] for i in order])
    assert frozenset({"status_events/USCIS/S1", "encounters/CBP-E3/E1", "departures/APIS/D1"}) in persons


def test_the_review_queue_after_delivery_after_delivery_is_a_full_runs(tmp_path: Path) -> None:
    """Two arrivals of one traveller (a surname shortened, a partial birth date) are left in review; the
    departures that carry their documents then join all four records: the pair is moot, as a full run
    of the same records never queues it."""
    arrivals = [
        arrival("IYESHBSSA7U9", recorded_at="2024-01-14T11:27:02Z", family_name="CEBALLOS", given_names="ALDO",
                date_of_birth="1980-07", sex="M", citizenship="MEX", document_type="P", document_number="W30410071",
                document_country="MEX", admission_number="49603983709", admitted_on="2024-01-14",
                admit_until="2024-07-13"),
        arrival("ICUTJARZV0L8", recorded_at="2026-05-19T18:33:42Z", family_name="Ceballos Salas", given_names="Aldo",
                date_of_birth="1980-07-19", citizenship="IND", document_type="B", document_number="B13628981",
                document_country="USA", admission_number="60413201769", port_of_entry="CAL", mode="LAND",
                admitted_on="2026-05-19", admit_until="2026-11-18"),
    ]  # fmt: skip
    who = {"family_name": "CEBALLOS SALAS", "given_names": "ALDO", "date_of_birth": "1980-07-19", "sex": "M",
           "citizenship": "MEX", "mode": "AIR"}  # fmt: skip
    departures = [
        {"source_system": "APIS", "source_record_id": "APEXW0X0M3VFKR", "recorded_at": "2024-01-29T07:54:02Z", **who,
         "document_type": "P", "document_number": "W30410071", "document_country": "MEX",
         "departure_date": "2024-01-16", "evidence": "MANIFEST", "admission_number": "49603983709"},
        {"source_system": "CBP-BE", "source_record_id": "CB0M1FRNULR0TC", "recorded_at": "2026-05-31T09:36:01Z",
         **who, "document_type": "B", "document_number": "B13628981", "document_country": "USA",
         "departure_date": "2026-05-31", "evidence": "BIOMETRIC_EXIT"},
    ]  # fmt: skip
    a, d = write_csv(tmp_path / "a.csv", arrivals), write_csv(tmp_path / "d.csv", departures)
    queues = []
    for name, steps in (("delivered", [[], []]), ("full", [["--no-resolve"], ["--no-resolve"]])):
        db = f"sqlite:///{tmp_path / f'{name}.db'}"
        assert ilos("ingest", *steps[0], "arrivals", str(a), db=db).code == 0
        if name == "delivered":
            assert "arrivals/I94/ICUTJARZV0L8" in ilos("review", "list", db=db).out
        assert ilos("ingest", *steps[1], "departures", str(d), db=db).code == 0
        if name == "full":
            assert ilos("resolve", db=db).code == 0
        assert len(partition(db)) == 1
        queues.append(ilos("review", "list", db=db).out)
    assert queues[0] == queues[1]
    assert "ICUTJARZV0L8" not in queues[0]


def _filing(rid: str, day: str, benefit: str = "EXTENSION_OF_STAY") -> dict[str, str]:
    """A filing of Chidi Okafor of Nigeria that carries his names and nothing else to link it by."""
    row = departure_of(okafor("0"), rid)
    identity = {k: row[k] for k in ("source_record_id", "family_name", "given_names", "citizenship")}
    return {**identity, "source_system": "USCIS", "recorded_at": f"{day}T20:00:00Z",
            "receipt_number": f"EAC24{rid[1:]:0>8}", "benefit": benefit, "event": "FILED", "event_date": day}  # fmt: skip


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0), (2, 3, 0, 1)])
def test_a_filing_with_only_a_name_joins_the_one_person_of_its_name_as_a_full_run_does(
    tmp_path: Path, order: tuple[int, int, int, int]
) -> None:
    """Chidi Okafor arrives; an extension filed under his name alone joins him. A namesake arrives; a
    second filing under the name finds two persons of it and stays alone. A TPS filing (which may be
    filed from abroad) is never placed. Any delivery order gives the full run's persons."""
    namesake = okafor(
        "2", date_of_birth="1971-02-09", admitted_on="2024-05-01", recorded_at="2024-05-02T10:00:00Z"
    )
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a1.csv", [okafor("1", admitted_on="2024-03-01")])),
        ("status_events", write_csv(tmp_path / "s1.csv", [_filing("S1", "2024-04-15"), _filing("S3", "2024-04-16", "TPS")])),
        ("arrivals", write_csv(tmp_path / "a2.csv", [namesake])),
        ("status_events", write_csv(tmp_path / "s2.csv", [_filing("S2", "2024-06-01")])),
    ]  # fmt: skip
    persons = linked(f"sqlite:///{tmp_path / 'filings.db'}", [deliveries[i] for i in order])
    assert frozenset({"arrivals/I94/1", "status_events/USCIS/S1"}) in persons
    assert frozenset({"status_events/USCIS/S2"}) in persons
    assert frozenset({"status_events/USCIS/S3"}) in persons


@pytest.mark.parametrize("order", [(0, 1, 2), (0, 2, 1), (2, 1, 0)])
def test_a_decision_on_a_placed_filing_is_linked_as_a_full_run_links_it(
    tmp_path: Path, order: tuple[int, int, int]
) -> None:
    """A filing under Chidi's name alone is placed with him; its approval, with the same name and
    receipt, makes the two one component, which a full run does not place (a placement moves a record
    alone): whatever the order, the incremental runs link as a full run does."""
    filing = _filing("S1", "2024-04-15")
    approval = {**filing, "source_record_id": "S2", "event": "APPROVED", "event_date": "2024-05-20",
                "recorded_at": "2024-05-20T20:00:00Z"}  # fmt: skip
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a1.csv", [okafor("1", admitted_on="2024-03-01")])),
        ("status_events", write_csv(tmp_path / "s1.csv", [filing])),
        ("status_events", write_csv(tmp_path / "s2.csv", [approval])),
    ]
    persons = linked(f"sqlite:///{tmp_path / 'decided.db'}", [deliveries[i] for i in order])
    assert frozenset({"status_events/USCIS/S1", "status_events/USCIS/S2"}) in persons


def _resolved(result: Any) -> int:
    """The records an `ilos ingest` re-resolved, from its report."""
    line = next(s for s in result.out.splitlines() if s.startswith("resolution run"))
    return int(line.split("review; ")[1].split(" records re-resolved")[0])


@pytest.mark.parametrize("one_process", [True, False], ids=["kept index", "fresh processes"])
def test_namesakes_a_name_only_departure_reaches_are_placed_among_not_scored_again(
    tmp_path: Path, one_process: bool
) -> None:
    """Three Chidi Okafors (two arrivals each, two of them leaving) share the name key of a name-only
    departure: the run places it among their clusters as they are, scoring only the departure, and a
    full run places it with the one still in the country too."""
    born = {"1": "1990-05-17", "2": "1971-02-09", "3": "1985-07-01"}
    arrivals = [
        okafor(
            f"{n}{k}", date_of_birth=dob, admitted_on=f"2024-0{k}-01", recorded_at=f"2024-0{k}-02T10:00:00Z"
        )
        for n, dob in born.items()
        for k in ("1", "3")
    ]
    left = [
        departure_of(okafor("0", date_of_birth=born[n]), f"L{n}", departure_date="2024-04-15")
        for n in ("2", "3")
    ]
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a.csv", arrivals)),
        ("departures", write_csv(tmp_path / "left.csv", left)),
    ]
    db = f"sqlite:///{tmp_path / 'namesakes.db'}"
    deliver(db, deliveries, None, one_process=one_process)
    path = write_csv(tmp_path / "d.csv", [_name_only("D1", "2024-06-01")])
    if one_process:
        from ilos.bootstrap import Ilos
        from ilos.config import Settings
        from ilos.services.ingest import ingest_files
        from ilos.services.resolve import resolve_incremental, warm

        with Ilos(Settings(), db) as app:
            assert warm(app.identity_work, app.identity_store)
            ingest_files("departures", [path], app.loader)
            resolved = resolve_incremental(app.identity_work, app.identity_store).resolved
    else:
        result = ilos("ingest", "departures", str(path), db=db)
        assert result.code == 0, result.err
        resolved = _resolved(result)
    assert resolved == 1  # the departure alone: its namesakes' components are placed among as they are
    persons = partition(db)
    assert frozenset({"arrivals/I94/11", "arrivals/I94/13", "departures/APIS/D1"}) in persons
    assert_a_full_run_links_the_same(db)


@pytest.mark.parametrize("one_process", [True, False], ids=["kept index", "fresh processes"])
def test_a_component_of_two_persons_a_name_key_reaches_is_resolved_again(
    tmp_path: Path, one_process: bool
) -> None:
    """Two Chidi Okafors of one birth date but two A-numbers, and an arrival of neither A-number that
    links to both: one component of two persons (the A-numbers keep them apart). A name-only departure
    of that name reaches it through the key; it cannot keep one cluster, and is resolved again as a full
    run resolves it: the two stay apart."""
    records = [okafor("41", a_number="A012345678"), okafor("42", a_number="A087654321"), okafor("43")]
    deliveries = [("arrivals", write_csv(tmp_path / "a.csv", records))]
    db = f"sqlite:///{tmp_path / 'apart.db'}"
    deliver(db, deliveries, None, one_process=one_process)
    apart = [p for p in partition(db) if p & {"arrivals/I94/41", "arrivals/I94/42"}]
    assert len(apart) == 2  # one component, two persons
    departure = ("departures", write_csv(tmp_path / "d.csv", [_name_only("D1", "2024-06-01")]))
    deliver(db, [departure], None, one_process=one_process)
    assert len([p for p in partition(db) if p & {"arrivals/I94/41", "arrivals/I94/42"}]) == 2
    assert_a_full_run_links_the_same(db)


@pytest.mark.parametrize("one_process", [True, False], ids=["kept index", "fresh processes"])
def test_a_departure_its_review_placed_is_scored_again_when_a_name_key_reaches_it(
    tmp_path: Path, one_process: bool
) -> None:
    """A departure with no given name, in review with Chidi Okafor (two arrivals), joined him by its
    trip; a later name-only departure of his name reaches it through his arrivals' key. It is placed by
    the pairs scoring gives it, so it is scored again with his component (joined to it by its review and
    its placement) and stays his, as a full run has it; both join him (a departure placed by its trip
    ends no stay for placing another)."""
    chidi = [okafor("1", admitted_on="2024-01-10"), okafor("11", admitted_on="2024-03-01")]
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a.csv", chidi)),
        ("departures", write_csv(tmp_path / "d1.csv", [_thin("D1", "2024-04-01", "1990-05-16")])),
    ]
    db = f"sqlite:///{tmp_path / 'review.db'}"
    deliver(db, deliveries, None, one_process=one_process)
    his = {"arrivals/I94/1", "arrivals/I94/11", "departures/APIS/D1"}
    assert frozenset(his) in partition(db)
    later = ("departures", write_csv(tmp_path / "d2.csv", [_name_only("D2", "2024-06-01")]))
    deliver(db, [later], None, one_process=one_process)
    assert frozenset({*his, "departures/APIS/D2"}) in partition(db)
    assert_a_full_run_links_the_same(db)
