"""Twins, withdrawn records, repeats and corrections linked incrementally as a full run links them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import ilos
from tests.feedfiles import arrival, write_csv
from tests.integration.incremental.support import (
    assert_a_full_run_links_the_same,
    deliver,
    departure_of,
    links,
    okafor,
    partition,
)


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
    held = partition(db)
    assert frozenset({"departures/APIS/D1"}) in held  # linked to neither twin
    retraction = {**twins[2], "recorded_at": "2024-05-01T00:00:00Z", "retracted": "true"}
    result = ilos("ingest", "arrivals", str(write_csv(tmp_path / "r.csv", [retraction])), db=db)
    assert result.code == 0, result.err
    incremental = partition(db)
    assert ilos("resolve", "--full", db=db).code == 0
    full = partition(db)
    assert frozenset({"arrivals/I94/1", "arrivals/I94/2", "departures/APIS/D1"}) in full
    assert incremental == full


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
    first = okafor("1", recorded_at="2024-03-02T10:00:00Z")
    other = okafor("2", date_of_birth="1991-05-17", given_names="EMEKA", recorded_at="2024-03-01T12:00:00Z")
    assert ilos("ingest", "arrivals", str(write_csv(tmp_path / "a.csv", [first, other])), db=db).code == 0
    assert len(partition(db)) == 2
    if case == "repeat with a new admission number":
        batch = [departure_of(first, "D1", admission_number=other["admission_number"])]
    else:
        bridge = departure_of(other, "D2", admission_number=first["admission_number"])
        batch = [departure_of(first, "D1"), bridge]
    assert ilos("ingest", "departures", str(write_csv(tmp_path / "d.csv", batch)), db=db).code == 0
    assert_a_full_run_links_the_same(db)
    assert len(partition(db)) == 1  # the admission number links them


def test_a_corrected_identity_leaves_the_kept_index(tmp_path: Path) -> None:
    """After a correction moves a record to another identity, a later record with its old identity is not
    linked to it through the kept index's stale signature."""
    first = okafor("1")
    corrected = {**first, "recorded_at": "2024-04-01T00:00:00Z", "date_of_birth": "1961-11-30"}
    deliveries = [
        ("arrivals", write_csv(tmp_path / "a0.csv", [okafor("2", family_name="ADEYEMI")])),  # a full run
        ("arrivals", write_csv(tmp_path / "a1.csv", [first])),  # an incremental run: the index is kept
        ("arrivals", write_csv(tmp_path / "fix.csv", [corrected])),
        ("departures", write_csv(tmp_path / "d.csv", [departure_of(first, "D1")])),
    ]
    kept, fresh = (f"sqlite:///{tmp_path / name}.db" for name in ("kept", "fresh"))
    deliver(kept, deliveries, None, one_process=True)
    deliver(fresh, deliveries, None, one_process=False)
    assert links(kept) == links(fresh)
    assert frozenset({"departures/APIS/D1"}) in partition(kept)
