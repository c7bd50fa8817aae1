"""What every incremental-linking test module shares: the generated world, and kept tables searched
and name-key reaches placed among as on a large store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ilos.adapters import kept_tables
from ilos.adapters.duck import incremental
from ilos.generator import generate


@pytest.fixture(autouse=True)
def _search_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept tables find a batch's rows by binary search, and runs place among the components a name key
    reaches without scoring them, as on a large store: at this module's sizes they would test every row
    and score everything instead, which hides a table kept out of order or a component kept wrongly."""
    monkeypatch.setattr(kept_tables, "SEARCH_SHARE", 0)
    monkeypatch.setattr(incremental, "UNSCORED_FROM", 0)  # and place among what a key reaches, however few


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("world")
    generate(persons=250, seed=7, out=folder, start=date(2023, 1, 1), end=date(2024, 12, 31))
    return folder
