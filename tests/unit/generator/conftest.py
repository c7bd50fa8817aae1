"""One 10,000-person generation shared by the generator tests (session scope)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import pytest

from ilos.generator import GenerationSummary, generate
from ilos.generator.schema import FEEDS

PERSONS = 10_000
SEED = 20240917
END = date(2026, 11, 30)


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass
class Run:
    """A generation and lazy access to its files."""

    out: Path
    summary: GenerationSummary
    _cache: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def feed(self, name: str) -> list[dict[str, str]]:
        """Rows of a feed file (cached)."""
        if name not in self._cache:
            self._cache[name] = read_csv(self.out / f"{name}.csv")
        return self._cache[name]

    def truth(self, name: str) -> list[dict[str, str]]:
        """Rows of a truth CSV (cached)."""
        return self.feed(f"truth/{name}")

    def all_rows(self) -> Iterator[tuple[str, dict[str, str]]]:
        """(feed, row) over every feed."""
        for name in FEEDS:
            for row in self.feed(name):
                yield name, row

    @cached_property
    def manifest(self) -> dict[str, object]:
        """The manifest."""
        data: dict[str, object] = json.loads(
            (self.out / "truth" / "manifest.json").read_text(encoding="utf-8")
        )
        return data

    @cached_property
    def person_of(self) -> dict[tuple[str, str], str]:
        """(source_system, source_record_id) -> true_person_id."""
        return {
            (r["source_system"], r["source_record_id"]): r["true_person_id"] for r in self.truth("persons")
        }

    @cached_property
    def identity(self) -> dict[str, dict[str, str]]:
        """true_person_id -> true identity."""
        return {r["true_person_id"]: r for r in self.truth("identities")}

    @cached_property
    def noise(self) -> dict[tuple[str, str, str], set[str]]:
        """(source_system, source_record_id, recorded_at) -> noise codes."""
        return {
            (r["source_system"], r["source_record_id"], r["recorded_at"]): set(r["noise"].split(";"))
            for r in self.truth("noise")
        }

    def codes(self, row: dict[str, str]) -> set[str]:
        """Noise codes of one feed row."""
        return self.noise.get((row["source_system"], row["source_record_id"], row["recorded_at"]), set())


@pytest.fixture(scope="session")
def big_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """10,000 persons over the default four-year window ending END."""
    out = tmp_path_factory.mktemp("gen10k")
    return Run(out, generate(PERSONS, SEED, out, end=END))
