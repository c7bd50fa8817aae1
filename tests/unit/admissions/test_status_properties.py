"""Properties of the status engine on random small worlds (Hypothesis).

The strongest: on any world, the set-at-a-time engine gives exactly what the generator's ground truth
gives — an implementation of the same contract rules written independently, person by person in
Python (`ilos.generator.truth_status`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ilos.generator.truth_status import admission_truth
from ilos.generator.world import Admission, Departure, StatusEvent
from tests.unit.admissions.engine import adm, dep, ev, judge

BASE = date(2023, 1, 1)
RECORDED = datetime(2020, 1, 1, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)
FILING_EVENTS = ("FILED", "FILED", "APPROVED", "DENIED", "WITHDRAWN")
PROGRAM_EVENTS = ("COMPLETED", "WITHDRAWN", "TERMINATED")


@dataclass
class World:
    """Generator records and the same records as engine input."""

    admissions: list[Admission] = field(default_factory=list)
    departures: list[Departure] = field(default_factory=list)
    events: list[StatusEvent] = field(default_factory=list)
    as_of: date = BASE

    def records(self) -> list[dict[str, Any]]:
        out = [
            {**adm(a.number, a.admitted_on.isoformat(), a.admit_until.isoformat() if a.admit_until else "D/S",
                   klass=a.klass, person=f"P{a.person}"), "source_record_id": a.key}
            for a in self.admissions
        ]  # fmt: skip
        out += [
            {**dep(d.day.isoformat(), d.evidence, f"P{d.person}", d.system, d.admission_number), "source_record_id": d.key}
            for d in self.departures
        ]  # fmt: skip
        out += [
            {**ev(e.receipt, e.benefit, e.event, e.day.isoformat(), f"P{e.person}",
                  valid_until=e.valid_until.isoformat() if e.valid_until else None, number=e.admission_number or None),
             "source_record_id": e.key}
            for e in self.events
        ]  # fmt: skip
        return out

    def truth(self) -> dict[str, tuple[str, str | None, int | None]]:
        deps = sorted(self.departures, key=lambda d: (d.day, f"departures/{d.system}/{d.key}"))
        truths = admission_truth(self.admissions, deps, self.events, self.as_of, FAR)
        return {t.number: (t.status, _iso(t.authorized_until), t.overstay_days) for t in truths}

    def engine(self) -> dict[str, tuple[str, str | None, int | None]]:
        rows = judge(self.records(), self.as_of.isoformat())
        return {n: (r["status"], r["authorized_until"], r["overstay_days"]) for n, r in rows.items()}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


days = st.integers(min_value=0, max_value=800)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    world = World(as_of=BASE + timedelta(days=draw(st.integers(0, 1000))))
    key = iter(range(10_000))
    for person in (1, 2):
        numbers = []
        for _ in range(draw(st.integers(1, 3))):
            klass = draw(st.sampled_from(["B2", "WB", "F1", "J1", "H1B"]))
            on = BASE + timedelta(days=draw(days))
            ds = klass in ("F1", "J1") and draw(st.booleans())
            limit = 89 if klass == "WB" else 300
            until = None if ds else on + timedelta(days=draw(st.integers(0, limit)))
            number = f"{person}{next(key):010d}"
            numbers.append(number)
            world.admissions.append(
                Admission(person, "I94", f"A{number}", RECORDED, number=number, klass=klass, mode="AIR",
                          admitted_on=on, admit_until=until)
            )  # fmt: skip
        for _ in range(draw(st.integers(0, 4))):
            evidence, system = draw(
                st.sampled_from([("MANIFEST", "APIS"), ("SELF_REPORTED", "APP-SELF"), ("PARTNER_ENTRY", "LANDX-CAN"),
                                 ("SELF_REPORTED", "DOS-CONS")])
            )  # fmt: skip
            world.departures.append(
                Departure(person, system, f"D{next(key):05d}", RECORDED, day=BASE + timedelta(days=draw(days)),
                          evidence=evidence, admission_number=draw(st.sampled_from(["", "", *numbers])))
            )  # fmt: skip
        for _ in range(draw(st.integers(0, 4))):
            benefit = draw(
                st.sampled_from(["EXTENSION_OF_STAY", "CHANGE_OF_STATUS", "ADJUSTMENT_OF_STATUS", "STUDENT_PROGRAM"])
            )  # fmt: skip
            event = draw(st.sampled_from(PROGRAM_EVENTS if benefit == "STUDENT_PROGRAM" else FILING_EVENTS))
            valid = BASE + timedelta(days=draw(days)) if event == "APPROVED" and draw(st.booleans()) else None
            world.events.append(
                StatusEvent(person, "USCIS", f"E{next(key):05d}", RECORDED, day=BASE + timedelta(days=draw(days)),
                            receipt=f"R{person}{draw(st.integers(1, 3))}", benefit=benefit, event=event,
                            valid_until=valid, admission_number=draw(st.sampled_from(["", "", *numbers])))
            )  # fmt: skip
    return world


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_engine_equals_the_independent_truth(world: World) -> None:
    assert world.engine() == world.truth()


@settings(max_examples=60, deadline=None)
@given(worlds(), st.data())
def test_a_verified_departure_after_the_admission_never_leaves_a_suspected_overstay(
    world: World, data: st.DataObject
) -> None:
    a = data.draw(st.sampled_from([a for a in world.admissions if a.admitted_on <= world.as_of] or [None]))
    if a is None:
        return
    later = [
        b.admitted_on
        for b in world.admissions
        if b.person == a.person and (b.admitted_on, b.number) > (a.admitted_on, a.number)
    ]  # the next admission (by date, then number) closes the window: a same-day one leaves it empty
    last = min([world.as_of, *(d - timedelta(days=1) for d in later)])
    if last < a.admitted_on:
        return
    day = a.admitted_on + timedelta(days=data.draw(st.integers(0, (last - a.admitted_on).days)))
    world.departures.append(
        Departure(a.person, "CBP-BE", "ZZ1", RECORDED, day=day, evidence="BIOMETRIC_EXIT")
    )
    assert world.engine()[a.number][0] != "SUSPECTED_IN_COUNTRY_OVERSTAY"


@settings(max_examples=60, deadline=None)
@given(worlds(), st.data())
def test_adding_a_timely_filing_never_increases_overstay_days(world: World, data: st.DataObject) -> None:
    held = [a for a in world.admissions if a.admitted_on <= world.as_of and a.klass != "WB"]
    if not held:
        return
    a = data.draw(st.sampled_from(held))
    before = world.engine()
    benefit = data.draw(st.sampled_from(["EXTENSION_OF_STAY", "CHANGE_OF_STATUS", "ADJUSTMENT_OF_STATUS"]))
    world.events.append(
        StatusEvent(a.person, "USCIS", "ZZ2", RECORDED, day=a.admitted_on, receipt="RNEW", benefit=benefit,
                    event="FILED", admission_number=a.number)
    )  # fmt: skip
    after = world.engine()
    for number, (_, _, days_before) in before.items():
        assert (after[number][2] or 0) <= (days_before or 0)
