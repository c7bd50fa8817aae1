"""Relatives resolved on a generated world, checked against the generator's truth: the world knows which
person each relationship names (`Relationship.relative`), and truth/persons.csv which person each
record describes."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from ilos.bootstrap import Ilos
from ilos.config import Settings
from ilos.generator import generate
from ilos.generator.api import simulate
from tests.cli import ilos, load_world

pytestmark = pytest.mark.slow

PERSONS, SEED, START, END = 1000, 3, date(2021, 1, 1), date(2024, 12, 31)


def true_person_of_each_person(db: str, truth: Path) -> dict[str, str]:
    """ILOS person id -> the true person most of its records describe."""
    with (truth / "persons.csv").open() as fh:
        true_of_record = {
            (r["source_system"], r["source_record_id"]): r["true_person_id"] for r in csv.DictReader(fh)
        }
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for link in csv.DictReader(io.StringIO(ilos("export", "links", db=db).out)):
        true = true_of_record.get((link["source_system"], link["source_record_id"]))
        if true:
            votes[link["person_id"]][true] += 1
    return {person: counts.most_common(1)[0][0] for person, counts in votes.items()}


def test_relatives_resolve_to_the_right_persons_of_a_generated_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, db = tmp_path / "world", f"sqlite:///{tmp_path / 'store' / 'ilos.db'}"
    generate(persons=PERSONS, seed=SEED, out=out, start=START, end=END)
    monkeypatch.setenv("ILOS_NOW", json.loads((out / "truth" / "manifest.json").read_text())["now"])
    load_world(out, db)

    world = simulate(PERSONS, SEED, START, END).world  # the same world `generate` wrote
    named = {
        r.relationship_id: world.persons[r.relative].pid if r.relative >= 0 else None
        for r in world.relationships
    }
    true_of = true_person_of_each_person(db, out / "truth")
    with Ilos(Settings(), db) as app:
        rows = app.reader.relatives().to_pylist()

    tally: Counter[str] = Counter()
    for row in rows:
        want = named[row["relationship_id"]]
        got = true_of.get(row["relative_person_id"]) if row["relative_person_id"] else None
        described = bool(row["relative_a_number"]) or len(row["relative_date_of_birth"] or "") == 10
        if want is None:
            tally["outsider" if got is None else "outsider_linked"] += 1
            continue
        tally["world"] += 1
        tally["described"] += described
        if got is None:
            tally["unresolved"] += 1
        else:
            tally["right" if got == want else "wrong"] += 1
            tally["right_described"] += got == want and described
    # Measured (1,000 persons, seed 3): 111 relationships name a person of the world; 86 resolved right
    # (0.77), 25 unresolved, 0 wrong. The 25: 14 relatives described with neither an A-number nor a full
    # birth date (the generator leaves 12% of birth dates out), 11 whose family or given name the filer
    # misspelt (exact keys, by design). Of the 97 described enough, 86 right (0.89).
    print(dict(tally))
    assert tally["world"] >= 80  # enough relationships between persons of the world to measure
    assert tally["right"] / tally["world"] >= 0.7
    assert tally["right_described"] / tally["described"] >= 0.83
    # A wrong person needs another person with the relative's A-number, or with the same names and birth
    # date while the relative has no record: both rare in a world of 1,000. One is tolerated because
    # "right" is judged through identity resolution (the true person most of a person's records
    # describe), and one mistaken merge there could turn a right relative into a "wrong" one.
    assert tally["wrong"] <= 1
    assert tally["outsider_linked"] <= 1  # a relative outside the world linked to someone
