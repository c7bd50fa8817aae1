"""Incremental linking (`ilos ingest`) gives the same persons as a full re-run, whatever the order."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ilos.adapters import kept_tables
from ilos.adapters.duck import incremental
from ilos.domain.feeds import FEEDS
from ilos.generator import generate
from tests.cli import ilos
from tests.feedfiles import arrival, write_csv

Partition = frozenset[frozenset[str]]
ILOS = [sys.executable, "-m", "ilos.entrypoints.cli.main"]


@pytest.fixture(autouse=True)
def _search_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept tables find a batch's rows by binary search, and runs place among the components a name key
    reaches without scoring them, as on a large store: at this module's sizes they would test every row
    and score everything instead, which hides a table kept out of order or a component kept wrongly."""
    monkeypatch.setattr(kept_tables, "SEARCH_SHARE", 0)
    monkeypatch.setattr(incremental, "UNSCORED_FROM", 0)  # and place among what a key reaches, however few


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("world")
    generate(persons=250, seed=7, out=folder, start=date(2023, 1, 1), end=date(2024, 12, 31))
    return folder


def _halves(world: Path, out: Path) -> dict[str, tuple[Path, Path]]:
    """Each feed file cut in two deliveries."""
    parts = {}
    for feed in FEEDS:
        lines = (world / f"{feed}.csv").read_text().splitlines(keepends=True)
        header, rows = lines[0], lines[1:]
        first, second = out / f"{feed}-1.csv", out / f"{feed}-2.csv"
        first.write_text(header + "".join(rows[: len(rows) // 2]))
        second.write_text(header + "".join(rows[len(rows) // 2 :]))
        parts[feed] = (first, second)
    return parts


def _partition(db: str) -> Partition:
    out = ilos("export", "links", db=db)
    assert out.code == 0, out.err
    persons: dict[str, set[str]] = {}
    for row in csv.DictReader(io.StringIO(out.out)):
        uid = f"{row['feed']}/{row['source_system']}/{row['source_record_id']}"
        persons.setdefault(row["person_id"], set()).add(uid)
    return frozenset(frozenset(p) for p in persons.values())


def _ingest_incrementally(db: str, deliveries: list[tuple[str, Path]]) -> Partition:
    for feed, path in deliveries:
        result = ilos("ingest", feed, str(path), db=db)
        assert result.code == 0, result.err
    return _partition(db)


def test_incremental_equals_full_in_any_order(world: Path, tmp_path: Path) -> None:
    parts = _halves(world, tmp_path)
    feeds = list(FEEDS)
    orders = {
        "feeds in order": [(f, parts[f][i]) for i in (0, 1) for f in feeds],
        "reversed, later half first": [(f, parts[f][i]) for i in (1, 0) for f in reversed(feeds)],
    }
    seen: dict[str, Partition] = {}
    for name, deliveries in orders.items():
        db = f"sqlite:///{tmp_path / name.replace(' ', '_').replace(',', '')}.db"
        incremental = _ingest_incrementally(db, deliveries)
        runs = ilos("resolve", "--full", db=db)
        assert runs.code == 0, runs.err
        full = _partition(db)
        assert incremental == full, name
        seen[name] = full
    assert len(set(seen.values())) == 1
    assert max(len(p) for p in next(iter(seen.values()))) > 1  # persons with several records exist


def test_ingest_resolves_only_what_the_batch_touches(world: Path, tmp_path: Path) -> None:
    parts = _halves(world, tmp_path)
    db = f"sqlite:///{tmp_path / 'store.db'}"
    for feed in FEEDS:
        assert ilos("ingest", "--no-resolve", feed, str(parts[feed][0]), db=db).code == 0
    assert ilos("resolve", db=db).code == 0
    result = ilos("ingest", "departures", str(parts["departures"][1]), db=db)
    assert result.code == 0, result.err
    line = next(s for s in result.out.splitlines() if s.startswith("resolution run"))
    records = int(line.split(": ")[1].split(" records")[0])
    resolved = int(line.split("review; ")[1].split(" records re-resolved")[0])
    assert 0 < resolved < records


def _kowalczyk(rid: str, **overrides: str) -> dict[str, str]:
    base = {"family_name": "KOWALCZYK", "date_of_birth": "1984-03-17", "sex": "M", "citizenship": "POL",
            "birth_country": "POL", "document_type": "P", "document_country": "POL"}  # fmt: skip
    return arrival(rid, **{**base, **overrides})


def test_a_retraction_that_ends_a_twins_ambiguity_relinks_the_held_record(tmp_path: Path) -> None:
    """A record matching both twins is held for review; once one twin's record is withdrawn, the
    incremental run links it to the other twin as a full run does."""
    db = f"sqlite:///{tmp_path / 'twins.db'}"
    twins = [
        _kowalczyk("1", given_names="BARTOSZ", document_number="EK1111111"),
        _kowalczyk("2", given_names="BARTOSZ", document_number="EK1111111"),
        _kowalczyk("3", given_names="WOJCIECH", document_number="EK2222222"),
    ]
    bridge = {"source_system": "APIS", "source_record_id": "D1", "recorded_at": "2024-03-10T00:00:00Z",
              "family_name": "KOWALCZYK", "date_of_birth": "1984-03-17", "sex": "M", "citizenship": "POL",
              "birth_country": "POL", "departure_date": "2024-03-09", "mode": "AIR", "evidence": "MANIFEST"}  # fmt: skip
    assert ilos("ingest", "arrivals", str(write_csv(tmp_path / "a.csv", twins)), db=db).code == 0
    assert ilos("ingest", "departures", str(write_csv(tmp_path / "d.csv", [bridge])), db=db).code == 0
    held = _partition(db)
    assert frozenset({"departures/APIS/D1"}) in held  # linked to neither twin
    retraction = {**twins[2], "recorded_at": "2024-05-01T00:00:00Z", "retracted": "true"}
    result = ilos("ingest", "arrivals", str(write_csv(tmp_path / "r.csv", [retraction])), db=db)
    assert result.code == 0, result.err
    incremental = _partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    full = _partition(db)
    assert frozenset({"arrivals/I94/1", "arrivals/I94/2", "departures/APIS/D1"}) in full
    assert incremental == full


def _corrected(path: Path, out: Path, every: int, **changes: str) -> Path:
    """New versions (recorded later than the world's records, and before now: a version recorded in the
    future is quarantined) of every `every`-th row of a feed file, with `changes`."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[::every]
    return write_csv(out, [{**r, "recorded_at": "2025-06-01T00:00:00Z", **changes} for r in rows])


def test_one_long_lived_process_links_delivery_after_delivery_as_fresh_processes_do(
    world: Path, tmp_path: Path
) -> None:
    """The stream's process keeps the records, link state and index between runs: through additions,
    corrections, retractions and a delivery another process links meanwhile, it gives every record
    the person id a fresh process per delivery gives, and the persons of a full run."""
    parts = _halves(world, tmp_path)
    deliveries = [(f, parts[f][0]) for f in FEEDS] + [("departures", parts["departures"][1])]
    deliveries += [
        ("arrivals", _corrected(parts["arrivals"][0], tmp_path / "fix.csv", 7, given_names="ZZTOP")),
        ("departures", _corrected(parts["departures"][0], tmp_path / "gone.csv", 5, retracted="true")),
        *[(f, parts[f][1]) for f in FEEDS if f not in ("arrivals", "departures")],
    ]
    other = ("arrivals", parts["arrivals"][1])  # linked by another process after the first departures
    kept, fresh = (f"sqlite:///{tmp_path / name}.db" for name in ("kept", "fresh"))
    _deliver(kept, deliveries, other, one_process=True)
    _deliver(fresh, deliveries, other, one_process=False)
    assert _links(kept) == _links(fresh)
    long_lived = _partition(kept)
    assert ilos("resolve", "--full", db=kept).code == 0
    assert long_lived == _partition(kept)


def test_what_a_process_keeps_is_what_it_would_read_and_build_again(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After each run of a long-lived process, through corrections and retractions delivered beside
    new records: the link state it keeps equals the store's, row for row in record uid order (a run
    writes only the links it changed, and puts them into the kept ones where that order puts them),
    and the trip keys it keeps (each batch builds its changed records' and keeps the rest) equal those
    built from every record in force, their name-key edges those of every keyed row joined to the link
    state the run read. Stale keys would not change a person (they only widen what a batch
    re-resolves), so this compares the keys themselves."""
    from ilos.adapters.duck.workspace import workspace
    from ilos.adapters.identity import trips
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.resolve import resolve_incremental

    parts = _halves(world, tmp_path)
    arrivals, departures = parts["arrivals"], parts["departures"]
    fixes = [
        _corrected(arrivals[0], tmp_path / "fix.csv", 5, given_names="ZZTOP"),
        _corrected(arrivals[0], tmp_path / "gone.csv", 7, retracted="true"),
    ]
    deliveries = [
        ("arrivals", arrivals[0]),
        ("departures", departures[0]),
        ("encounters", parts["encounters"][0]),
    ]
    deliveries += [("arrivals", _joined(tmp_path / "mixed.csv", [fixes[0], fixes[1], arrivals[1]])),
                   ("departures", departures[1])]  # fmt: skip
    updated: list[bool] = []  # whether each batch's name-key edges were updated from the kept ones
    find_edges = incremental._name_key_edges

    def spied(cur: Any, state: Any, after: Any, kept: Any, relinked: Any, gone: Any) -> Any:
        updated.append(kept is not None and kept.edges is not None and relinked is not None)
        return find_edges(cur, state, after, kept, relinked, gone)

    monkeypatch.setattr(incremental, "_name_key_edges", spied)
    app = Ilos(Settings(), f"sqlite:///{tmp_path / 'keys.db'}")
    try:
        checked = checked_components = 0
        for feed, path in deliveries:
            ingest_files(feed, [path], app.loader)
            read, read_run = app.reader.link_state(), app.reader.latest_run_id()
            summary = resolve_incremental(app.identity_work, app.identity_store)
            kept = app.identity_work._kept  # the cache under test
            columns = ["record_uid", "person_id", "component", "identity_hash"]
            assert kept.links is not None
            persons = len(set(app.reader.link_state().column("person_id").to_pylist()))
            assert summary.persons == persons  # counted from the links the run replaced, once kept
            assert kept.persons is None or kept.persons.count == persons
            components = Counter(app.reader.link_state().column("component").drop_null().to_pylist())
            singles = sorted(c for c, n in components.items() if n == 1)
            assert kept.components is None or kept.components.singles.to_pylist() == singles
            checked_components += kept.components is not None
            # in the store's order too: a batch puts its links into the kept ones by record uid
            assert (
                kept.links.select(columns).to_pylist() == app.reader.link_state().select(columns).to_pylist()
            )
            if kept.trip_keys is None or kept.index is None or kept.records is None:
                continue
            members = kept.index.members.column("record_uid").to_pylist()
            assert members == sorted(members)  # a batch puts its members into the kept ones by uid
            uids = kept.records.column("record_uid").to_pylist()
            assert uids == sorted(uids)  # a batch's records are found among them by binary search
            with workspace(app.identity_work.con) as cur:
                cur.register("f", kept.index.feat)
                cur.register("m", kept.index.members)
                presence = trips.presence_keys(cur, "f", "m")
                built = trips.trip_keys(cur, kept.records, presence)
            assert _rows(kept.trip_keys.presence) == _rows(presence)
            assert _rows(kept.trip_keys.trips) == _rows(built)
            nodes = trips.key_nodes(built)
            assert _rows(kept.trip_keys.nodes()) == _rows(nodes)
            named = nodes.filter(pc.equal(nodes.column("kind"), "name_only"))
            assert _rows(kept.trip_keys.name_only) == _rows(named)
            uids = kept.trip_keys.name_only.column("record_uid").to_pylist()
            assert uids == sorted(uids)  # kept by record uid, a batch's rows put in by binary search
            assert kept.trip_keys.edges is not None
            assert kept.trip_keys.edges_run == read_run
            with workspace(app.identity_work.con) as cur:
                cur.register("trip_keys", nodes)
                cur.register("name_only_keys", named)
                cur.register("state", read)
                assert _rows(kept.trip_keys.edges) == _rows(
                    cur.sql(incremental.NAME_KEY_EDGES).to_arrow_table()
                )
            checked += 1
        assert checked >= 2
        assert updated.count(True) >= 2  # the edges were updated from the kept ones, not found again
        assert checked_components >= 2  # kept from run to run, not only counted again
    finally:
        app.close()


def test_the_held_pairs_a_process_keeps_are_those_it_would_read_again(world: Path, tmp_path: Path) -> None:
    """A long-lived process reads the open held review pairs once, then only those of the runs kept
    since, and leaves out those decided since: through its own runs, another process's run and
    reviewers' decisions in between, it holds what reading every pair again gives."""
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.resolve import resolve_incremental

    parts = _halves(world, tmp_path)
    db = f"sqlite:///{tmp_path / 'held.db'}"
    deliveries = [(feed, parts[feed][0]) for feed in FEEDS] + [("departures", parts["departures"][1])]
    columns = ["record_uid_l", "record_uid_r", "rule"]
    with Ilos(Settings(), db) as app, Ilos(Settings(), db) as other:
        decided = 0
        for i, (feed, path) in enumerate(deliveries):
            ingest_files(feed, [path], app.loader)
            resolve_incremental(app.identity_work, app.identity_store)
            if i == 3:  # another process links a delivery meanwhile
                ingest_files("arrivals", [parts["arrivals"][1]], other.loader)
                resolve_incremental(other.identity_work, other.identity_store)
            kept = app.identity_work._held_pairs(app.reader.review_decisions())  # the cache under test
            read = app.reader.held_pairs()
            assert _rows(kept.select(columns)) == _rows(read.select(columns))
            if read.num_rows:  # a reviewer decides an open pair before the next delivery
                left, right = read.column("record_uid_l")[0].as_py(), read.column("record_uid_r")[0].as_py()
                decided += app.identity_store.decide(left, right, "separate", "not the same", "reviewer")
        assert decided >= 2


def test_relatives_a_process_resolves_again_after_each_run_are_those_resolved_from_everything(
    world: Path, tmp_path: Path
) -> None:
    """The stream resolves relatives after each run; a long-lived process resolves again only the
    relationships the run's changed records can affect. Through new, corrected and retracted records
    and relationships, its result after every run equals resolving every relationship again."""
    from ilos.adapters.duck.relatives import COLUMNS, link_relatives
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.relatives import resolve_relatives
    from ilos.services.resolve import resolve_incremental

    parts = _halves(world, tmp_path)
    arrivals, relationships = parts["arrivals"], parts["relationships"]
    people = _joined(tmp_path / "people.csv", [
        _corrected(arrivals[0], tmp_path / "fix.csv", 5, given_names="ZZTOP"),
        _corrected(arrivals[0], tmp_path / "gone.csv", 7, retracted="true"), arrivals[1]])  # fmt: skip
    filings = _joined(tmp_path / "filings.csv", [
        _corrected(relationships[0], tmp_path / "rfix.csv", 3, relative_given_names="ZED"),
        _corrected(relationships[0], tmp_path / "rgone.csv", 4, retracted="true"), relationships[1]])  # fmt: skip
    # the filings come first: the arrivals then merge their subjects into the travellers' persons
    deliveries = [("relationships", relationships[0]), ("arrivals", arrivals[0]),
                  ("encounters", parts["encounters"][0]), ("arrivals", people), ("relationships", filings),
                  ("departures", parts["departures"][0])]  # fmt: skip
    app = Ilos(Settings(), f"sqlite:///{tmp_path / 'relatives.db'}")
    try:
        incremental = 0
        for feed, path in deliveries:
            before = app.identity_work.run_id
            ingest_files(feed, [path], app.loader)
            resolve_incremental(app.identity_work, app.identity_store)
            incremental += app.identity_work.changes_since(before) is not None
            assert resolve_relatives(app.relatives_work, app.relative_store) is not None
            expected = link_relatives(
                app.identity_work.con,
                app.reader.records_in_force(FEEDS["relationships"]),
                app.reader.identity_records(),
                app.reader.link_state(),
            )
            assert _rows(app.reader.relatives().select(list(COLUMNS))) == _rows(expected)
        assert incremental >= 3
    finally:
        app.close()


def test_a_filer_merged_into_the_traveller_is_the_relationship_s_subject_in_a_kept_process(
    tmp_path: Path,
) -> None:
    """Jane's petition (surname misspelt, no birth date, another passport) is her own person; an
    encounter with her birth date and that passport merges it into the traveller. Nothing the petition
    describes changed, but its subject did: the process resolves it again."""
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.relatives import resolve_relatives
    from ilos.services.resolve import resolve_incremental

    doe = {"family_name": "DOE", "given_names": "JANE", "citizenship": "KEN", "document_type": "P",
           "document_country": "KEN"}  # fmt: skip
    traveller = arrival("1", **doe, date_of_birth="1970-01-01", document_number="K1111111")
    mother = arrival("2", family_name="WANJIRU", given_names="GRACE", date_of_birth="1950-02-03",
                     citizenship="KEN", document_country="KEN", document_number="K3333333", a_number="A077700077")  # fmt: skip
    petition = {"source_system": "USCIS", "source_record_id": "R1", "recorded_at": "2024-04-01T08:00:00Z",
                **doe, "family_name": "DOWE", "document_number": "K2222222", "relationship_id": "R1",
                "relationship": "PARENT", "relative_family_name": "WANJIRU", "relative_given_names": "GRACE",
                "relative_date_of_birth": "1950-02-03", "relative_a_number": "A077700077"}  # fmt: skip
    encounter = {"source_system": "ICE-EID", "source_record_id": "E1", "recorded_at": "2024-06-01T08:00:00Z",
                 **doe, "date_of_birth": "1970-01-01", "document_number": "K2222222", "encounter_id": "E1",
                 "event_date": "2024-05-01", "agency": "CBP_PORT", "encounter_type": "CHECK_IN",
                 "outcome": "RELEASED_ATD"}  # fmt: skip
    deliveries = [
        ("arrivals", [traveller, mother]),
        ("relationships", [petition]),
        ("encounters", [encounter]),
    ]
    app = Ilos(Settings(), f"sqlite:///{tmp_path / 'petition.db'}")
    try:
        subjects = []
        for feed, rows in deliveries:
            ingest_files(feed, [write_csv(tmp_path / f"{feed}.csv", rows)], app.loader)
            resolve_incremental(app.identity_work, app.identity_store)
            resolve_relatives(app.relatives_work, app.relative_store)
            if feed == "arrivals":
                continue
            (row,) = app.reader.relatives().to_pylist()
            assert row["relative_person_id"] == _person_of(app, "arrivals/I94/2")
            subjects.append(row["subject_person_id"])
        assert subjects[0] != _person_of(app, "arrivals/I94/1")  # before the encounter: apart
        assert subjects[1] == _person_of(app, "arrivals/I94/1")
    finally:
        app.close()


def test_relatives_resolved_after_another_process_stored_a_retraction_are_those_of_the_records_in_force(
    tmp_path: Path,
) -> None:
    """Between a run of the stream's process and its relatives, another process stores (without
    linking) the retraction of the relative's arrival: the relatives read the records in force then,
    so the relative is no longer held, as resolving everything says."""
    from ilos.adapters.duck.relatives import COLUMNS, link_relatives
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.relatives import resolve_relatives
    from ilos.services.resolve import resolve_incremental

    mother = arrival("2", family_name="WANJIRU", given_names="GRACE", date_of_birth="1950-02-03",
                     citizenship="KEN", document_country="KEN", document_number="K3333333", a_number="A077700077")  # fmt: skip
    petition = {"source_system": "USCIS", "source_record_id": "R1", "recorded_at": "2024-04-01T08:00:00Z",
                "family_name": "DOE", "given_names": "JANE", "date_of_birth": "1970-01-01", "citizenship": "KEN",
                "relationship_id": "R1", "relationship": "PARENT", "relative_family_name": "WANJIRU",
                "relative_given_names": "GRACE", "relative_date_of_birth": "1950-02-03", "relative_a_number": "A077700077"}  # fmt: skip
    gone = {**mother, "recorded_at": "2024-05-01T00:00:00Z", "retracted": "true"}
    db = f"sqlite:///{tmp_path / 'drift.db'}"
    stream, other = Ilos(Settings(), db), Ilos(Settings(), db)
    try:
        for feed, rows in (
            ("arrivals", [mother]),
            ("relationships", [petition]),
            ("arrivals", [arrival("3")]),
        ):
            ingest_files(feed, [write_csv(tmp_path / f"{feed}.csv", rows)], stream.loader)
            resolve_incremental(stream.identity_work, stream.identity_store)
            if feed == "relationships":
                resolve_relatives(stream.relatives_work, stream.relative_store)
        ingest_files(
            "arrivals", [write_csv(tmp_path / "gone.csv", [gone])], other.loader
        )  # stored, not linked
        resolve_relatives(stream.relatives_work, stream.relative_store)
        expected = link_relatives(
            stream.identity_work.con,
            stream.reader.records_in_force(FEEDS["relationships"]),
            stream.reader.identity_records(),
            stream.reader.link_state(),
        )
        got = stream.reader.relatives().select(list(COLUMNS))
        assert _rows(got) == _rows(expected)
        assert got.column("match").to_pylist() == ["not_held"]
    finally:
        stream.close()
        other.close()


def test_a_record_withdrawn_unlinked_keeps_its_person_when_the_relatives_read_it_first(
    tmp_path: Path,
) -> None:
    """Another process stores an arrival and its retraction without linking them; the stream's process
    reads those batches when it resolves relatives, before its next run. That run still keeps the
    withdrawn arrival's person as a retired link (for answers known before the retraction), as a
    fresh process does: the batches read between runs are looked at by the next run."""
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.relatives import resolve_relatives
    from ilos.services.resolve import resolve_incremental

    brief = arrival("5", family_name="NAKAMURA", given_names="KEN", date_of_birth="1988-08-08", citizenship="JPN",
                    document_country="JPN", document_number="TK1234567", recorded_at="2024-03-02T10:00:00Z")  # fmt: skip
    gone = {**brief, "recorded_at": "2024-03-05T10:00:00Z", "retracted": "true"}
    db = f"sqlite:///{tmp_path / 'withdrawn.db'}"
    stream, other = Ilos(Settings(), db), Ilos(Settings(), db)
    try:
        ingest_files("arrivals", [write_csv(tmp_path / "a1.csv", [arrival("1")])], stream.loader)
        resolve_incremental(stream.identity_work, stream.identity_store)
        ingest_files("arrivals", [write_csv(tmp_path / "a5.csv", [brief])], other.loader)
        ingest_files("arrivals", [write_csv(tmp_path / "a5-gone.csv", [gone])], other.loader)
        resolve_relatives(stream.relatives_work, stream.relative_store)  # reads the two batches
        ingest_files(
            "arrivals", [write_csv(tmp_path / "a2.csv", [arrival("2", family_name="ADEYEMI")])], stream.loader
        )
        resolve_incremental(stream.identity_work, stream.identity_store)
        retired = stream.reader.retired_links().column("record_uid").to_pylist()
        assert "arrivals/I94/5" in retired
    finally:
        stream.close()
        other.close()


@pytest.mark.parametrize("given", ["KEN", "KENN"], ids=["same identity", "misspelled given name"])
def test_a_record_withdrawn_unlinked_goes_to_the_person_of_a_retired_record_it_repeats(
    tmp_path: Path, given: str
) -> None:
    """W repeats the identity of R (or, misspelled, links to it by their pair), which a run linked and a
    later delivery retracted; W and its own retraction arrive together, so no run saw W in force. W is
    judged against the records in force and the records retired since a run linked them: it is R's
    person's, kept as a retired link, in a long-lived process (which extends the index and the blocking
    index it keeps with the retired records) as in a new one."""
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.resolve import resolve_incremental

    identity = {"family_name": "NAKAMURA", "given_names": "KEN", "date_of_birth": "1988-08-08",
                "citizenship": "JPN", "document_country": "JPN", "document_number": "TK1234567"}  # fmt: skip
    r = arrival("7", **identity, recorded_at="2024-03-02T10:00:00Z")
    w = arrival("8", **{**identity, "given_names": given}, recorded_at="2024-03-06T10:00:00Z")
    deliveries = [
        [arrival("1"), r],
        [{**r, "recorded_at": "2024-03-04T10:00:00Z", "retracted": "true"}],
        [
            w,
            {**w, "recorded_at": "2024-03-07T10:00:00Z", "retracted": "true"},
            arrival("2", family_name="ADEYEMI"),
        ],
    ]
    for one_process in (True, False):
        db = f"sqlite:///{tmp_path / f'retired-{one_process}.db'}"
        app = Ilos(Settings(), db)
        try:
            for i, rows in enumerate(deliveries):
                ingest_files("arrivals", [write_csv(tmp_path / f"{one_process}-{i}.csv", rows)], app.loader)
                resolve_incremental(app.identity_work, app.identity_store)
                if not one_process:
                    app.close()
                    app = Ilos(Settings(), db)
            retired = app.reader.retired_links().to_pylist()
        finally:
            app.close()
        person = {row["record_uid"]: row["person_id"] for row in retired}
        assert person["arrivals/I94/8"] == person["arrivals/I94/7"], one_process


def test_a_warmed_process_links_as_a_cold_one_and_keeps_what_it_would_build(
    world: Path, tmp_path: Path
) -> None:
    """A stream process prepared before its first batch (index, blocking index and trip keys built from
    the store) links each later delivery (new, corrected and retracted records) exactly as a process
    that builds them in its first batch, and keeps after each run the same index it would have."""
    import shutil

    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.resolve import resolve_incremental, warm

    parts = _halves(world, tmp_path)
    base = tmp_path / "base.db"
    app = Ilos(Settings(), f"sqlite:///{base}")
    try:
        for feed in ("arrivals", "departures", "encounters"):
            ingest_files(feed, [parts[feed][0]], app.loader)
        resolve_incremental(app.identity_work, app.identity_store)
    finally:
        app.close()
    fixes = _joined(tmp_path / "mixed.csv", [
        _corrected(parts["arrivals"][0], tmp_path / "fix.csv", 5, given_names="ZZTOP"),
        _corrected(parts["arrivals"][0], tmp_path / "gone.csv", 7, retracted="true"),
        parts["arrivals"][1],
    ])  # fmt: skip
    deliveries = [
        ("departures", parts["departures"][1]),
        ("arrivals", fixes),
        ("encounters", parts["encounters"][1]),
    ]
    kept: dict[bool, list[list[tuple[object, ...]]]] = {}
    for warmed in (True, False):
        shutil.copy(base, tmp_path / f"{warmed}.db")
        app = Ilos(Settings(), f"sqlite:///{tmp_path / f'{warmed}.db'}")
        try:
            if warmed:
                assert warm(app.identity_work, app.identity_store)
                assert app.identity_work._kept.index is not None  # built before the first batch
            kept[warmed] = []
            for feed, path in deliveries:
                ingest_files(feed, [path], app.loader)
                resolve_incremental(app.identity_work, app.identity_store)
                index = app.identity_work._kept.index
                assert index is not None
                kept[warmed].append(_rows(index.feat.select(["record_uid", "adms"])) + _rows(index.members))
                kept[warmed].append(
                    _rows(app.reader.link_state().select(["record_uid", "person_id", "component"]))
                )
        finally:
            app.close()
    assert kept[True] == kept[False]


def test_nothing_is_warmed_while_records_wait_for_a_run(tmp_path: Path) -> None:
    """Records stored since the last run (a load without resolution) are the first batch's to resolve:
    preparing the process builds no index, and that batch builds it from what it finds."""
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.resolve import resolve_incremental, warm

    app = Ilos(Settings(), f"sqlite:///{tmp_path / 'pending.db'}")
    try:
        ingest_files("arrivals", [write_csv(tmp_path / "a1.csv", [arrival("1")])], app.loader)
        resolve_incremental(app.identity_work, app.identity_store)
        app.close()
        app = Ilos(Settings(), f"sqlite:///{tmp_path / 'pending.db'}")
        ingest_files(
            "arrivals", [write_csv(tmp_path / "a2.csv", [arrival("2", family_name="ADEYEMI")])], app.loader
        )
        assert warm(app.identity_work, app.identity_store) is False
        assert app.identity_work._kept.index is None
        resolve_incremental(app.identity_work, app.identity_store)
        assert len(app.reader.link_state()) == 2
    finally:
        app.close()


def test_records_of_a_run_that_failed_are_linked_by_the_next_run_of_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-lived process compares with the link state only the records the batches since its last
    run changed; a run that fails before it is saved leaves its batch's records to the next run."""
    from ilos.services.resolve import resolve_incremental

    with _warmed_with_a_new_arrival(tmp_path) as app:
        with monkeypatch.context() as patched:
            patched.setattr(app.identity_store, "save_run", _failing)
            with pytest.raises(RuntimeError, match="disk full"):
                resolve_incremental(app.identity_work, app.identity_store)
        _arrive_and_resolve(app, tmp_path, "3", "OKONKWO")
        assert len(app.reader.link_state()) == 3
        assert len(set(app.reader.link_state().column("person_id").to_pylist())) == 3


def test_a_record_a_run_leaves_unlinked_is_compared_again_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process compares with the link state the records changed since its last run and those that
    run left without a link (the resolver links every record; here one link is dropped on purpose)."""
    from dataclasses import replace

    from ilos.services.resolve import resolve_incremental

    with _warmed_with_a_new_arrival(tmp_path) as app:
        assign = app.identity_work.assign

        def dropping(*args: Any) -> Any:
            out = assign(*args)
            return replace(
                out, links=out.links.filter(pc.not_equal(out.links.column("record_uid"), "arrivals/I94/2"))
            )

        with monkeypatch.context() as patched:
            patched.setattr(app.identity_work, "assign", dropping)
            resolve_incremental(app.identity_work, app.identity_store)
        assert "arrivals/I94/2" not in app.reader.link_state().column("record_uid").to_pylist()
        _arrive_and_resolve(app, tmp_path, "3", "OKONKWO")
        assert sorted(app.reader.link_state().column("record_uid").to_pylist()) == [
            f"arrivals/I94/{n}" for n in (1, 2, 3)
        ]


@contextmanager
def _warmed_with_a_new_arrival(tmp_path: Path) -> Iterator[Any]:
    """A process prepared (`warm`) on a store of one resolved arrival, with a second arrival stored
    since (not yet resolved)."""
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.resolve import resolve_incremental, warm

    db = f"sqlite:///{tmp_path / 'warmed.db'}"
    with Ilos(Settings(), db) as app:
        ingest_files("arrivals", [write_csv(tmp_path / "a1.csv", [arrival("1")])], app.loader)
        resolve_incremental(app.identity_work, app.identity_store)
    with Ilos(Settings(), db) as app:
        assert warm(app.identity_work, app.identity_store) is True
        ingest_files(
            "arrivals", [write_csv(tmp_path / "a2.csv", [arrival("2", family_name="ADEYEMI")])], app.loader
        )
        yield app


def _arrive_and_resolve(app: Any, tmp_path: Path, rid: str, family_name: str) -> None:
    """Store one more arrival and run an incremental resolution."""
    from ilos.services.ingest import ingest_files
    from ilos.services.resolve import resolve_incremental

    path = write_csv(tmp_path / f"a{rid}.csv", [arrival(rid, family_name=family_name)])
    ingest_files("arrivals", [path], app.loader)
    resolve_incremental(app.identity_work, app.identity_store)


def _failing(*args: object, **kwargs: object) -> None:
    raise RuntimeError("disk full")


def _person_of(app: object, uid: str) -> str:
    links = app.reader.link_state()  # type: ignore[attr-defined]
    return str(links.filter(pc.equal(links.column("record_uid"), uid)).column("person_id")[0])


def _rows(table: pa.Table) -> list[tuple[object, ...]]:
    return sorted(tuple(str(v) for v in row.values()) for row in table.to_pylist())


def _joined(out: Path, paths: list[Path]) -> Path:
    """One feed file of the rows of several."""
    rows: list[dict[str, str]] = []
    for path in paths:
        with path.open(newline="", encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
    return write_csv(out, rows)


def _deliver(
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


def _links(db: str) -> str:
    out = ilos("export", "links", db=db)
    assert out.code == 0, out.err
    return out.out


def _assert_a_full_run_links_the_same(db: str) -> None:
    """A full re-run links every record to the person the incremental runs linked it to."""
    incremental = _links(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert incremental == _links(db)


def _linked(db: str, deliveries: list[tuple[str, Path]], one_process: bool = True) -> Partition:
    """The persons after linking `deliveries` incrementally, checked to be those a full run links."""
    _deliver(db, deliveries, None, one_process=one_process)
    _assert_a_full_run_links_the_same(db)
    return _partition(db)


def _okafor(rid: str, **overrides: str) -> dict[str, str]:
    return arrival(
        rid, **{"family_name": "OKAFOR", "given_names": "CHIDI", "date_of_birth": "1990-05-17", **overrides}
    )


def _departure_of(row: dict[str, str], rid: str, **overrides: str) -> dict[str, str]:
    identity = {k: row[k] for k in ("family_name", "given_names", "date_of_birth", "citizenship")}
    return {"source_system": "APIS", "source_record_id": rid, "recorded_at": "2024-09-01T00:00:00Z", **identity,
            "departure_date": "2024-08-30", "mode": "AIR", "evidence": "MANIFEST", **overrides}  # fmt: skip


@pytest.mark.parametrize(
    "case",
    ["repeat with a new admission number", "repeat in a component another record re-links"],
)
def test_a_record_repeating_a_linked_identity_is_linked_as_a_full_run_links_it(
    tmp_path: Path, case: str
) -> None:
    """A new record whose identity signature is already linked joins that person without re-resolving,
    unless it brings an admission number the signature lacked (its pairs change) or another record of the
    batch re-links the component (the person it joins may change)."""
    db = f"sqlite:///{tmp_path / 'repeat.db'}"
    first = _okafor("1", recorded_at="2024-03-02T10:00:00Z")
    other = _okafor("2", date_of_birth="1991-05-17", given_names="EMEKA", recorded_at="2024-03-01T12:00:00Z")
    assert ilos("ingest", "arrivals", str(write_csv(tmp_path / "a.csv", [first, other])), db=db).code == 0
    assert len(_partition(db)) == 2
    if case == "repeat with a new admission number":
        batch = [_departure_of(first, "D1", admission_number=other["admission_number"])]
    else:
        bridge = _departure_of(other, "D2", admission_number=first["admission_number"])
        batch = [_departure_of(first, "D1"), bridge]
    assert ilos("ingest", "departures", str(write_csv(tmp_path / "d.csv", batch)), db=db).code == 0
    _assert_a_full_run_links_the_same(db)
    assert len(_partition(db)) == 1  # the admission number links them


def test_a_corrected_identity_leaves_the_kept_index(tmp_path: Path) -> None:
    """After a correction moves a record to another identity, a later record with its old identity is not
    linked to it through the kept index's stale signature."""
    first = _okafor("1")
    corrected = {**first, "recorded_at": "2024-04-01T00:00:00Z", "date_of_birth": "1961-11-30"}
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a0.csv", [_okafor("2", family_name="ADEYEMI")])),  # a full run
        ("arrivals", write_csv(tmp_path / "a1.csv", [first])),  # an incremental run: the index is kept
        ("arrivals", write_csv(tmp_path / "fix.csv", [corrected])),
        ("departures", write_csv(tmp_path / "d.csv", [_departure_of(first, "D1")])),
    ]
    kept, fresh = (f"sqlite:///{tmp_path / name}.db" for name in ("kept", "fresh"))
    _deliver(kept, deliveries, None, one_process=True)
    _deliver(fresh, deliveries, None, one_process=False)
    assert _links(kept) == _links(fresh)
    assert frozenset({"departures/APIS/D1"}) in _partition(kept)


def _name_only(rid: str, day: str, document: str = "") -> dict[str, str]:
    """A departure of Chidi Okafor of Nigeria with nothing else to link it by but the trip it ends (and
    `document`, a passport no other record carries)."""
    row = _departure_of(_okafor("0"), rid, departure_date=day, recorded_at=f"{day}T20:00:00Z")
    papers = (
        {"document_type": "P", "document_number": document, "document_country": "NGA"} if document else {}
    )
    return {**row, "date_of_birth": "", **papers}


def _deliver_trips(tmp_path: Path, order: str, document: str = "") -> str:
    """Chidi Okafor arrives, leaves (D1), a namesake arrives, and a second departure (D2) follows, in
    the delivery `order`; the store's URL after checking a full run links the same."""
    namesake = _okafor(
        "2", date_of_birth="1971-02-09", admitted_on="2024-05-01", recorded_at="2024-05-02T10:00:00Z"
    )
    second_papers = "NG2342108" if document else ""  # another passport, not one misread
    departures = (_name_only("D1", "2024-04-01", document), _name_only("D2", "2024-06-01", second_papers))
    return _deliver_in_order(tmp_path, order, namesake, *departures)


def _deliver_in_order(
    tmp_path: Path, order: str, namesake: dict[str, str], first: dict[str, str], second: dict[str, str]
) -> str:
    """Chidi Okafor's arrival (1 March 2024), the departures `first` (D1) and `second` (D2) and the
    arrival of `namesake`, delivered in `order`, each linked incrementally; checks that a full run
    links the same, that D1 joined Chidi and that D2 stayed alone, and returns the store's URL."""
    deliveries = {
        "chidi": ("arrivals", write_csv(tmp_path / "a1.csv", [_okafor("1", admitted_on="2024-03-01")])),
        "first": ("departures", write_csv(tmp_path / "d1.csv", [first])),
        "namesake": ("arrivals", write_csv(tmp_path / "a2.csv", [namesake])),
        "second": ("departures", write_csv(tmp_path / "d2.csv", [second])),
    }
    sequence = {
        "as recorded": ["chidi", "first", "namesake", "second"],
        "departures first": ["second", "first", "chidi", "namesake"],
        "namesake first": ["namesake", "second", "chidi", "first"],
    }[order]
    db = f"sqlite:///{tmp_path / 'trips.db'}"
    persons = _linked(db, [deliveries[name] for name in sequence])
    assert frozenset({"arrivals/I94/1", "departures/APIS/D1"}) in persons
    assert frozenset({"departures/APIS/D2"}) in persons
    return db


ORDERS = ["as recorded", "departures first", "namesake first"]


@pytest.mark.parametrize("order", ORDERS)
def test_a_name_only_departure_is_placed_as_a_full_run_places_it(tmp_path: Path, order: str) -> None:
    """A name-only departure joins the one Chidi Okafor in the country on its day; a namesake who
    arrives before a second one leaves that one alone; any delivery order gives the full run's persons."""
    db = _deliver_trips(tmp_path, order)
    unlinked = ilos("export", "unlinked", db=db).out
    assert "APIS,D2,name_without_birth_date_or_number" in unlinked
    assert "APIS,D1," not in unlinked  # its trip linked it
    why = ilos("explain", "link", "departures/APIS/D1", "arrivals/I94/1", db=db).out
    assert "linked now: yes, though one record has too little identity" in why


@pytest.mark.parametrize("order", ORDERS)
def test_a_departure_with_an_unknown_passport_is_placed_as_a_full_run_places_it(
    tmp_path: Path, order: str
) -> None:
    """The same with passports on the departures that no other record carries (renewed since arrival)."""
    db = _deliver_trips(tmp_path, order, document="NG4815162")
    why = ilos("explain", "link", "departures/APIS/D1", "arrivals/I94/1", db=db).out
    assert "linked now: yes, though the weights alone would not link them" in why


def _thin(rid: str, day: str, born: str) -> dict[str, str]:
    """A departure of an OKAFOR of Nigeria with no given name: born a day from Chidi (1990-05-17) or
    Ngozi (1990-05-19), the weights leave it in review with each."""
    row = _departure_of(_okafor("0"), rid, departure_date=day, recorded_at=f"{day}T20:00:00Z")
    return {**row, "given_names": "", "date_of_birth": born}


@pytest.mark.parametrize("order", ORDERS)
def test_a_departure_in_review_is_placed_as_a_full_run_places_it(tmp_path: Path, order: str) -> None:
    """A departure in review with the one Okafor in the country joins him; once Ngozi Okafor has
    arrived too, a second one stays alone; any delivery order gives the full run's persons."""
    ngozi = _okafor("2", given_names="NGOZI", date_of_birth="1990-05-19", admitted_on="2024-05-01",
                    recorded_at="2024-05-02T10:00:00Z")  # fmt: skip
    departures = (_thin("D1", "2024-04-01", "1990-05-16"), _thin("D2", "2024-06-01", "1990-05-18"))
    _deliver_in_order(tmp_path, order, ngozi, *departures)


def _disposition(rid: str, incident: str, stage: str, **overrides: str) -> dict[str, str]:
    return {"source_system": "CJIS-FL", "source_record_id": rid, "recorded_at": "2024-07-01T00:00:00Z",
            "family_name": "OKAFOR", "given_names": "CHIDI", "citizenship": "NGA", "incident_id": incident,
            "stage": stage, "event_date": "2024-06-01", "category": "MISDEMEANOR", **overrides}  # fmt: skip


@pytest.mark.parametrize("order", ["charge first", "conviction first"])
def test_a_conviction_with_only_a_name_joins_its_charge_as_a_full_run_does(
    tmp_path: Path, order: str
) -> None:
    """A conviction that carries only a name joins the person its matter's charge names, in either
    delivery order; a namesake's name-only conviction in another matter stays apart."""
    chidi = _okafor("1")
    charge = _disposition("C1", "FL-1", "CHARGE", date_of_birth=chidi["date_of_birth"], a_number="A012345678")
    deliveries = {
        "chidi": ("arrivals", write_csv(tmp_path / "a1.csv", [chidi])),
        "charge": ("criminal_dispositions", write_csv(tmp_path / "c1.csv", [charge])),
        "conviction": ("criminal_dispositions", write_csv(tmp_path / "c2.csv", [
            _disposition("C2", "FL-1", "CONVICTION"), _disposition("C3", "FL-2", "CONVICTION")])),
    }  # fmt: skip
    sequence = (
        ["chidi", "charge", "conviction"] if order == "charge first" else ["conviction", "chidi", "charge"]
    )
    db = f"sqlite:///{tmp_path / 'matters.db'}"
    _deliver(db, [deliveries[name] for name in sequence], None, one_process=False)
    _assert_a_full_run_links_the_same(db)
    persons = _partition(db)
    chidi_records = "arrivals/I94/1", "criminal_dispositions/CJIS-FL/C1", "criminal_dispositions/CJIS-FL/C2"
    assert frozenset(chidi_records) in persons
    assert frozenset({"criminal_dispositions/CJIS-FL/C3"}) in persons
    unlinked = ilos("export", "unlinked", db=db).out
    assert "CJIS-FL,C3,name_without_birth_date_or_number" in unlinked
    assert "CJIS-FL,C2," not in unlinked  # its matter linked it
    why = ilos(
        "explain", "link", "criminal_dispositions/CJIS-FL/C2", "criminal_dispositions/CJIS-FL/C1", db=db
    )
    assert "a criminal disposition the person its matter's other records name" in why.out


def test_a_reviewer_separates_a_departure_its_trip_placed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'review.db'}"
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a1.csv", [_okafor("1", admitted_on="2024-03-01")])),
        ("departures", write_csv(tmp_path / "d1.csv", [_name_only("D1", "2024-04-01")])),
    ]
    _deliver(db, deliveries, None, one_process=True)
    assert frozenset({"arrivals/I94/1", "departures/APIS/D1"}) in _partition(db)
    queue = list(csv.DictReader(io.StringIO(ilos("review", "list", db=db).out)))
    trip = [q for q in queue if q["rule"] == "trip"]
    assert [(q["record_a"], q["record_b"]) for q in trip] == [("arrivals/I94/1", "departures/APIS/D1")]
    decided = ilos("review", "decide", trip[0]["pair"], "separate", "--reason", "another traveller", db=db)
    assert decided.code == 0, decided.err
    assert ilos("resolve", "--incremental", db=db).code == 0
    assert frozenset({"departures/APIS/D1"}) in _partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert frozenset({"departures/APIS/D1"}) in _partition(db)


def test_a_retracted_placing_arrival_re_places_the_departure_as_a_full_run_does(tmp_path: Path) -> None:
    """Chidi's earlier arrival, under a longer given name, is linked to him by his passport but does
    not carry the departure's name: once the arrival that placed the departure is retracted, nothing
    places it, in an incremental run as in a full one."""
    db = f"sqlite:///{tmp_path / 'retract.db'}"
    passport = {"document_type": "P", "document_number": "A55501234", "document_country": "NGA"}
    earlier = _okafor("9", given_names="CHIDIEBERE", admitted_on="2023-01-01", recorded_at="2023-01-02T10:00:00Z",
                      **passport)  # fmt: skip
    chidi = _okafor("1", admitted_on="2024-03-01", **passport)
    gone = {**chidi, "recorded_at": "2024-05-01T00:00:00Z", "retracted": "true"}
    _deliver(db, [("arrivals", write_csv(tmp_path / "a1.csv", [earlier, chidi])),
                  ("departures", write_csv(tmp_path / "d1.csv", [_name_only("D1", "2024-04-01")]))],
             None, one_process=True)  # fmt: skip
    assert frozenset({"arrivals/I94/9", "arrivals/I94/1", "departures/APIS/D1"}) in _partition(db)
    _deliver(db, [("arrivals", write_csv(tmp_path / "a1-retracted.csv", [gone]))], None, one_process=True)
    incremental = _partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert (
        incremental
        == _partition(db)
        == frozenset({frozenset({"arrivals/I94/9"}), frozenset({"departures/APIS/D1"})})
    )


@pytest.mark.parametrize("one_process", [True, False], ids=["kept index", "fresh processes"])
def test_a_retracted_rival_arrival_lets_the_departure_be_placed_as_a_full_run_does(
    tmp_path: Path, one_process: bool
) -> None:
    """Two Chidi Okafors were in the country, so the departure stayed alone; once the namesake's
    arrival is retracted, Chidi is the only one, in an incremental run as in a full one (the
    retracted arrival's old key comes from the kept index, or every key is re-placed without one)."""
    db = f"sqlite:///{tmp_path / 'rival.db'}"
    namesake = _okafor(
        "2", date_of_birth="1971-02-09", admitted_on="2024-05-01", recorded_at="2024-05-02T10:00:00Z"
    )
    gone = {**namesake, "recorded_at": "2024-07-01T00:00:00Z", "retracted": "true"}
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a.csv", [_okafor("1", admitted_on="2024-03-01"), namesake])),
        ("departures", write_csv(tmp_path / "d.csv", [_name_only("D2", "2024-06-01")])),
    ]
    _deliver(db, deliveries, None, one_process=True)
    assert frozenset({"departures/APIS/D2"}) in _partition(db)
    retraction = ("arrivals", write_csv(tmp_path / "a-retracted.csv", [gone]))
    if one_process:  # the same process stores and links the retraction, keeping its index
        db = f"sqlite:///{tmp_path / 'rival-kept.db'}"
        _deliver(db, [*deliveries, retraction], None, one_process=True)
    else:
        _deliver(db, [retraction], None, one_process=False)
    incremental = _partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert incremental == _partition(db)
    assert frozenset({"arrivals/I94/1", "departures/APIS/D2"}) in incremental


def test_a_rival_retracted_beside_a_new_record_lets_the_departure_be_placed_in_a_kept_process(
    tmp_path: Path,
) -> None:
    """As above, in one process, with the retraction delivered beside a new arrival: the batch is linked
    against the kept index, and the retracted arrival's old key comes from the trip keys the process
    kept (the new arrival's are built, the others kept), as a full run places the departure."""
    db = f"sqlite:///{tmp_path / 'rival-beside.db'}"
    namesake = _okafor(
        "2", date_of_birth="1971-02-09", admitted_on="2024-05-01", recorded_at="2024-05-02T10:00:00Z"
    )
    gone = {**namesake, "recorded_at": "2024-07-01T00:00:00Z", "retracted": "true"}
    stranger = arrival("3", family_name="LINDQVIST", given_names="ASTRID", date_of_birth="1990-06-02",
                       admitted_on="2024-06-20", recorded_at="2024-07-01T00:00:00Z")  # fmt: skip
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a.csv", [_okafor("1", admitted_on="2024-03-01"), namesake])),
        ("departures", write_csv(tmp_path / "d.csv", [_name_only("D2", "2024-06-01")])),
        ("arrivals", write_csv(tmp_path / "a-retracted.csv", [gone, stranger])),
    ]
    _deliver(db, deliveries, None, one_process=True)
    incremental = _partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert incremental == _partition(db)
    assert frozenset({"arrivals/I94/1", "departures/APIS/D2"}) in incremental


def test_a_repeated_departure_before_the_trip_unplaces_it_as_a_full_run_does(tmp_path: Path) -> None:
    """A departure repeating Chidi's linked identity, dated before the name-only departure, says he
    had already left: the name-only departure is no longer his, in an incremental run as in a full one."""
    db = f"sqlite:///{tmp_path / 'repeat-trip.db'}"
    chidi = _okafor("1", admitted_on="2024-03-01")
    _deliver(db, [("arrivals", write_csv(tmp_path / "a.csv", [chidi])),
                  ("departures", write_csv(tmp_path / "d.csv", [_name_only("N1", "2024-04-01")]))],
             None, one_process=True)  # fmt: skip
    assert frozenset({"arrivals/I94/1", "departures/APIS/N1"}) in _partition(db)
    earlier = _departure_of(chidi, "U1", departure_date="2024-03-15", recorded_at="2024-03-16T00:00:00Z")
    _deliver(db, [("departures", write_csv(tmp_path / "u.csv", [earlier]))], None, one_process=True)
    incremental = _partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert incremental == _partition(db)
    assert frozenset({"departures/APIS/N1"}) in incremental


def test_a_repeat_ending_a_rival_s_stay_places_the_departure_in_review_as_a_full_run_does(
    tmp_path: Path,
) -> None:
    """A departure without given names is in review with Chidi and with Ngozi Okafor, both in the country
    on its day, so it stays alone; a departure repeating Ngozi's identity, dated before it, says she had
    left: in a kept process as in a full run, the departure in review is placed again (its review pair
    with her ties its component to hers)."""
    db = f"sqlite:///{tmp_path / 'rival-left.db'}"
    chidi = _okafor("1", admitted_on="2024-03-01")
    ngozi = _okafor("2", given_names="NGOZI", date_of_birth="1990-05-19", admitted_on="2024-03-01")
    _deliver(db, [("arrivals", write_csv(tmp_path / "a.csv", [chidi, ngozi])),
                  ("departures", write_csv(tmp_path / "d.csv", [_thin("D1", "2024-04-01", "1990-05-18")]))],
             None, one_process=True)  # fmt: skip
    assert frozenset({"departures/APIS/D1"}) in _partition(db)
    left = _departure_of(ngozi, "U1", departure_date="2024-03-15", recorded_at="2024-03-16T00:00:00Z")
    _deliver(db, [("departures", write_csv(tmp_path / "u.csv", [left]))], None, one_process=True)
    incremental = _partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    assert incremental == _partition(db)
    assert frozenset({"arrivals/I94/1", "departures/APIS/D1"}) in incremental  # Chidi's now


@pytest.mark.parametrize("one_process", [True, False])
def test_a_self_report_before_the_trip_does_not_unplace_it(tmp_path: Path, one_process: bool) -> None:
    """A self-reported departure is a claim for another source to corroborate, not the end of a trip:
    dated before the name-only departure, it leaves that departure with Chidi (unlike a carrier's
    record, above), in an incremental run as in a full one."""
    db = f"sqlite:///{tmp_path / 'self-report.db'}"
    chidi = _okafor("1", admitted_on="2024-03-01")
    claim = _departure_of(chidi, "S1", source_system="APP-SELF", evidence="SELF_REPORTED", mode="LAND",
                          departure_date="2024-03-29", recorded_at="2024-03-29T12:00:00Z")  # fmt: skip
    deliveries = [("arrivals", write_csv(tmp_path / "a.csv", [chidi])),
                  ("departures", write_csv(tmp_path / "s.csv", [claim])),
                  ("departures", write_csv(tmp_path / "d.csv", [_name_only("N1", "2024-04-01")]))]  # fmt: skip
    persons = _linked(db, deliveries, one_process)
    assert frozenset({"arrivals/I94/1", "departures/APP-SELF/S1", "departures/APIS/N1"}) in persons


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_a_departure_among_namesakes_joins_the_one_spelled_alike_as_a_full_run_does(
    tmp_path: Path, order: tuple[int, int, int]
) -> None:
    """CHIDI and CHIDY OKAFOR share a name key and are both in the country; the name-only departure
    spelled CHIDI joins Chidi, in three delivery orders, as a full run places it."""
    chidy = _okafor("2", given_names="CHIDY", date_of_birth="1971-02-09", admitted_on="2024-03-10",
                    recorded_at="2024-03-11T10:00:00Z")  # fmt: skip
    deliveries = [("arrivals", write_csv(tmp_path / "a1.csv", [_okafor("1", admitted_on="2024-03-01")])),
                  ("arrivals", write_csv(tmp_path / "a2.csv", [chidy])),
                  ("departures", write_csv(tmp_path / "d1.csv", [_name_only("D1", "2024-04-01")]))]  # fmt: skip
    persons = _linked(f"sqlite:///{tmp_path / 'spelled.db'}", [deliveries[i] for i in order])
    assert frozenset({"arrivals/I94/1", "departures/APIS/D1"}) in persons
    assert frozenset({"arrivals/I94/2"}) in persons


def _chidi_a_namesake_and_his_return() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Chidi Okafor's arrival (1 March 2024), a namesake's (10 March) and Chidi's return (1 May)."""
    namesake = _okafor("2", date_of_birth="1971-02-09", admitted_on="2024-03-10",
                       recorded_at="2024-03-11T10:00:00Z")  # fmt: skip
    returns = _okafor("3", admitted_on="2024-05-01", recorded_at="2024-05-02T10:00:00Z")
    return _okafor("1", admitted_on="2024-03-01"), namesake, returns


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0), (2, 0, 1, 3), (0, 3, 1, 2)])
def test_a_departure_among_namesakes_joins_the_one_who_arrives_again_as_a_full_run_does(
    tmp_path: Path, order: tuple[int, int, int, int]
) -> None:
    """Two Chidi Okafors are in the country when a name-only departure is recorded; only the first
    arrives again later, with no departure of his in between. The departure is his, in four delivery
    orders, as a full run places it (his return, delivered last, re-places a departure dated before it)."""
    chidi, namesake, returns = _chidi_a_namesake_and_his_return()
    deliveries = [("arrivals", write_csv(tmp_path / "a1.csv", [chidi])),
                  ("arrivals", write_csv(tmp_path / "a2.csv", [namesake])),
                  ("departures", write_csv(tmp_path / "d1.csv", [_name_only("D1", "2024-04-01")])),
                  ("arrivals", write_csv(tmp_path / "a3.csv", [returns]))]  # fmt: skip
    persons = _linked(f"sqlite:///{tmp_path / 'returns.db'}", [deliveries[i] for i in order])
    assert frozenset({"arrivals/I94/1", "arrivals/I94/3", "departures/APIS/D1"}) in persons
    assert frozenset({"arrivals/I94/2"}) in persons


@pytest.mark.parametrize("one_process", [True, False], ids=["kept index", "fresh processes"])
def test_his_own_departure_before_his_return_unplaces_it_as_a_full_run_does(
    tmp_path: Path, one_process: bool
) -> None:
    """As above, then a departure repeating Chidi's linked identity, dated after the name-only one and
    before his return: that record ended his stay, so his return says nothing of the name-only
    departure, which is left alone again, in an incremental run as in a full one."""
    chidi, namesake, returns = _chidi_a_namesake_and_his_return()
    db = f"sqlite:///{tmp_path / 'own-departure.db'}"
    _deliver(db, [("arrivals", write_csv(tmp_path / "a.csv", [chidi, namesake, returns])),
                  ("departures", write_csv(tmp_path / "d.csv", [_name_only("D1", "2024-04-01")]))],
             None, one_process=True)  # fmt: skip
    assert frozenset({"arrivals/I94/1", "arrivals/I94/3", "departures/APIS/D1"}) in _partition(db)
    own = _departure_of(chidi, "U1", departure_date="2024-04-15", recorded_at="2024-04-16T00:00:00Z")
    _deliver(db, [("departures", write_csv(tmp_path / "u.csv", [own]))], None, one_process=one_process)
    _assert_a_full_run_links_the_same(db)
    assert frozenset({"departures/APIS/D1"}) in _partition(db)


def _layla(rid: str, given: str, document: str) -> dict[str, str]:
    """An arrival of Layla Hassan of Saudi Arabia spelt `given`, with passport `document` (or none)."""
    papers = {"document_type": "P" if document else "", "document_number": document,
              "document_country": "SAU" if document else ""}  # fmt: skip
    return arrival(rid, family_name="HASSAN", given_names=given, date_of_birth="1996-12-25", sex="F",
                   citizenship="SAU", **papers)  # fmt: skip


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0), (2, 0, 3, 1)])
def test_twins_undone_by_spellings_link_as_a_full_run_links_them(
    tmp_path: Path, order: tuple[int, ...]
) -> None:
    """LAYLS (no passport) and LEILA are "twins" until two records spelling LAYLA link to both: one
    woman, in whatever order her records arrive, as a full run links her."""
    rows = [_layla("1", "LAYLS", ""), _layla("2", "LEILA", "A11111111"),
            _layla("3", "LAYLA", "A22222222"), _layla("4", "LAYLA", "A33333333")]  # fmt: skip
    deliveries = [("arrivals", write_csv(tmp_path / f"a{i}.csv", [row])) for i, row in enumerate(rows)]
    persons = _linked(f"sqlite:///{tmp_path / 'layla.db'}", [deliveries[i] for i in order])
    assert frozenset(f"arrivals/I94/{i}" for i in "1234") in persons


def _without_inspection(rid: str, **overrides: str) -> dict[str, str]:
    """A record of Chidi Okafor, who entered without inspection: his birth date and A-number."""
    return {"source_system": "CBP-E3", "source_record_id": rid, "recorded_at": "2024-03-02T00:00:00Z",
            "family_name": "OKAFOR", "given_names": "CHIDI", "date_of_birth": "1990-05-17", "sex": "M",
            "citizenship": "NGA", "a_number": "A201234567", **overrides}  # fmt: skip


def _removal(rid: str, day: str) -> dict[str, str]:
    """His removal as the removing agency recorded it: names, citizenship and a passport, no birth date."""
    return {
        **_name_only(rid, day, document="NG4815162"),
        "source_system": "ICE-ERO",
        "evidence": "REMOVAL_EXECUTED",
    }


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_a_removal_with_only_a_name_joins_the_person_an_encounter_shows_in_the_country(
    tmp_path: Path, order: tuple[int, int, int]
) -> None:
    """No arrival, but an apprehension and a removal order show Chidi in the country: his removal,
    recorded with a name and a passport alone, joins him in any delivery order, as a full run places it."""
    encounter = _without_inspection("E1", encounter_id="E1", event_date="2024-03-01", agency="CBP_BORDER",
                                    encounter_type="APPREHENSION", outcome="EXPEDITED_REMOVAL")  # fmt: skip
    order_row = _without_inspection("C1", source_system="EOIR", recorded_at="2024-03-05T00:00:00Z",
                                    case_number="K1", event="EXPEDITED_REMOVAL_ORDER", event_date="2024-03-04")  # fmt: skip
    deliveries = [("encounters", write_csv(tmp_path / "e.csv", [encounter])),
                  ("court_events", write_csv(tmp_path / "c.csv", [order_row])),
                  ("departures", write_csv(tmp_path / "r.csv", [_removal("R1", "2024-03-20")]))]  # fmt: skip
    persons = _linked(f"sqlite:///{tmp_path / 'ewi.db'}", [deliveries[i] for i in order])
    assert frozenset({"encounters/CBP-E3/E1", "court_events/EOIR/C1", "departures/ICE-ERO/R1"}) in persons


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_a_removal_under_both_surnames_joins_records_that_cut_and_swap_them(
    tmp_path: Path, order: tuple[int, int, int]
) -> None:
    """The apprehension names only OKAFOR EZE, the court's order CHIDI OKAFOR with the names swapped
    and the second surname dropped; the removal, with names and a passport alone, names OKAFOR EZE
    CHIDI. The court event's names are the removal's with the second surname cut: it joins him in any
    delivery order, as a full run places it."""
    encounter = _without_inspection("E1", encounter_id="E1", event_date="2024-03-01", agency="CBP_BORDER",
                                    encounter_type="APPREHENSION", outcome="EXPEDITED_REMOVAL",
                                    family_name="OKAFOR EZE", given_names="")  # fmt: skip
    order_row = _without_inspection("C1", source_system="EOIR", recorded_at="2024-03-05T00:00:00Z",
                                    case_number="K1", event="EXPEDITED_REMOVAL_ORDER", event_date="2024-03-04",
                                    family_name="CHIDI", given_names="OKAFOR", date_of_birth="")  # fmt: skip
    removal = {**_removal("R1", "2024-03-20"), "family_name": "OKAFOR EZE", "document_number": ""}
    deliveries = [("encounters", write_csv(tmp_path / "e.csv", [encounter])),
                  ("court_events", write_csv(tmp_path / "c.csv", [order_row])),
                  ("departures", write_csv(tmp_path / "r.csv", [removal]))]  # fmt: skip
    persons = _linked(f"sqlite:///{tmp_path / 'cut.db'}", [deliveries[i] for i in order])
    assert frozenset({"encounters/CBP-E3/E1", "court_events/EOIR/C1", "departures/ICE-ERO/R1"}) in persons


@pytest.mark.parametrize(
    ("encounter", "placed"),
    [({"agency": "CBP_BORDER", "encounter_type": "APPREHENSION", "outcome": "RETURNED"}, False),
     ({"agency": "CBP_PORT", "encounter_type": "INADMISSIBLE", "outcome": "EXPEDITED_REMOVAL"}, True)],
    ids=["returned at once", "held at a port until removed"],
)  # fmt: skip
def test_an_encounter_shows_its_person_in_the_country_unless_returned_at_once(
    tmp_path: Path, encounter: dict[str, str], placed: bool
) -> None:
    """Sent back at the border, Chidi never stayed: a removal with only his name stays alone. Refused at
    a port and held until his expedited removal, he is its one candidate."""
    row = _without_inspection("E1", encounter_id="E1", event_date="2024-03-01", **encounter)
    deliveries = [("encounters", write_csv(tmp_path / "e.csv", [row])),
                  ("departures", write_csv(tmp_path / "r.csv", [_removal("R1", "2024-03-20")]))]  # fmt: skip
    persons = _linked(f"sqlite:///{tmp_path / 'encounter.db'}", deliveries)
    together = frozenset({"encounters/CBP-E3/E1", "departures/ICE-ERO/R1"})
    assert (together in persons) is placed


@pytest.mark.parametrize("order", [(0, 1, 2), (0, 2, 1), (2, 1, 0)])
def test_an_encounter_repeating_a_status_event_brings_its_person_into_the_trip(
    tmp_path: Path, order: tuple[int, int, int]
) -> None:
    """Chidi's TPS filing carries no trip day; an encounter repeating its identity shows him in the
    country and is the one record of his that carries the name-only departure's key. Delivered after
    the departure, it re-resolves his person with the departure, as a full run places it."""
    filing = _without_inspection("S1", source_system="USCIS", receipt_number="IOE0000000001", benefit="TPS",
                                 event="FILED", event_date="2024-02-01", recorded_at="2024-02-02T00:00:00Z")  # fmt: skip
    encounter = _without_inspection("E1", encounter_id="E1", event_date="2024-03-01", agency="ICE",
                                    encounter_type="INTERIOR_ARREST", outcome="RELEASED_NTA")  # fmt: skip
    deliveries = [("status_events", write_csv(tmp_path / "s.csv", [filing])),
                  ("departures", write_csv(tmp_path / "d.csv", [_name_only("D1", "2024-03-20")])),
                  ("encounters", write_csv(tmp_path / "e.csv", [encounter]))]  # fmt: skip
    persons = _linked(f"sqlite:///{tmp_path / 'repeat.db'}", [deliveries[i] for i in order])
    assert frozenset({"status_events/USCIS/S1", "encounters/CBP-E3/E1", "departures/APIS/D1"}) in persons


def test_the_review_queue_after_delivery_after_delivery_is_a_full_runs(tmp_path: Path) -> None:
    """Two arrivals of one traveller (a surname shortened, a partial birth date) are left in review; the
    departures that carry their documents then join all four records: the pair is moot, as a full run
    of the same records never queues it."""
    arrivals = [
        arrival("IYESHBSSA7U9", recorded_at="2024-01-14T11:27:02Z", family_name="CEBALLOS", given_names="ALDO",
                date_of_birth="1980-07", sex="M", citizenship="MEX", document_type="P", document_number="W30410071",
                document_country="MEX", admission_number="49603983709", admitted_on="2024-01-14",
                admit_until="2024-07-13"),
        arrival("ICUTJARZV0L8", recorded_at="2026-05-19T18:33:42Z", family_name="Ceballos Salas", given_names="Aldo",
                date_of_birth="1980-07-19", citizenship="IND", document_type="B", document_number="B13628981",
                document_country="USA", admission_number="60413201769", port_of_entry="CAL", mode="LAND",
                admitted_on="2026-05-19", admit_until="2026-11-18"),
    ]  # fmt: skip
    who = {"family_name": "CEBALLOS SALAS", "given_names": "ALDO", "date_of_birth": "1980-07-19", "sex": "M",
           "citizenship": "MEX", "mode": "AIR"}  # fmt: skip
    departures = [
        {"source_system": "APIS", "source_record_id": "APEXW0X0M3VFKR", "recorded_at": "2024-01-29T07:54:02Z", **who,
         "document_type": "P", "document_number": "W30410071", "document_country": "MEX",
         "departure_date": "2024-01-16", "evidence": "MANIFEST", "admission_number": "49603983709"},
        {"source_system": "CBP-BE", "source_record_id": "CB0M1FRNULR0TC", "recorded_at": "2026-05-31T09:36:01Z",
         **who, "document_type": "B", "document_number": "B13628981", "document_country": "USA",
         "departure_date": "2026-05-31", "evidence": "BIOMETRIC_EXIT"},
    ]  # fmt: skip
    a, d = write_csv(tmp_path / "a.csv", arrivals), write_csv(tmp_path / "d.csv", departures)
    queues = []
    for name, steps in (("delivered", [[], []]), ("full", [["--no-resolve"], ["--no-resolve"]])):
        db = f"sqlite:///{tmp_path / f'{name}.db'}"
        assert ilos("ingest", *steps[0], "arrivals", str(a), db=db).code == 0
        if name == "delivered":
            assert "arrivals/I94/ICUTJARZV0L8" in ilos("review", "list", db=db).out
        assert ilos("ingest", *steps[1], "departures", str(d), db=db).code == 0
        if name == "full":
            assert ilos("resolve", db=db).code == 0
        assert len(_partition(db)) == 1
        queues.append(ilos("review", "list", db=db).out)
    assert queues[0] == queues[1]
    assert "ICUTJARZV0L8" not in queues[0]


def _filing(rid: str, day: str, benefit: str = "EXTENSION_OF_STAY") -> dict[str, str]:
    """A filing of Chidi Okafor of Nigeria that carries his names and nothing else to link it by."""
    row = _departure_of(_okafor("0"), rid)
    identity = {k: row[k] for k in ("source_record_id", "family_name", "given_names", "citizenship")}
    return {**identity, "source_system": "USCIS", "recorded_at": f"{day}T20:00:00Z",
            "receipt_number": f"EAC24{rid[1:]:0>8}", "benefit": benefit, "event": "FILED", "event_date": day}  # fmt: skip


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0), (2, 3, 0, 1)])
def test_a_filing_with_only_a_name_joins_the_one_person_of_its_name_as_a_full_run_does(
    tmp_path: Path, order: tuple[int, int, int, int]
) -> None:
    """Chidi Okafor arrives; an extension filed under his name alone joins him. A namesake arrives; a
    second filing under the name finds two persons of it and stays alone. A TPS filing (which may be
    filed from abroad) is never placed. Any delivery order gives the full run's persons."""
    namesake = _okafor(
        "2", date_of_birth="1971-02-09", admitted_on="2024-05-01", recorded_at="2024-05-02T10:00:00Z"
    )
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a1.csv", [_okafor("1", admitted_on="2024-03-01")])),
        ("status_events", write_csv(tmp_path / "s1.csv", [_filing("S1", "2024-04-15"), _filing("S3", "2024-04-16", "TPS")])),
        ("arrivals", write_csv(tmp_path / "a2.csv", [namesake])),
        ("status_events", write_csv(tmp_path / "s2.csv", [_filing("S2", "2024-06-01")])),
    ]  # fmt: skip
    persons = _linked(f"sqlite:///{tmp_path / 'filings.db'}", [deliveries[i] for i in order])
    assert frozenset({"arrivals/I94/1", "status_events/USCIS/S1"}) in persons
    assert frozenset({"status_events/USCIS/S2"}) in persons
    assert frozenset({"status_events/USCIS/S3"}) in persons


@pytest.mark.parametrize("order", [(0, 1, 2), (0, 2, 1), (2, 1, 0)])
def test_a_decision_on_a_placed_filing_is_linked_as_a_full_run_links_it(
    tmp_path: Path, order: tuple[int, int, int]
) -> None:
    """A filing under Chidi's name alone is placed with him; its approval, with the same name and
    receipt, makes the two one component, which a full run does not place (a placement moves a record
    alone): whatever the order, the incremental runs link as a full run does."""
    filing = _filing("S1", "2024-04-15")
    approval = {**filing, "source_record_id": "S2", "event": "APPROVED", "event_date": "2024-05-20",
                "recorded_at": "2024-05-20T20:00:00Z"}  # fmt: skip
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a1.csv", [_okafor("1", admitted_on="2024-03-01")])),
        ("status_events", write_csv(tmp_path / "s1.csv", [filing])),
        ("status_events", write_csv(tmp_path / "s2.csv", [approval])),
    ]
    persons = _linked(f"sqlite:///{tmp_path / 'decided.db'}", [deliveries[i] for i in order])
    assert frozenset({"status_events/USCIS/S1", "status_events/USCIS/S2"}) in persons


def _resolved(result: Any) -> int:
    """The records an `ilos ingest` re-resolved, from its report."""
    line = next(s for s in result.out.splitlines() if s.startswith("resolution run"))
    return int(line.split("review; ")[1].split(" records re-resolved")[0])


@pytest.mark.parametrize("one_process", [True, False], ids=["kept index", "fresh processes"])
def test_namesakes_a_name_only_departure_reaches_are_placed_among_not_scored_again(
    tmp_path: Path, one_process: bool
) -> None:
    """Three Chidi Okafors (two arrivals each, two of them leaving) share the name key of a name-only
    departure: the run places it among their clusters as they are, scoring only the departure, and a
    full run places it with the one still in the country too."""
    born = {"1": "1990-05-17", "2": "1971-02-09", "3": "1985-07-01"}
    arrivals = [
        _okafor(
            f"{n}{k}", date_of_birth=dob, admitted_on=f"2024-0{k}-01", recorded_at=f"2024-0{k}-02T10:00:00Z"
        )
        for n, dob in born.items()
        for k in ("1", "3")
    ]
    left = [
        _departure_of(_okafor("0", date_of_birth=born[n]), f"L{n}", departure_date="2024-04-15")
        for n in ("2", "3")
    ]
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a.csv", arrivals)),
        ("departures", write_csv(tmp_path / "left.csv", left)),
    ]
    db = f"sqlite:///{tmp_path / 'namesakes.db'}"
    _deliver(db, deliveries, None, one_process=one_process)
    path = write_csv(tmp_path / "d.csv", [_name_only("D1", "2024-06-01")])
    if one_process:
        from ilos.bootstrap import Ilos
        from ilos.config import Settings
        from ilos.services.ingest import ingest_files
        from ilos.services.resolve import resolve_incremental, warm

        with Ilos(Settings(), db) as app:
            assert warm(app.identity_work, app.identity_store)
            ingest_files("departures", [path], app.loader)
            resolved = resolve_incremental(app.identity_work, app.identity_store).resolved
    else:
        result = ilos("ingest", "departures", str(path), db=db)
        assert result.code == 0, result.err
        resolved = _resolved(result)
    assert resolved == 1  # the departure alone: its namesakes' components are placed among as they are
    persons = _partition(db)
    assert frozenset({"arrivals/I94/11", "arrivals/I94/13", "departures/APIS/D1"}) in persons
    _assert_a_full_run_links_the_same(db)


@pytest.mark.parametrize("one_process", [True, False], ids=["kept index", "fresh processes"])
def test_a_component_of_two_persons_a_name_key_reaches_is_resolved_again(
    tmp_path: Path, one_process: bool
) -> None:
    """Two Chidi Okafors of one birth date but two A-numbers, and an arrival of neither A-number that
    links to both: one component of two persons (the A-numbers keep them apart). A name-only departure
    of that name reaches it through the key; it cannot keep one cluster, and is resolved again as a full
    run resolves it: the two stay apart."""
    records = [_okafor("41", a_number="A012345678"), _okafor("42", a_number="A087654321"), _okafor("43")]
    deliveries = [("arrivals", write_csv(tmp_path / "a.csv", records))]
    db = f"sqlite:///{tmp_path / 'apart.db'}"
    _deliver(db, deliveries, None, one_process=one_process)
    apart = [p for p in _partition(db) if p & {"arrivals/I94/41", "arrivals/I94/42"}]
    assert len(apart) == 2  # one component, two persons
    departure = ("departures", write_csv(tmp_path / "d.csv", [_name_only("D1", "2024-06-01")]))
    _deliver(db, [departure], None, one_process=one_process)
    assert len([p for p in _partition(db) if p & {"arrivals/I94/41", "arrivals/I94/42"}]) == 2
    _assert_a_full_run_links_the_same(db)


@pytest.mark.parametrize("one_process", [True, False], ids=["kept index", "fresh processes"])
def test_a_departure_its_review_placed_is_scored_again_when_a_name_key_reaches_it(
    tmp_path: Path, one_process: bool
) -> None:
    """A departure with no given name, in review with Chidi Okafor (two arrivals), joined him by its
    trip; a later name-only departure of his name reaches it through his arrivals' key. It is placed by
    the pairs scoring gives it, so it is scored again with his component (joined to it by its review and
    its placement) and stays his, as a full run has it; both join him (a departure placed by its trip
    ends no stay for placing another)."""
    chidi = [_okafor("1", admitted_on="2024-01-10"), _okafor("11", admitted_on="2024-03-01")]
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a.csv", chidi)),
        ("departures", write_csv(tmp_path / "d1.csv", [_thin("D1", "2024-04-01", "1990-05-16")])),
    ]
    db = f"sqlite:///{tmp_path / 'review.db'}"
    _deliver(db, deliveries, None, one_process=one_process)
    his = {"arrivals/I94/1", "arrivals/I94/11", "departures/APIS/D1"}
    assert frozenset(his) in _partition(db)
    later = ("departures", write_csv(tmp_path / "d2.csv", [_name_only("D2", "2024-06-01")]))
    _deliver(db, [later], None, one_process=one_process)
    assert frozenset({*his, "departures/APIS/D2"}) in _partition(db)
    _assert_a_full_run_links_the_same(db)


def test_the_component_facts_a_process_keeps_are_those_of_a_full_run(world: Path, tmp_path: Path) -> None:
    """What deciding a new signature on storing reads of each component (ADR 11): kept through a long-lived
    process's incremental runs (those of the components each re-resolves, or whose records' links it
    replaces, left out; with only those it re-resolves, this delivery order kept two wrong), the facts
    are those a full run over the same records clusters, for most components (some a full run clusters, the
    incremental runs placed among without clustering: this module makes them place among whatever a name
    key reaches)."""
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.resolve import resolve_all, resolve_incremental

    parts = _halves(world, tmp_path)
    (feed, path), *later = [(f, parts[f][0]) for f in FEEDS] + [
        (f, parts[f][1]) for f in ("arrivals", "departures")
    ]
    db = f"sqlite:///{tmp_path / 'kept.db'}"
    with Ilos(Settings(), db) as app:
        ingest_files(feed, [path], app.loader)
        resolve_all(app.identity_work, app.identity_store)
        for feed, path in later:
            ingest_files(feed, [path], app.loader)
            resolve_incremental(app.identity_work, app.identity_store)
        kept = app.identity_work.component_facts
    with Ilos(Settings(), db) as app:
        resolve_all(app.identity_work, app.identity_store)
        full = app.identity_work.component_facts
    assert kept is not None
    assert full is not None
    full_rows = {row["component"]: row for row in full.to_pylist()}
    assert [row for row in kept.to_pylist() if full_rows.get(row["component"]) != row] == []
    assert kept.num_rows > 0.8 * full.num_rows > 150
