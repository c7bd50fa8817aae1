"""The generator's 3,000-person world loads as the generator says it should, on both stores,
and a second identical ingest changes no export byte. 3,000 persons still draw every quarantine reason
the test names, and corrections and retractions (10,000 took some 50 s a store and tested nothing more:
either world is one load chunk)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ilos.domain.feeds import FEEDS
from ilos.generator import generate
from tests.cli import ilos

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("world")
    generate(persons=3_000, seed=1, out=out)
    return out, json.loads((out / "truth" / "manifest.json").read_text())


def ingest_all(out: Path, db: str) -> dict[str, str]:
    results = {}
    for feed in FEEDS:
        result = ilos("ingest", "--no-resolve", feed, str(out / f"{feed}.csv"), db=db)
        assert result.code == 0, result.err
        results[feed] = result.out
    return results


def exports(db: str) -> dict[str, str]:
    files = {feed: ilos("export", "records", feed, db=db).out for feed in FEEDS}
    files["quarantine"] = ilos("quarantine", "list", db=db).out
    files["links"] = ilos("export", "links", db=db).out
    return files


def counts(line: str) -> dict[str, int]:
    """Parse 'feed file: N rows: new a, corrected b, ...' into a dict."""
    tail = line.split("rows: ", 1)[1]
    return {k: int(v) for k, v in (part.rsplit(" ", 1) for part in tail.split(", "))}


def test_generated_world_loads_as_the_generator_counted(
    world: tuple[Path, dict[str, Any]], store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, manifest = world
    monkeypatch.setenv("ILOS_NOW", manifest["now"])
    first = ingest_all(out, store_url)
    for feed, expected in manifest["feeds"].items():
        got = counts(first[feed].splitlines()[0])
        assert got["new"] == expected["valid_new"], feed
        assert got["unchanged"] == expected["duplicates"], feed
        assert got["corrected"] + got["retracted"] == expected["corrections"], feed
        assert got["retracted"] == expected["retractions"], feed
        assert got["quarantined"] == sum(expected["quarantined"].values()), feed
    quarantined = Counter(
        (line.split(",")[0], line.split(",")[5]) for line in exports(store_url)["quarantine"].splitlines()[1:]
    )
    assert quarantined == Counter(
        {(feed, reason): n for feed, e in manifest["feeds"].items() for reason, n in e["quarantined"].items()}
    )
    assert {reason for feed, reason in quarantined if feed == "arrivals"} == {
        "MISSING_REQUIRED", "INVALID_CODE", "INVALID_DATE", "INVALID_TIMESTAMP", "INVALID_FORMAT",
        "RECORDED_IN_FUTURE", "EVENT_BEFORE_BIRTH", "EVENT_AFTER_RECORDED", "ADMIT_UNTIL_BEFORE_ADMITTED",
        "VISA_WAIVER_TOO_LONG", "DS_NOT_ALLOWED",
    }  # fmt: skip

    resolved = ilos("resolve", db=store_url)
    assert resolved.code == 0, resolved.err
    in_force = sum(exports(store_url)[feed].count("\n") - 1 for feed in FEEDS)
    assert ilos("export", "links", db=store_url).out.count("\n") - 1 == in_force  # every record in force

    before = exports(store_url)
    again = ingest_all(out, store_url)
    for feed in FEEDS:
        got = counts(again[feed].splitlines()[0])
        assert got["new"] + got["corrected"] + got["retracted"] == 0, feed
    assert exports(store_url) == before
