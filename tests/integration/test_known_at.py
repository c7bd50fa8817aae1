"""A record recorded after --known-at never changes the answer (Hypothesis, through the store).

Two stores: one receives every record, the other only those recorded by the cut-off. Asked as known at
the cut-off, both must give the same statuses. (Identity links are current knowledge, ADR 6: the
travellers here are each identified beyond doubt by every record, so later records cannot re-link
earlier ones.)
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli import ilos
from tests.feedfiles import arrival, write_csv

TRAVELLERS = [
    {"family_name": "OKAFOR", "given_names": "CHIDI", "date_of_birth": "1990-05-17", "citizenship": "NGA",
     "document_number": "A1234567", "document_country": "NGA"},
    {"family_name": "NAKAMURA", "given_names": "YUKI", "date_of_birth": "1985-11-02", "citizenship": "JPN",
     "document_number": "TK998877", "document_country": "JPN"},
]  # fmt: skip
MOMENTS = ["2024-09-05T00:00:00Z", "2024-10-01T00:00:00Z", "2024-11-15T00:00:00Z", "2025-01-10T00:00:00Z"]


@st.composite
def records(draw: st.DrawFn) -> dict[str, list[dict[str, str]]]:
    arrivals = [
        arrival(str(i + 1), admitted_on="2024-03-01", admit_until="2024-08-31", **t)
        for i, t in enumerate(TRAVELLERS)
    ]
    departures, events = [], []
    for n in range(draw(st.integers(0, 4))):
        who = draw(st.integers(0, 1))
        evidence, system = draw(st.sampled_from([("MANIFEST", "APIS"), ("SELF_REPORTED", "APP-SELF"),
                                                 ("PARTNER_ENTRY", "LANDX-CAN")]))  # fmt: skip
        departures.append({"source_system": system, "source_record_id": f"D{n}", "recorded_at": draw(st.sampled_from(MOMENTS)),
                           **TRAVELLERS[who], "departure_date": f"2024-{draw(st.sampled_from(['08-20', '09-02', '09-04']))}",
                           "mode": "AIR", "evidence": evidence})  # fmt: skip
    for n in range(draw(st.integers(0, 2))):
        who = draw(st.integers(0, 1))
        events.append({"source_system": "USCIS", "source_record_id": f"E{n}", "recorded_at": draw(st.sampled_from(MOMENTS)),
                       **TRAVELLERS[who], "receipt_number": f"R{who}", "benefit": "EXTENSION_OF_STAY",
                       "event": draw(st.sampled_from(["FILED", "DENIED"])), "event_date": "2024-08-15",
                       "admission_number": f"{who + 1:011d}"})  # fmt: skip
    return {"arrivals": arrivals, "departures": departures, "status_events": events}


def load(db: str, folder: Path, feeds: dict[str, list[dict[str, str]]]) -> None:
    for feed, rows in feeds.items():
        if rows:
            result = ilos("ingest", feed, str(write_csv(folder / f"{feed}.csv", rows)), db=db)
            assert result.code == 0, result.err


def statuses(db: str, known_at: str) -> list[tuple[str, ...]]:
    out = ilos("export", "admissions", "--as-of", "2025-02-01", "--known-at", known_at, db=db).out
    return [(r["admission_number"], r["status"], r["departure_date"], r["overstay_days"])
            for r in csv.DictReader(io.StringIO(out))]  # fmt: skip


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(feeds=records(), cut=st.sampled_from(MOMENTS[:-1]))
def test_records_recorded_after_known_at_never_change_the_answer(
    tmp_path_factory: pytest.TempPathFactory, feeds: dict[str, list[dict[str, str]]], cut: str
) -> None:
    base = tmp_path_factory.mktemp("known")
    everything, only_known = f"sqlite:///{base / 'all.db'}", f"sqlite:///{base / 'known.db'}"
    load(everything, base / "all", feeds)
    load(
        only_known,
        base / "known",
        {f: [r for r in rows if r["recorded_at"] <= cut] for f, rows in feeds.items()},
    )
    assert statuses(everything, cut) == statuses(only_known, cut)


def test_records_retracted_after_known_at_keep_their_person(store_url: str, tmp_path: Path) -> None:
    """Asked as known at a time before a retraction, a retracted record counts for the person it was
    linked to when retracted: an unnumbered departure still ends, and an unnumbered filing still
    protects, that person's admission, and a retracted arrival keeps its person (in the export, with
    `--admission` and in `explain admission`)."""
    third = {**TRAVELLERS[0], "family_name": "ADEYEMI", "given_names": "TOLU", "date_of_birth": "1979-02-03",
             "document_number": "B7654321"}  # fmt: skip
    people = [*TRAVELLERS, third]
    arrivals = [
        arrival(str(i + 1), admitted_on="2024-03-01", admit_until="2024-08-31", **t)
        for i, t in enumerate(people)
    ]
    departure = {"source_system": "APIS", "source_record_id": "D0", "recorded_at": "2024-08-21T00:00:00Z",
                 **people[0], "departure_date": "2024-08-20", "mode": "AIR", "evidence": "MANIFEST"}  # fmt: skip
    filing = {"source_system": "USCIS", "source_record_id": "E1", "recorded_at": "2024-08-16T00:00:00Z",
              **people[1], "receipt_number": "R1", "benefit": "EXTENSION_OF_STAY", "event": "FILED",
              "event_date": "2024-08-15"}  # fmt: skip
    load(
        store_url,
        tmp_path / "first",
        {"arrivals": arrivals, "departures": [departure], "status_events": [filing]},
    )
    cut = ("--as-of", "2024-09-15", "--known-at", "2024-09-01T00:00:00Z")

    def answers() -> tuple[str, str, int]:
        one = ilos("export", "admissions", *cut, "--admission", "00000000003", db=store_url).out
        return (
            ilos("export", "admissions", *cut, db=store_url).out,
            one,
            ilos("explain", "admission", "00000000003", *cut, db=store_url).code,
        )

    before = answers()
    assert [r["status"] for r in csv.DictReader(io.StringIO(before[0]))] == [
        "DEPARTED_TIMELY", "PENDING_BENEFIT", "SUSPECTED_IN_COUNTRY_OVERSTAY"
    ]  # fmt: skip
    later = {"recorded_at": "2024-10-01T00:00:00Z", "retracted": "true"}
    load(
        store_url,
        tmp_path / "retractions",
        {"arrivals": [{**arrivals[2], **later}], "departures": [{**departure, **later}],
         "status_events": [{**filing, **later}]},
    )  # fmt: skip
    assert answers() == before
    now = ilos("export", "admissions", "--as-of", "2024-09-15", db=store_url).out
    assert [r["status"] for r in csv.DictReader(io.StringIO(now))] == ["SUSPECTED_IN_COUNTRY_OVERSTAY"] * 2


def _retracted_later(arrivals: list[dict[str, str]]) -> tuple[dict[str, list[dict[str, str]]], ...]:
    """Originals (an unnumbered departure, an unnumbered filing, an arrival) and their retractions."""
    departure = {"source_system": "APIS", "source_record_id": "D0", "recorded_at": "2024-08-21T00:00:00Z",
                 **TRAVELLERS[0], "departure_date": "2024-08-20", "mode": "AIR", "evidence": "MANIFEST"}  # fmt: skip
    filing = {"source_system": "USCIS", "source_record_id": "E1", "recorded_at": "2024-08-16T00:00:00Z",
              **TRAVELLERS[1], "receipt_number": "R1", "benefit": "EXTENSION_OF_STAY", "event": "FILED",
              "event_date": "2024-08-15"}  # fmt: skip
    later = {"recorded_at": "2024-10-01T00:00:00Z", "retracted": "true"}
    originals = {"arrivals": arrivals, "departures": [departure], "status_events": [filing]}
    retractions = {"arrivals": [{**arrivals[1], **later}], "departures": [{**departure, **later}],
                   "status_events": [{**filing, **later}]}  # fmt: skip
    return originals, retractions


@pytest.mark.parametrize("delivery", ["in one file", "retraction first", "resolved once at the end"])
def test_records_retracted_before_any_run_linked_them_keep_their_person(
    store_url: str, tmp_path: Path, delivery: str
) -> None:
    """A record withdrawn before a resolution run saw it in force (its retraction delivered with it, or
    before it, or both loaded before one `ilos resolve`) counts, known before the retraction, for the
    person its last version identifies, as when the run saw it first."""
    arrivals = [
        arrival(str(i + 1), admitted_on="2024-03-01", admit_until="2024-08-31", **t)
        for i, t in enumerate(TRAVELLERS)
    ]
    originals, retractions = _retracted_later(arrivals)
    cut = ("--as-of", "2024-09-15", "--known-at", "2024-09-01T00:00:00Z")
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    load(reference, tmp_path / "reference", originals)
    expected = ilos("export", "admissions", *cut, db=reference).out
    assert [r["status"] for r in csv.DictReader(io.StringIO(expected))] == [
        "DEPARTED_TIMELY",
        "PENDING_BENEFIT",
    ]

    if delivery == "in one file":
        load(store_url, tmp_path / "one", {f: [*originals[f], *retractions[f]] for f in originals})
    elif delivery == "retraction first":
        load(store_url, tmp_path / "retractions", retractions)
        load(store_url, tmp_path / "originals", originals)
    else:
        for folder, feeds in (("originals", originals), ("retractions", retractions)):
            for feed, rows in feeds.items():
                path = write_csv(tmp_path / folder / f"{feed}.csv", rows)
                assert ilos("ingest", "--no-resolve", feed, str(path), db=store_url).code == 0
        assert ilos("resolve", db=store_url).code == 0

    assert ilos("export", "admissions", *cut, db=store_url).out == expected.replace(
        *_person_of(reference, store_url)
    )
    now = ilos("export", "admissions", "--as-of", "2024-09-15", db=store_url).out
    assert [r["status"] for r in csv.DictReader(io.StringIO(now))] == ["SUSPECTED_IN_COUNTRY_OVERSTAY"]


def _person_of(reference: str, db: str) -> tuple[str, str]:
    """(person id in `reference`, person id in `db`) of the traveller whose arrival stays in force."""
    ids = []
    for store in (reference, db):
        rows = csv.DictReader(io.StringIO(ilos("export", "links", db=store).out))
        ids.append(
            next(r["person_id"] for r in rows if r["feed"] == "arrivals" and r["source_record_id"] == "1")
        )
    return ids[0], ids[1]


def test_a_withdrawn_record_follows_its_person_into_a_merge_of_the_same_run(tmp_path: Path) -> None:
    """W repeats a retracted record's identity (R's person) and is itself withdrawn in the file that also
    merges R's person into another (B bridges them): W's person is the survivor, as when W and its
    retraction come in two deliveries."""
    base = {"family_name": "DOE", "given_names": "JANE", "citizenship": "KEN", "document_type": "P",
            "document_country": "KEN"}  # fmt: skip
    s = arrival(
        "1",
        **base,
        date_of_birth="1970-01-01",
        document_number="K1111111",
        recorded_at="2024-03-02T10:00:00Z",
    )
    c = arrival(
        "2",
        **base,
        date_of_birth="1970-01-02",
        document_number="K2222222",
        recorded_at="2024-03-03T10:00:00Z",
    )
    r = arrival("3", **base, date_of_birth="1970-01-02", document_number="K2222222", a_number="A300000001",
                recorded_at="2024-03-04T10:00:00Z")  # fmt: skip
    b = arrival(
        "4",
        **base,
        date_of_birth="1970-01-01",
        document_number="K2222222",
        recorded_at="2024-03-05T10:00:00Z",
    )
    w = {
        **r,
        "source_record_id": "5",
        "admission_number": "00000000005",
        "recorded_at": "2024-03-06T10:00:00Z",
    }
    gone = {"recorded_at": "2024-10-02T00:00:00Z", "retracted": "true"}
    cut = ("--as-of", "2024-09-15", "--known-at", "2024-09-01T00:00:00Z")
    answers = []
    for name, deliveries in (("together", [[s, c, r], [{**r, **gone}], [b, w, {**w, **gone}]]),
                             ("apart", [[s, c, r], [{**r, **gone}], [b, w], [{**w, **gone}]])):  # fmt: skip
        db = f"sqlite:///{tmp_path / f'{name}.db'}"
        for i, rows in enumerate(deliveries):
            assert (
                ilos("ingest", "arrivals", str(write_csv(tmp_path / name / f"{i}.csv", rows)), db=db).code
                == 0
            )
        out = ilos("export", "admissions", *cut, "--admission", "00000000005", db=db).out
        answers.append(next(csv.DictReader(io.StringIO(out)))["person_id"])
        survivors = {r["person_id"] for r in csv.DictReader(io.StringIO(ilos("export", "links", db=db).out))}
        assert answers[-1] in survivors
    assert answers[0] == answers[1]
