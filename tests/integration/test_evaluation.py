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
    for policy, as_of, known_at in (
        ("guidelines-2021", end, None),
        ("priorities-2014", end, None),
        ("guidelines-2021", middle, None),
        ("priorities-2014", end, f"{middle}T00:00:00.000000Z"),
    ):
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
