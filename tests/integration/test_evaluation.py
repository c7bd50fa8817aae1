"""The per-person evaluator against the whole worklist's SQL on a generated world, on both stores (and
against the SQL for the admissions a stream batch verifies).

`ilos explain rank` and a re-rank place one person with the evaluator (`ilos.domain.evaluation`,
reading the person's and their relatives' records); worklists place everyone with the set-at-a-time
SQL. For every person of the world, under both packs, at two as-of dates and with records cut at a
known-at time, the two must give the same facts, rank row, rules fired and holds in force (ADR 11).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ilos.adapters import admission_work
from ilos.adapters.db.reader import ADMISSION_INPUTS
from ilos.bootstrap import Ilos
from ilos.config import Settings
from ilos.generator import generate
from ilos.services.priorities import pack_named
from tests.cli import ilos, load_world
from tests.feedfiles import arrival, write_csv

pytestmark = pytest.mark.slow
EMPTY: dict[str, Any] = {"facts": {}, "ranked": {}, "fired": [], "holds": []}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("world")
    generate(persons=600, seed=9, out=out)
    return out, json.loads((out / "truth" / "manifest.json").read_text())


def _differing(url: str, policy: str, as_of: str, known_at: str | None) -> tuple[int, list[str]]:
    """Persons compared, and those whose evaluated place differs from the SQL's."""
    pack, day = pack_named(policy), date.fromisoformat(as_of)
    with Ilos(Settings(), url) as app:
        work = app.priority_work
        whole = work.places_by_sql(pack, day, known_at)
        persons = sorted(set(app.reader.links().column("person_id").to_pylist()))
        placed = [p for p in persons if whole.get(p, EMPTY)["facts"]]
        assert len(placed) > len(persons) // 2, "most persons have facts to compare"
        return len(persons), [
            p for p in persons if work.person(pack, p, day, known_at) != whole.get(p, EMPTY)
        ]


def test_every_persons_evaluated_place_is_the_worklists(
    world: tuple[Path, dict[str, Any]], store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, manifest = world
    monkeypatch.setenv("ILOS_NOW", manifest["now"])
    load_world(out, store_url)
    end, start = manifest["end"], manifest["start"]
    middle = f"{int(start[:4]) + (int(end[:4]) - int(start[:4])) // 2}{end[4:]}"
    configurations = [
        ("guidelines-2021", end, None),
        ("priorities-2014", end, f"{middle}T00:00:00.000000Z"),
        ("priorities-2014", end, None),
        ("guidelines-2021", middle, None),
    ]
    # The store only changes how records are read: PostgreSQL is held to the first two (a pack on its
    # own, the other read as known at a time), the embedded store to every one (for the suite's budget).
    for policy, as_of, known_at in configurations if store_url.startswith("sqlite") else configurations[:2]:
        compared, differing = _differing(store_url, policy, as_of, known_at)
        assert compared > 300
        assert differing == [], (policy, as_of, known_at)
    assert _verified_apart(store_url, date.fromisoformat(end)) == []


def _verified_apart(url: str, day: date) -> list[int]:
    """Batches whose verified admissions by the evaluator differ from the SQL's.

    A stream batch's `departure:verified` events come from the evaluator over the persons of its records
    and numbers: in batches of 20 departures (with the admission numbers of 5 arrivals), the same
    admissions, departures, statuses and sources as the SQL over the same persons and over everyone."""
    with Ilos(Settings(), url) as app:
        work = app.admission_work
        inputs = app.reader.admission_inputs()
        uids = sorted(inputs["departures"].column("uid").to_pylist())
        numbers = sorted(set(inputs["arrivals"].column("admission_number").to_pylist()))
        apart, found = [], 0
        for i in range(0, 400, 20):
            batch, named = uids[i * 7 : i * 7 + 20], numbers[i : i + 5]
            got = work.verified_by(batch, named, day).to_pylist()
            scoped = work.verified_by_sql(batch, named, day, work.persons_concerned(batch, named)).to_pylist()
            if got != scoped or got != work.verified_by_sql(batch, named, day, None).to_pylist():
                apart.append(i)
            found += len(got)
        assert found > 100
        return apart


def test_a_departure_of_another_person_carrying_the_admission_number_counts_for_one_persons_place(
    tmp_path: Path,
) -> None:
    """Two A-numbers keep the traveller and the departure's person apart, yet the departure carries the
    traveller's admission number, so the worklist's SQL ends that admission with it: the evaluator,
    reading one person, must read the other person's record too."""
    url = f"sqlite:///{tmp_path / 'ilos.db'}"
    traveller = arrival("1", a_number="A111111111", admission_number="12345678901")
    other = {"source_system": "APIS", "source_record_id": "D1", "recorded_at": "2024-08-21T00:00:00Z",
             "family_name": "MENSAH", "given_names": "KOFI", "date_of_birth": "1971-02-03", "citizenship": "GHA",
             "a_number": "A222222222", "departure_date": "2024-08-20", "mode": "AIR", "evidence": "MANIFEST",
             "admission_number": "12345678901"}  # fmt: skip
    assert ilos("ingest", "arrivals", str(write_csv(tmp_path / "a.csv", [traveller])), db=url).code == 0
    assert ilos("ingest", "departures", str(write_csv(tmp_path / "d.csv", [other])), db=url).code == 0
    pack, day = pack_named("guidelines-2021"), date(2026, 6, 15)
    with Ilos(Settings(), url) as app:
        links = app.reader.links().to_pylist()
        persons = {r["source_record_id"]: r["person_id"] for r in links}
        assert persons["1"] != persons["D1"]
        whole = app.priority_work.places_by_sql(pack, day, None)
        assert whole[persons["1"]]["facts"]["suspected_overstay_days"] is None
        assert app.priority_work.person(pack, persons["1"], day, None) == whole[persons["1"]]
        alone = app.priority_work.places_by_sql(
            pack, day, None, [persons["1"]]
        )  # holds and case guards' path
        assert alone[persons["1"]] == whole[persons["1"]]


@pytest.mark.parametrize(
    ("scoped_max", "share", "reads"),
    [(admission_work.PERSON_SCOPED_MAX, 0.0, []), (0, 1.0, ["persons", "persons"]), (0, 0.0, [None])],
    ids=["evaluator", "sql-of-persons", "sql-of-everyone"],
)
def test_an_announcement_counts_the_departure_of_another_person_carrying_the_admission_number(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scoped_max: int,
    share: float,
    reads: list[str | None],
) -> None:
    """Another person's manifest carrying the traveller's admission number ends that admission on 20 August
    (the whole store's SQL); the traveller's own manifest of 10 September arrives in a later batch. The
    batch's announcement must name the admission's departure as the SQL does, not the one the
    traveller's records alone would give, whether a small batch's evaluator or a large batch's SQL
    judges it; the SQL reads the persons concerned, then those sharing their numbers, when they are few
    among the store's (`SCOPED_SHARE`), else everyone once."""
    traveller = arrival("1", a_number="A111111111", admission_number="12345678901")
    other = _manifest("D1", "A222222222", "2024-08-20", "MENSAH", "KOFI", admission_number="12345678901")
    own = _manifest("D2", "A111111111", "2024-09-10", "OKAFOR", "CHIDI", date_of_birth="1990-05-17")
    for feed, rows in (("arrivals", [traveller]), ("departures", [other, own])):
        assert ilos("ingest", feed, str(write_csv(tmp_path / f"{feed}.csv", rows)), db=store_url).code == 0
    monkeypatch.setattr(admission_work, "PERSON_SCOPED_MAX", scoped_max)
    monkeypatch.setattr(admission_work, "SCOPED_SHARE", share)
    day, batch = date(2026, 6, 15), ["departures/APIS/D2"]
    with Ilos(Settings(), store_url) as app:
        read: list[Any] = []
        inputs = app.reader.admission_inputs
        monkeypatch.setattr(
            app.reader, "admission_inputs", lambda k=None, p=None: read.append(p) or inputs(k, p)
        )
        got = app.admission_work.verified_by(batch, [], day).to_pylist()
        assert [p if p is None else "persons" for p in read] == reads
        whole = app.admission_work.verified_by_sql(batch, [], day, None).to_pylist()
    assert [(r["departure_date"], r["status"], r["sources"]) for r in got] == [
        ("2024-08-20", "DEPARTED_TIMELY", "departures/APIS/D1")
    ]
    assert got == whole


def _manifest(rid: str, a_number: str, day: str, family: str, given: str, **more: str) -> dict[str, str]:
    """A departures row of a carrier's manifest."""
    return {"source_system": "APIS", "source_record_id": rid, "recorded_at": "2024-09-21T00:00:00Z",
            "family_name": family, "given_names": given, "date_of_birth": "1971-02-03", "citizenship": "GHA",
            "a_number": a_number, "departure_date": day, "mode": "AIR", "evidence": "MANIFEST", **more}  # fmt: skip


def test_a_read_may_ask_for_more_values_than_a_statement_may_bind(store_url: str, tmp_path: Path) -> None:
    """A large batch asks the reader for thousands of persons, numbers or uids, past what one statement
    may bind (SQLite 32,766 parameters, PostgreSQL 65,535): 70,000 values unknown to the store added to
    what is asked change nothing of the answer."""
    arrivals = [
        arrival("1"),
        arrival(
            "2", family_name="MENSAH", given_names="KOFI", date_of_birth="1971-02-03", a_number="A222222222"
        ),
    ]
    other = _manifest("D1", "A333333333", "2024-08-20", "ASANTE", "YAW", admission_number="00000000002")
    for feed, rows in (("arrivals", arrivals), ("departures", [other])):
        assert ilos("ingest", feed, str(write_csv(tmp_path / f"{feed}.csv", rows)), db=store_url).code == 0
    unknown = [f"X{i:07d}" for i in range(70_000)]
    with Ilos(Settings(), store_url) as app:
        reader = app.reader
        uids = sorted(reader.links().column("record_uid").to_pylist())
        persons = reader.last_persons_of_records(uids)
        numbers = ["00000000001", "00000000002"]

        def reads(more: list[str]) -> list[Any]:
            inputs = reader.admission_inputs(None, persons + more)
            return [
                {feed: table.sort_by("uid").to_pylist() for feed, table in inputs.items()},
                reader.persons_of_admissions(numbers + more),
                reader.last_persons_of_records(uids + more),
                reader.persons_of_records(uids + more),
                reader.events_about("departure:verified", numbers + more).num_rows,
                reader.relative_links(persons + more).num_rows,
                reader.person_rows(ADMISSION_INPUTS, None, persons + more),
            ]

        asked = reads([])
        assert reads(unknown) == asked
    assert len(persons) == 3
    assert asked[1] == asked[2] == asked[3] == persons
    assert [len(rows) for rows in asked[0].values()] == [2, 1, 0]
    assert [len(rows) for rows in asked[6].values()] == [2, 1, 0]
    assert asked[4] == 1
