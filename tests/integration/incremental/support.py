"""Deliveries linked incrementally and the persons they give, for the incremental-linking tests."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

from tests.cli import ilos
from tests.feedfiles import arrival

Partition = frozenset[frozenset[str]]
ILOS = [sys.executable, "-m", "ilos.entrypoints.cli.main"]


def partition(db: str) -> Partition:
    out = ilos("export", "links", db=db)
    assert out.code == 0, out.err
    persons: dict[str, set[str]] = {}
    for row in csv.DictReader(io.StringIO(out.out)):
        uid = f"{row['feed']}/{row['source_system']}/{row['source_record_id']}"
        persons.setdefault(row["person_id"], set()).add(uid)
    return frozenset(frozenset(p) for p in persons.values())


def deliver(
    db: str, deliveries: list[tuple[str, Path]], other: tuple[str, Path] | None, one_process: bool
) -> None:
    """Each delivery stored and linked incrementally, by one app or a new app each time; `other` is
    stored and linked by another OS process after the second departures delivery."""
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.resolve import resolve_incremental

    app = Ilos(Settings(), db)
    try:
        for feed, path in deliveries:
            ingest_files(feed, [path], app.loader)
            resolve_incremental(app.identity_work, app.identity_store)
            if other and feed == "departures" and path.name.endswith("-2.csv"):
                command = [*ILOS, "ingest", other[0], str(other[1]), "--db", db]
                subprocess.run(command, check=True, capture_output=True, timeout=300)
            if not one_process:
                app.close()
                app = Ilos(Settings(), db)
    finally:
        app.close()


def links(db: str) -> str:
    out = ilos("export", "links", db=db)
    assert out.code == 0, out.err
    return out.out


def assert_a_full_run_links_the_same(db: str) -> None:
    """A full re-run links every record to the person the incremental runs linked it to."""
    incremental = links(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert incremental == links(db)


def linked(db: str, deliveries: list[tuple[str, Path]], one_process: bool = True) -> Partition:
    """The persons after linking `deliveries` incrementally, checked to be those a full run links."""
    deliver(db, deliveries, None, one_process=one_process)
    assert_a_full_run_links_the_same(db)
    return partition(db)


def okafor(rid: str, **overrides: str) -> dict[str, str]:
    return arrival(
        rid, **{"family_name": "OKAFOR", "given_names": "CHIDI", "date_of_birth": "1990-05-17", **overrides}
    )


def departure_of(row: dict[str, str], rid: str, **overrides: str) -> dict[str, str]:
    identity = {k: row[k] for k in ("family_name", "given_names", "date_of_birth", "citizenship")}
    return {"source_system": "APIS", "source_record_id": rid, "recorded_at": "2024-09-01T00:00:00Z", **identity,
            "departure_date": "2024-08-30", "mode": "AIR", "evidence": "MANIFEST", **overrides}  # fmt: skip
