"""Departures of a generated world streamed into a store of the rest: every one linked as it is stored,
a repeat of a linked identity (ADR 13) or a new signature whose person is certain (ADR 11), is linked
to that person by the run, on both stores."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ilos.bootstrap import Ilos
from ilos.config import Settings
from ilos.domain.feeds import FEEDS
from ilos.generator import generate
from tests.cli import load_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(persons=400, seed=13, out=out)
    return out


def _held_back(world: Path, out: Path, every: int) -> list[str]:
    """A copy of the world in `out` without every `every`-th departure record (all its versions); those
    records' rows as JSON lines, in recorded order."""
    for feed in FEEDS:
        if feed != "departures":
            shutil.copy(world / f"{feed}.csv", out / f"{feed}.csv")
    with (world / "departures.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    keys = sorted({(r["source_system"], r["source_record_id"]) for r in rows})[::every]
    back = set(keys)
    with (out / "departures.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(fields or []))
        writer.writeheader()
        writer.writerows(r for r in rows if (r["source_system"], r["source_record_id"]) not in back)
    held = [r for r in rows if (r["source_system"], r["source_record_id"]) in back]
    held.sort(key=lambda r: (r["recorded_at"], r["source_record_id"]))
    return [json.dumps({k: v for k, v in r.items() if v}) for r in held]


def _links(app: Any, uids: list[str]) -> dict[str, tuple[str, str | None]]:
    """(person_id, anchor_uid) of each of `uids` that has a link."""
    bulk = app.store.bulk()
    try:
        rows = bulk.fetch_arrow(
            "SELECT record_uid, person_id, anchor_uid FROM identity_link",
            text=["record_uid", "person_id", "anchor_uid"],
        ).to_pylist()
    finally:
        bulk.close()
    wanted = set(uids)
    return {r["record_uid"]: (r["person_id"], r["anchor_uid"]) for r in rows if r["record_uid"] in wanted}


def test_every_departure_linked_as_it_is_stored_is_linked_so_by_the_run(
    world: Path, tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = json.loads((world / "truth" / "manifest.json").read_text())
    monkeypatch.setenv("ILOS_NOW", manifest["now"])
    monkeypatch.setenv("ILOS_DECIDE_ON_STORING", "1")
    kept = tmp_path / "kept"
    kept.mkdir()
    lines = _held_back(world, kept, every=6)
    load_world(kept, store_url)
    early: dict[str, tuple[str, str | None]] = {}
    decided: list[str] = []
    with Ilos(Settings(), store_url) as app:
        pipeline = app.stream_pipeline
        assert pipeline.warm()
        batches = []
        for n in range(3):
            accepted = pipeline.accept("departures", lines[n::3], f"batch {n}")
            early.update(_links(app, accepted.linked_on_storing + accepted.decided_on_storing))
            decided += accepted.decided_on_storing
            batches.append(accepted)
        pipeline.link(batches, date.fromisoformat(manifest["now"][:10]))
        after = _links(app, list(early))
    assert len(decided) > 10, decided
    assert len(early) > len(decided) + 10  # repeats too
    assert {uid for uid, (_, anchor) in after.items() if anchor is not None} == set()
    assert {uid: person for uid, (person, _) in after.items()} == {
        uid: person for uid, (person, _) in early.items()
    }
