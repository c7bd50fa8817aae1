"""A long-lived process links delivery after delivery as fresh processes and a full run do, and keeps
what it would read and build again."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ilos.adapters.duck import incremental
from ilos.domain.feeds import FEEDS
from tests.cli import ilos
from tests.feedfiles import arrival, write_csv
from tests.integration.incremental.support import (
    Partition,
    deliver,
    links,
    partition,
)


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


def _ingest_incrementally(db: str, deliveries: list[tuple[str, Path]]) -> Partition:
    for feed, path in deliveries:
        result = ilos("ingest", feed, str(path), db=db)
        assert result.code == 0, result.err
    return partition(db)


def test_incremental_equals_full_in_any_order(world: Path, tmp_path: Path) -> None:
    """Delivered later half first and feeds reversed, each delivery linked by a fresh process, the persons
    are a full run's (feeds in order, by fresh processes and by one: the long-lived process test)."""
    parts = _halves(world, tmp_path)
    deliveries = [(f, parts[f][i]) for i in (1, 0) for f in reversed(list(FEEDS))]
    db = f"sqlite:///{tmp_path / 'reversed.db'}"
    incremental = _ingest_incrementally(db, deliveries)
    runs = ilos("resolve", "--full", db=db)
    assert runs.code == 0, runs.err
    assert incremental == partition(db)
    assert max(len(p) for p in incremental) > 1  # persons with several records exist


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
    deliver(kept, deliveries, other, one_process=True)
    deliver(fresh, deliveries, other, one_process=False)
    assert links(kept) == links(fresh)
    long_lived = partition(kept)
    assert ilos("resolve", "--full", db=kept).code == 0
    assert long_lived == partition(kept)


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


def test_the_component_facts_kept_in_a_process_and_the_store_are_those_of_a_full_run(
    world: Path, tmp_path: Path, store_url: str
) -> None:
    """What deciding a new signature on storing reads of each component (ADR 11). Kept through a long-lived
    process's incremental runs (those of the components each re-resolves, or whose records' links it
    replaces, left out; with only those it re-resolves, this delivery order kept two wrong), the facts are
    those each run keeps in the store with its links; a process that keeps nothing keeps the store's as
    well; a process warming up publishes the store's; and every stored fact is the one a full run over
    the same records clusters, for most components (some a full run clusters, the incremental runs placed
    among without clustering: this module makes them place among whatever a name key reaches)."""
    from ilos.bootstrap import Ilos
    from ilos.config import Settings
    from ilos.services.ingest import ingest_files
    from ilos.services.resolve import resolve_all, resolve_incremental, warm

    parts = _halves(world, tmp_path)
    (feed, path), *later = [(f, parts[f][0]) for f in FEEDS] + [
        (f, parts[f][1]) for f in ("arrivals", "departures")
    ]
    with Ilos(Settings(), store_url) as app:
        ingest_files(feed, [path], app.loader)
        resolve_all(app.identity_work, app.identity_store)
        for feed, path in later[:-1]:
            ingest_files(feed, [path], app.loader)
            resolve_incremental(app.identity_work, app.identity_store)
        assert app.identity_work.component_facts is not None
        assert _facts(app.identity_work.component_facts) == _stored_facts(app)
    with Ilos(Settings(), store_url) as app:  # a process that kept nothing before its run
        ingest_files(later[-1][0], [later[-1][1]], app.loader)
        resolve_incremental(app.identity_work, app.identity_store)
    with Ilos(Settings(), store_url) as app:
        app.identity_work.publishing = True
        assert warm(app.identity_work, app.identity_store)
        snapshot = app.identity_work.linked_signatures
        assert snapshot is not None
        assert snapshot.facts is not None
        stored = _stored_facts(app)
        assert _facts(snapshot.facts) == stored
        resolve_all(app.identity_work, app.identity_store)
        full = app.identity_work.component_facts
    assert full is not None
    full_rows = _facts(full)
    assert [row for component, row in stored.items() if full_rows.get(component) != row] == []
    assert len(stored) > 0.8 * len(full_rows) > 150


def _stored_facts(app: Any) -> dict[str, dict[str, Any]]:
    from ilos.adapters.identity.clustering import FACTS_SCHEMA

    return _facts(app.reader.component_facts().cast(FACTS_SCHEMA))


def _facts(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {row["component"]: row for row in table.to_pylist()}
