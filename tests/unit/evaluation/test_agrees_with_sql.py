"""The per-person evaluator (`ilos.domain.evaluation`) against the set-at-a-time SQL it mirrors, on
records Hypothesis writes: few persons, few days, every code of the feeds the rules read, so ties,
same-day events, boundaries and missing values come up often. The SQL is the reference (ADR 11);
any difference is a defect of one of the two."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilos.adapters.db.reader import ADMISSION_INPUTS
from ilos.adapters.duck.admission_status import judged
from ilos.adapters.duck.facts import compute_facts
from ilos.adapters.duck.holds import compute_holds
from ilos.adapters.duck.priority_inputs import business_calendar, load_priority_inputs
from ilos.adapters.priority_work import FIRST_CALENDAR_YEAR, _columns, places
from ilos.domain.admission_rules import admission_rules
from ilos.domain.evaluation.person import place
from ilos.domain.feeds import BENEFITS, COURT_EVENT_CODES, STATUS_EVENTS_CODES
from ilos.domain.policy import Pack
from ilos.services.priorities import pack_named

AS_OF = date(2026, 6, 15)
PERSONS = ("P1", "P1", "P2", None)  # None: a record linked to no one
RULES = admission_rules()
PACKS = [pack_named("priorities-2014"), pack_named("guidelines-2021")]
_ids = itertools.count(1)

#: A few days, so that events fall on the same day, on window edges (30 and 60 days) and after the as-of day.
days = st.one_of(
    st.sampled_from([-2, -1, 0]), st.sampled_from([-4000, -400, -61, -31, -30, -29, -6, 1, 3])
).map(lambda n: (AS_OF + timedelta(days=n)).isoformat())
maybe_day = st.one_of(st.none(), days)
numbers = st.sampled_from(["11111111111", "22222222222"])
birth = st.sampled_from(["1980-02-29", "1990-06-15", "2010-06-16", "1990", ""])
few = st.integers(0, 5)


def _row(feed: str, person: str | None, system: str, **cols: Any) -> dict[str, Any]:
    rid = f"R{next(_ids):07d}"
    return {"_feed": feed, "uid": f"{feed}/{system}/{rid}", "person_id": person, "source_record_id": rid,
            "source_system": system, "date_of_birth": cols.pop("date_of_birth", "1990-06-15"), **cols}  # fmt: skip


def _stays(draw: st.DrawFn, who: st.SearchStrategy[str | None]) -> list[dict[str, Any]]:
    """Admissions and departures."""
    out = [_row("arrivals", draw(who), "I94", admission_number=draw(numbers),
                class_of_admission=draw(st.sampled_from(["B2", "F1", "M1", "WT"])), citizenship="DEU", mode="AIR",
                admitted_on=draw(days), admit_until=draw(st.one_of(st.just("D/S"), days)), date_of_birth=draw(birth))
           for _ in range(draw(st.integers(0, 3)))]  # fmt: skip
    out += [_row("departures", draw(who), draw(st.sampled_from(["APIS", "CBP-BE", "SELF"])),
                 departure_date=draw(days), admission_number=draw(st.one_of(st.none(), numbers)),
                 evidence=draw(st.sampled_from(["MANIFEST", "SELF_REPORTED", "REMOVAL_EXECUTED"])))
            for _ in range(draw(st.integers(0, 3)))]  # fmt: skip
    return out


def _filings(draw: st.DrawFn, who: st.SearchStrategy[str | None]) -> list[dict[str, Any]]:
    """Status events: each receipt keeps one benefit, so a receipt's filing, decision and end meet."""
    benefit = {r: draw(st.sampled_from(sorted(BENEFITS))) for r in ("R1", "R2")}
    out = []
    for _ in range(draw(st.integers(0, 6))):
        receipt = draw(st.sampled_from(["R1", "R2"]))
        out.append(_row("status_events", draw(who), "USCIS", receipt_number=receipt, benefit=benefit[receipt],
                        event=draw(st.sampled_from(sorted(STATUS_EVENTS_CODES))), event_date=draw(days),
                        valid_from=draw(maybe_day), valid_until=draw(maybe_day),
                        admission_number=draw(st.one_of(st.none(), numbers)), country=draw(st.sampled_from([None, "SLV"]))))  # fmt: skip
    return out


def _court_and_crimes(draw: st.DrawFn, who: st.SearchStrategy[str | None]) -> list[dict[str, Any]]:
    """Court events of one or two cases, criminal dispositions of one or two matters."""
    out = [_row("court_events", draw(who), "EOIR", case_number=draw(st.sampled_from(["C1", "C2"])),
                event=draw(st.sampled_from(sorted(COURT_EVENT_CODES))), event_date=draw(days), deadline=draw(maybe_day))
           for _ in range(draw(st.integers(0, 7)))]  # fmt: skip
    category = {i: draw(st.sampled_from(["AGGRAVATED_FELONY", "VIOLENT_FELONY", "MISDEMEANOR", "INFRACTION"]))
                for i in ("I1", "I2")}  # fmt: skip
    for _ in range(draw(few)):
        incident = draw(st.sampled_from(["I1", "I2"]))
        out.append(_row("criminal_dispositions", draw(who), "CJIS", incident_id=incident, event_date=draw(days),
                        stage=draw(st.sampled_from(["ARREST", "CHARGE", "CONVICTION", "DISMISSAL", "EXPUNGED", "VACATED"])),
                        category=draw(st.one_of(st.just(category[incident]), st.just("FELONY"))),
                        gang_related=draw(st.sampled_from([None, "true", "false"]))))  # fmt: skip
    return out


def _others(draw: st.DrawFn, who: st.SearchStrategy[str | None]) -> list[dict[str, Any]]:
    """Encounters, designations and relationships."""
    out = [_row("encounters", draw(who), "CBP", encounter_type=draw(st.sampled_from(
                ["APPREHENSION", "INADMISSIBLE", "INTERIOR_ARREST", "CHECK_IN"])),
                agency=draw(st.sampled_from(["CBP_BORDER", "ICE"])), outcome=draw(st.sampled_from(["PAROLED", "RETURNED"])),
                event_date=draw(days)) for _ in range(draw(st.integers(0, 2)))]  # fmt: skip
    out += [_row("designations", draw(who), "NSD", designation_id=draw(st.sampled_from(["D1", "D2"])),
                 event=draw(st.sampled_from(["ADDED", "REMOVED"])), event_date=draw(days))
            for _ in range(draw(st.integers(0, 2)))]  # fmt: skip
    out += [_row("relationships", draw(who), "USCIS", relationship=draw(st.sampled_from(["SPOUSE", "CHILD", "PARENT"])),
                 relative_us_citizen=draw(st.sampled_from([None, "true", "false"])), relative=draw(st.sampled_from(PERSONS)))
            for _ in range(draw(st.integers(0, 2)))]  # fmt: skip
    return out


def _records(draw: st.DrawFn) -> list[dict[str, Any]]:
    who = st.sampled_from(PERSONS)
    return _stays(draw, who) + _filings(draw, who) + _court_and_crimes(draw, who) + _others(draw, who)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Pack]:
    return _records(draw), draw(st.sampled_from(PACKS))


def _inputs(records: list[dict[str, Any]]) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Rows per feed as the reader gives them, and the relative links."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for feed, columns in _columns().items():
        keys = ("uid", "person_id", "source_record_id", *columns)
        rows[feed] = [{k: r.get(k) for k in keys} for r in records if r["_feed"] == feed]
    links = [
        {"uid": r["uid"], "relative_person_id": r["relative"]}
        for r in records
        if r["_feed"] == "relationships"
    ]
    return rows, links


def _by_sql(rows: dict[str, list[dict[str, Any]]], links: list[dict[str, Any]], pack: Pack) -> dict[str, Any]:
    def table(feed_rows: list[dict[str, Any]], names: tuple[str, ...]) -> pa.Table:
        return pa.table({n: pa.array([r[n] for r in feed_rows], pa.string()) for n in names})

    tables = {f: table(r, ("uid", "person_id", "source_record_id", *_columns()[f])) for f, r in rows.items()}
    with judged(duckdb.connect(), {k: tables[k] for k in ADMISSION_INPUTS}, AS_OF, RULES) as cur:
        business_calendar(cur, FIRST_CALENDAR_YEAR, AS_OF.year + 2)
        load_priority_inputs(cur, tables, table(links, ("uid", "relative_person_id")), AS_OF)
        compute_holds(cur)
        compute_facts(cur, AS_OF)
        return places(cur, pack, AS_OF)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_every_persons_place_is_the_one_the_sql_gives(world: tuple[list[dict[str, Any]], Pack]) -> None:
    records, pack = world
    rows, links = _inputs(records)
    want = _by_sql(rows, links, pack)
    for person in ("P1", "P2"):
        expected = want.get(person, {"facts": {}, "ranked": {}, "fired": [], "holds": []})
        assert place(person, pack, rows, links, AS_OF, RULES) == expected


def _d(offset: int) -> str:
    return (AS_OF + timedelta(days=offset)).isoformat()


def _crime(stage: str, offset: int, incident: str = "I1", category: str = "VIOLENT_FELONY") -> dict[str, Any]:
    return _row("criminal_dispositions", "P1", "CJIS", incident_id=incident, stage=stage, event_date=_d(offset),
                category=category, gang_related=None)  # fmt: skip


def _court(event: str, offset: int, deadline: str | None = None) -> dict[str, Any]:
    return _row(
        "court_events", "P1", "EOIR", case_number="C1", event=event, event_date=_d(offset), deadline=deadline
    )


def _event(benefit: str, event: str, offset: int, receipt: str = "R1", **kw: Any) -> dict[str, Any]:
    cols = {"valid_from": None, "valid_until": None, "admission_number": None, "country": None} | kw
    return _row("status_events", "P1", "USCIS", receipt_number=receipt, benefit=benefit, event=event,
                event_date=_d(offset), **cols)  # fmt: skip


def _departure(
    offset: int, system: str = "APIS", evidence: str = "MANIFEST", number: str | None = None
) -> dict[str, Any]:
    return _row(
        "departures", "P1", system, departure_date=_d(offset), evidence=evidence, admission_number=number
    )


def _arrival(offset: int, until: str, number: str = "11111111111", klass: str = "B2") -> dict[str, Any]:
    return _row("arrivals", "P1", "I94", admission_number=number, class_of_admission=klass, citizenship="DEU",
                mode="AIR", admitted_on=_d(offset), admit_until=until)  # fmt: skip


def _encounter(kind: str, agency: str, outcome: str, offset: int) -> dict[str, Any]:
    return _row(
        "encounters", "P1", "CBP", encounter_type=kind, agency=agency, outcome=outcome, event_date=_d(offset)
    )


def _designation(event: str, offset: int) -> dict[str, Any]:
    return _row("designations", "P1", "NSD", designation_id="D1", event=event, event_date=_d(offset))


#: Edges a random search may miss: each a few records of P1 where the day of one event decides.
EDGES = {
    "conviction vacated the same day": [_crime("CONVICTION", -5), _crime("VACATED", -5)],
    "conviction expunged the same day": [_crime("CONVICTION", -5), _crime("EXPUNGED", -5)],
    "two categories in one matter": [_crime("CONVICTION", -9), _crime("CONVICTION", -9, category="FELONY")],
    "order with its appeal waived the same day": [_court("REMOVAL_ORDERED", 0), _court("APPEAL_WAIVED", 0)],
    "order whose window ends on the as-of day": [_court("REMOVAL_ORDERED", -30)],
    "appeal filed on the window's last day": [_court("REMOVAL_ORDERED", -40), _court("APPEAL_FILED", -10)],
    "appeal filed the day after the window": [_court("REMOVAL_ORDERED", -40), _court("APPEAL_FILED", -9)],
    "voluntary departure, bond posted on the fifth business day": [
        _court("VOLUNTARY_DEPARTURE_GRANTED", -20), _court("VD_BOND_POSTED", -13)],
    "voluntary departure, bond not posted": [_court("VOLUNTARY_DEPARTURE_GRANTED", -20, deadline=_d(30))],
    "voluntary departure ended by a motion to reopen": [
        _court("VOLUNTARY_DEPARTURE_GRANTED", -20), _court("APPEAL_WAIVED", -20), _court("MOTION_TO_REOPEN_FILED", -2)],
    "in-absentia order and a motion to reopen": [_court("IN_ABSENTIA_ORDER", -50), _court("MOTION_TO_REOPEN_FILED", -1)],
    "two departures of one day from two sources": [  # the later uid read first
        _arrival(-60, _d(-10)), _departure(-5, "CBP-BE"), _departure(-5)],
    "a self-report corroborated three days later": [
        _arrival(-60, _d(-10)), _departure(-6, "SELF", "SELF_REPORTED"), _departure(-3)],
    "a self-report a fourth day from the other record": [
        _arrival(-60, _d(-10)), _departure(-6, "SELF", "SELF_REPORTED"), _departure(-2)],
    "a filing decided on the departure day": [
        _arrival(-90, _d(-40)), _event("EXTENSION_OF_STAY", "FILED", -50), _event("EXTENSION_OF_STAY", "DENIED", -3),
        _departure(-3)],
    "TPS approved, its validity cut by a termination": [
        _event("TPS", "APPROVED", -30, valid_until=_d(100)), _event("TPS", "TERMINATED", -1)],
    "citizenship claimed, rejected, confirmed": [
        _event("CITIZENSHIP", "CLAIMED", -30), _event("CITIZENSHIP", "REJECTED", -20), _event("CITIZENSHIP", "CONFIRMED", -2)],
    "DACA approved and terminated": [
        _event("DACA", "FILED", -300), _event("DACA", "APPROVED", -200, valid_until=_d(500)), _event("DACA", "TERMINATED", -1)],
    "withholding approved for a country": [_event("WITHHOLDING", "APPROVED", -30, country="SLV")],
    "a conviction exactly five years back": [_crime("CONVICTION", (AS_OF.replace(year=AS_OF.year - 5) - AS_OF).days)],
    "a conviction exactly ten years back": [
        _crime("CONVICTION", (AS_OF.replace(year=AS_OF.year - 10) - AS_OF).days, category="FELONY")],
    "an acquittal": [_crime("CHARGE", -100), _crime("ACQUITTAL", -50)],
    "an appeal window ending on a Saturday, held through Monday": [_court("REMOVAL_ORDERED", -32)],
    "an order undone by a sustained appeal": [
        _court("REMOVAL_ORDERED", -50), _court("APPEAL_FILED", -40), _court("APPEAL_SUSTAINED", -5)],
    "an order undone by relief": [_court("NTA_FILED", -300), _court("REMOVAL_ORDERED", -50), _court("RELIEF_GRANTED", -4)],
    "a re-entry the day after a departure": [_arrival(-60, _d(-20)), _departure(-1), _arrival(0, _d(80), number="22222222222")],
    "a port parole after a departure": [_arrival(-60, _d(-20)), _departure(-10), _encounter("INADMISSIBLE", "CBP_PORT", "PAROLED", -2)],
    "a border apprehension": [_encounter("APPREHENSION", "CBP_BORDER", "RELEASED_NTA", -2)],
    "an extension approved with no filing on record": [
        _arrival(-90, _d(-40)), _event("EXTENSION_OF_STAY", "APPROVED", -50, valid_until=_d(30))],
    "a late adjustment": [_arrival(-100, _d(-10)), _event("ADJUSTMENT_OF_STATUS", "FILED", -5)],
    "a designation added and removed the same day": [  # the later uid read first
        *reversed([_designation("ADDED", -3), _designation("REMOVED", -3)])],
    "an exchange visitor's program completed, grace run out": [
        _arrival(-400, "D/S", klass="J1"), _event("STUDENT_PROGRAM", "COMPLETED", -40)],
    "a student's program completed, grace run out": [
        _arrival(-400, "D/S", klass="F1"), _event("STUDENT_PROGRAM", "COMPLETED", -70)],
}  # fmt: skip


@pytest.mark.parametrize("edge", EDGES)
def test_each_edge_gives_the_place_the_sql_gives(edge: str) -> None:
    rows, links = _inputs(EDGES[edge])
    without_last = _inputs(EDGES[edge][:-1])
    for pack in PACKS:
        want = _by_sql(rows, links, pack)["P1"]
        assert want != _by_sql(*without_last, pack).get("P1"), "the edge's last record changes P1's place"
        assert place("P1", pack, rows, links, AS_OF, RULES) == want


def test_a_tier_whose_minimum_score_is_zero_is_not_reached_below_it() -> None:
    pack = pack_named("guidelines-2021")
    zero = replace(pack, tiers=tuple(replace(t, min_score=0) for t in pack.tiers))
    relatives = [_row("relationships", "P1", "USCIS", relationship=kind, relative_us_citizen="true", relative=None)
                 for kind in ("SPOUSE", "CHILD")]  # fmt: skip
    records = [_crime("CONVICTION", -4000, category="FELONY"), *relatives,
               _event("U_VISA", "FILED", -30), _row("arrivals", "P1", "I94", admission_number="1", class_of_admission="B2",
               citizenship="DEU", mode="AIR", admitted_on="1990-01-01", admit_until="1990-06-01", date_of_birth="1940-01-01")]  # fmt: skip
    rows, links = _inputs(records)
    want = _by_sql(rows, links, zero)["P1"]
    assert want["ranked"]["score"] < 0
    assert any(r["kind"] == "tier" for r in want["fired"])
    assert want["ranked"]["tier"] is None
    assert place("P1", zero, rows, links, AS_OF, RULES) == want


def test_a_visa_waiver_extension_gives_the_place_the_sql_gives_and_not_a_visitors() -> None:
    """A visa waiver's stay cannot be extended: the filing does not protect, where a visitor's would."""
    places = {}
    for klass in ("WT", "B2"):
        rows, links = _inputs(
            [_arrival(-100, _d(-10), klass=klass), _event("EXTENSION_OF_STAY", "FILED", -40)]
        )
        want = _by_sql(rows, links, PACKS[1])["P1"]
        assert place("P1", PACKS[1], rows, links, AS_OF, RULES) == want
        places[klass] = want["facts"]["suspected_overstay_days"]
    assert places == {"WT": 10, "B2": None}
