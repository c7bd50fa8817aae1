"""`ilos stream FEED`: JSON Lines on stdin applied at once; `departure:verified` events; stream = batch."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ilos.adapters.identity.repeats import FOUND_SCHEMA
from ilos.bootstrap import Ilos
from ilos.config import Settings
from ilos.entrypoints.cli.main import app
from ilos.services.stream import Accepted, Linked, StreamPipeline, stream_batches
from tests.cli import ilos
from tests.feedfiles import arrival, write_csv

TRAVELLERS = [
    {"family_name": "OKAFOR", "given_names": "CHIDI", "date_of_birth": "1990-05-17", "citizenship": "NGA"},
    {"family_name": "NAKAMURA", "given_names": "YUKI", "date_of_birth": "1985-11-02", "citizenship": "JPN"},
    {"family_name": "SILVA", "given_names": "ANA MARIA", "date_of_birth": "1977-01-30", "citizenship": "BRA"},
]


def departure(rid: str, who: int, day: str, **kw: str) -> dict[str, str]:
    return {"source_system": kw.pop("source_system", "APIS"), "source_record_id": rid,
            "recorded_at": kw.pop("recorded_at", "2024-11-01T08:00:00Z"), **TRAVELLERS[who], "departure_date": day,
            "mode": "AIR", "evidence": kw.pop("evidence", "MANIFEST"), **kw}  # fmt: skip


ARRIVALS = [
    arrival(str(i + 1), admitted_on="2024-03-01", admit_until="2024-08-31", **t)
    for i, t in enumerate(TRAVELLERS)
]
DEPARTURES = [
    departure("D1", 0, "2024-08-20"),
    departure("D2", 1, "2024-09-15", admission_number="00000000002"),
    departure("S3", 2, "2024-09-01", source_system="APP-SELF", evidence="SELF_REPORTED"),
    departure("C3", 2, "2024-09-03", source_system="DOS-CONS", evidence="CONSULAR_VERIFICATION"),
]


def run_stream(feed: str, lines: list[str], db: str, *options: str) -> list[dict]:
    result = CliRunner().invoke(app, ["stream", feed, "--db", db, *options], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def statuses(db: str) -> dict[str, tuple[str, ...]]:
    out = ilos("export", "admissions", "--as-of", "2024-12-01", db=db).out
    return {r["admission_number"]: (r["status"], r["departure_date"], r["overstay_days"])
            for r in csv.DictReader(io.StringIO(out))}  # fmt: skip


@pytest.fixture
def store(tmp_path: Path, store_url: str) -> str:
    assert ilos("ingest", "arrivals", str(write_csv(tmp_path / "a.csv", ARRIVALS)), db=store_url).code == 0
    return store_url


def test_streamed_departures_are_stored_linked_announced_and_visible_at_once(store: str) -> None:
    lines = [json.dumps(d) for d in DEPARTURES] + ["{not json", json.dumps(departure("X", 0, "2024-13-01"))]
    out = run_stream("departures", lines, store)
    batch = out[0]
    assert batch["type"] == "batch"
    assert batch["outcomes"]["new"] == 4
    assert batch["quarantined"] == {"MALFORMED_ROW": 1, "INVALID_DATE": 1}
    events = {e["admission_number"]: e for e in out[1:]}
    assert {n: (e["event"], e["departure_date"], e["evidence"], e["status"]) for n, e in events.items()} == {
        "00000000001": ("departure:verified", "2024-08-20", "MANIFEST", "DEPARTED_TIMELY"),
        "00000000002": ("departure:verified", "2024-09-15", "MANIFEST", "DEPARTED_OVERSTAY"),
        "00000000003": ("departure:verified", "2024-09-01", "SELF_REPORTED", "DEPARTED_OVERSTAY"),
    }  # fmt: skip
    assert events["00000000003"]["sources"] == ["departures/APP-SELF/S3", "departures/DOS-CONS/C3"]
    # visible to a reader of the same store as soon as the stream has answered
    assert statuses(store)["00000000002"] == ("DEPARTED_OVERSTAY", "2024-09-15", "15")
    kept = [
        json.loads(line) for line in ilos("events", "--kind", "departure:verified", db=store).out.splitlines()
    ]
    assert sorted(e["subject"] for e in kept) == sorted(events)

    again = run_stream("departures", [json.dumps(d) for d in DEPARTURES], store)
    assert again[0]["outcomes"]["unchanged"] == 4
    assert len(again) == 1  # nothing stored, nothing announced again


def test_one_stream_process_applies_batch_after_batch_as_one_batch_does(store: str) -> None:
    """One process, one line per micro-batch: each batch reads only what the batches before it stored
    (records, links and index kept in the process), and the outcome is that of one batch."""
    out = run_stream("departures", [json.dumps(d) for d in DEPARTURES], store, "--batch-size", "1")
    assert [o["lines"] for o in out if o["type"] == "batch"] == [1, 1, 1, 1]
    events = {e["admission_number"]: (e["departure_date"], e["status"]) for e in out if e["type"] == "event"}
    assert events == {
        "00000000001": ("2024-08-20", "DEPARTED_TIMELY"),
        "00000000002": ("2024-09-15", "DEPARTED_OVERSTAY"),
        "00000000003": ("2024-09-01", "DEPARTED_OVERSTAY"),
    }
    links = csv.DictReader(io.StringIO(ilos("export", "links", db=store).out))
    persons = {r["source_record_id"]: r["person_id"] for r in links}
    assert persons["D1"] == persons["1"]
    assert persons["D2"] == persons["2"]
    assert persons["S3"] == persons["C3"] == persons["3"]


def test_a_stored_departure_carrying_its_admission_number_shows_before_any_link(store: str) -> None:
    """Stored is visible: a departure carrying the number of the admission it ends ends it at once; one
    without waits for the link that ties it to the traveller, and the events for both come with it."""
    with Ilos(Settings(), store) as app:
        pipeline = app.stream_pipeline
        numbered = pipeline.accept("departures", [json.dumps(DEPARTURES[1])], "numbered")
        bare = pipeline.accept("departures", [json.dumps(DEPARTURES[0])], "bare")
        stored = statuses(store)
        assert stored["00000000002"] == ("DEPARTED_OVERSTAY", "2024-09-15", "15")
        assert stored["00000000001"] == ("SUSPECTED_IN_COUNTRY_OVERSTAY", "", "92")
        assert ilos("events", db=store).out == ""
        run = pipeline.link([numbered, bare], date(2024, 12, 1))
    assert statuses(store)["00000000001"] == ("DEPARTED_TIMELY", "2024-08-20", "")
    assert sorted(e["admission_number"] for e in run.events) == ["00000000001", "00000000002"]


@pytest.mark.parametrize("step", ["save_links", "announce"])
def test_a_failed_linking_run_fails_the_command_and_keeps_what_was_stored(
    store: str, step: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the run failed saving its links or the thread behind it announcing them."""

    def broken(self: StreamPipeline, *args: object) -> Linked:
        raise RuntimeError(f"{step} failed")

    monkeypatch.setattr(StreamPipeline, step, broken)
    lines = [json.dumps(d) for d in DEPARTURES]
    result = CliRunner().invoke(app, ["stream", "departures", "--db", store], input="\n".join(lines) + "\n")
    assert result.exit_code == 1
    assert f"{step} failed" in result.stderr
    assert json.loads(result.stdout.splitlines()[0])["outcomes"]["new"] == 4  # stored before linking
    assert statuses(store)["00000000002"][0] == "DEPARTED_OVERSTAY"  # stored is visible
    monkeypatch.undo()
    assert ilos("resolve", db=store).code == 0  # the next run links what was stored
    assert statuses(store)["00000000001"] == ("DEPARTED_TIMELY", "2024-08-20", "")


def test_a_long_running_stream_stores_what_was_recorded_after_it_started(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock a load checks `recorded_at` against is read at each load, not when the process began."""
    monkeypatch.delenv("ILOS_NOW", raising=False)
    with Ilos(Settings(), store) as app:
        pipeline = app.stream_pipeline  # made as the process starts
        recorded = datetime.now(UTC) + timedelta(milliseconds=200)
        time.sleep(0.3)
        line = departure("LATE", 0, "2024-08-20", recorded_at=recorded.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        batch = pipeline.accept("departures", [json.dumps(line)], "recorded after the start")
    assert batch.result.reasons == {}
    assert batch.result.stored == 1


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.permutations(range(len(DEPARTURES))), cuts=st.lists(st.integers(1, 3), min_size=1, max_size=3)
)
def test_stream_in_any_order_and_batching_equals_a_batch_load(
    tmp_path_factory: pytest.TempPathFactory, order: list[int], cuts: list[int]
) -> None:
    base = tmp_path_factory.mktemp("stream")
    batch_db, stream_db = f"sqlite:///{base / 'batch.db'}", f"sqlite:///{base / 'stream.db'}"
    for db in (batch_db, stream_db):
        assert ilos("ingest", "arrivals", str(write_csv(base / "a.csv", ARRIVALS)), db=db).code == 0
    assert ilos("ingest", "departures", str(write_csv(base / "d.csv", DEPARTURES)), db=batch_db).code == 0

    lines = [json.dumps(DEPARTURES[i]) for i in order]
    start = 0
    for size in [*cuts, len(lines)]:
        if start < len(lines):
            run_stream("departures", lines[start : start + size], stream_db)
            start += size
    assert statuses(stream_db) == statuses(batch_db)


def test_a_line_holding_a_json_array_streams_each_item_as_a_row(store: str) -> None:
    """The streaming API's body shape, a JSON array of objects, is read on a line as its items."""
    body = json.dumps([DEPARTURES[0], DEPARTURES[1], 7])
    out = run_stream("departures", [body, json.dumps(DEPARTURES[2])], store)

    batches = [o for o in out if o["type"] == "batch"]
    assert sum(b["outcomes"]["new"] for b in batches) == 3
    assert sum(b["outcomes"]["quarantined"] for b in batches) == 1
    assert statuses(store)["00000000001"][0] == "DEPARTED_TIMELY"
    assert statuses(store)["00000000002"][0] == "DEPARTED_OVERSTAY"


def test_a_departure_retracted_before_it_arrives_still_counts_known_before_the_retraction(store: str) -> None:
    """One stream process, one line per batch: the retraction first, then the departure it withdraws (older
    by `recorded_at`). Known before the retraction, the departure ends its traveller's admission, as when
    the two arrive in the other order."""
    original = departure("D7", 0, "2024-08-20", recorded_at="2024-08-21T00:00:00Z")
    retraction = {**original, "recorded_at": "2024-10-01T00:00:00Z", "retracted": "true"}
    run_stream("departures", [json.dumps(retraction), json.dumps(original)], store, "--batch-size", "1")
    known = ilos(
        "export", "admissions", "--as-of", "2024-09-15", "--known-at", "2024-09-01T00:00:00Z", db=store
    ).out
    rows = {r["admission_number"]: r for r in csv.DictReader(io.StringIO(known))}
    assert rows["00000000001"]["status"] == "DEPARTED_TIMELY"
    assert statuses(store)["00000000001"][0] == "SUSPECTED_IN_COUNTRY_OVERSTAY"


def kept_events(db: str) -> list[tuple[str, str, str]]:
    out = ilos("events", "--kind", "departure:verified", db=db).out
    return [(e["subject"], e["departure_date"], e["evidence"]) for e in map(json.loads, out.splitlines())]


def test_departures_loaded_before_their_arrivals_are_announced_when_the_arrivals_come(
    tmp_path: Path, store_url: str
) -> None:
    """Whatever the order of the feeds, each admission's verified departure is announced once."""
    streamed = run_stream("departures", [json.dumps(d) for d in DEPARTURES], store_url)
    assert [o for o in streamed if o["type"] == "event"] == []  # no admission yet: nothing to announce
    first, rest = ARRIVALS[:1], ARRIVALS[1:]
    out = run_stream("arrivals", [json.dumps(a) for a in first], store_url)
    assert [(e["admission_number"], e["departure_date"]) for e in out if e["type"] == "event"] == [
        ("00000000001", "2024-08-20")
    ]
    assert ilos("ingest", "arrivals", str(write_csv(tmp_path / "a.csv", rest)), db=store_url).code == 0
    assert kept_events(store_url) == [
        ("00000000001", "2024-08-20", "MANIFEST"),
        ("00000000002", "2024-09-15", "MANIFEST"),
        ("00000000003", "2024-09-01", "SELF_REPORTED"),
    ]
    moved_port = [{**a, "port_of_entry": "MIA", "recorded_at": "2024-03-05T10:00:00Z"} for a in ARRIVALS]
    assert ilos("ingest", "arrivals", str(write_csv(tmp_path / "c.csv", moved_port)), db=store_url).code == 0
    assert len(kept_events(store_url)) == 3  # arrivals corrected, their departures unchanged: nothing new


def test_a_departure_is_announced_again_only_when_its_day_or_evidence_changes(store: str) -> None:
    run_stream("departures", [json.dumps(departure("D1", 0, "2024-08-20"))], store)
    carrier = departure("D1", 0, "2024-08-20", carrier="XY", recorded_at="2024-11-02T08:00:00Z")
    older = departure("D1", 0, "2024-08-20", carrier="ZZ", recorded_at="2024-10-30T08:00:00Z")
    for line in (carrier, older):  # a correction that changes neither, and a version it replaced
        out = run_stream("departures", [json.dumps(line)], store)
        assert [o for o in out if o["type"] == "event"] == []
    moved = departure("D1", 0, "2024-08-22", recorded_at="2024-11-03T08:00:00Z")
    out = run_stream("departures", [json.dumps(moved)], store)
    assert [(e["departure_date"], e["evidence"]) for e in out if e["type"] == "event"] == [
        ("2024-08-22", "MANIFEST")
    ]
    assert kept_events(store) == [
        ("00000000001", "2024-08-20", "MANIFEST"),
        ("00000000001", "2024-08-22", "MANIFEST"),
    ]


def test_retracting_the_departure_that_ended_an_admission_announces_the_one_that_ends_it_now(
    store: str,
) -> None:
    """The retraction is not the departure that ends the admission after it: the later one is, and it was
    never announced (the earlier one ended the admission when it came)."""
    first = departure("D1", 0, "2024-08-20", recorded_at="2024-08-21T00:00:00Z")
    later = departure("B1", 0, "2024-10-05", source_system="BIO-EXIT", evidence="BIOMETRIC_EXIT")
    assert [e["departure_date"] for e in run_stream("departures", [json.dumps(first)], store)[1:]] == [
        "2024-08-20"
    ]
    assert run_stream("departures", [json.dumps(later)], store)[1:] == []
    retraction = {**first, "recorded_at": "2024-11-02T00:00:00Z", "retracted": "true"}
    out = run_stream("departures", [json.dumps(retraction)], store)
    assert [(e["admission_number"], e["departure_date"], e["evidence"], e["status"]) for e in out[1:]] == [
        ("00000000001", "2024-10-05", "BIOMETRIC_EXIT", "DEPARTED_OVERSTAY")
    ]
    assert run_stream("departures", [json.dumps(retraction)], store)[1:] == []  # announced once
    assert kept_events(store) == [
        ("00000000001", "2024-08-20", "MANIFEST"),
        ("00000000001", "2024-10-05", "BIOMETRIC_EXIT"),
    ]


def test_retracting_a_later_arrival_announces_the_departure_that_now_ends_the_earlier_one(store: str) -> None:
    """A departure ends the traveller's latest admission before it; once that admission's arrival is
    retracted, the departure ends the earlier admission, which the arrivals batch announces."""
    again = arrival(
        "9",
        admitted_on="2024-09-01",
        admit_until="2025-02-28",
        recorded_at="2024-09-02T10:00:00Z",
        **TRAVELLERS[0],
    )
    assert run_stream("arrivals", [json.dumps(again)], store)[1:] == []
    out = run_stream("departures", [json.dumps(departure("D1", 0, "2024-09-10"))], store)
    assert [(e["admission_number"], e["departure_date"]) for e in out[1:]] == [
        (again["admission_number"], "2024-09-10")
    ]
    retraction = {**again, "recorded_at": "2024-11-02T00:00:00Z", "retracted": "true"}
    out = run_stream("arrivals", [json.dumps(retraction)], store)
    assert [(e["admission_number"], e["departure_date"], e["status"]) for e in out[1:]] == [
        ("00000000001", "2024-09-10", "DEPARTED_OVERSTAY")
    ]


def test_a_person_known_only_by_a_departure_has_holds_and_an_explanation(store: str) -> None:
    stranger = {
        "family_name": "LINDQVIST",
        "given_names": "ELSA",
        "date_of_birth": "1969-02-11",
        "citizenship": "SWE",
    }
    line = {**departure("Z9", 0, "2024-08-20"), **stranger, "document_number": "SE7788990"}
    run_stream("departures", [json.dumps(line)], store)
    links = {
        r["source_record_id"]: r["person_id"]
        for r in csv.DictReader(io.StringIO(ilos("export", "links", db=store).out))
    }
    listed = ilos("holds", links["Z9"], db=store)
    assert listed.code == 0, listed.err
    assert listed.out.splitlines()[0] == "code,scope,start,end,in_force,sources"
    explained = ilos("explain", "rank", links["Z9"], "--policy", "guidelines-2021", db=store)
    assert explained.code == 0, explained.err
    assert "not listed" in explained.out


DOE = {
    "family_name": "DOE",
    "given_names": "JANE",
    "citizenship": "KEN",
    "document_type": "P",
    "document_country": "KEN",
}


def _person_of_record(db: str, feed: str, record_id: str) -> str:
    rows = csv.DictReader(io.StringIO(ilos("export", "links", db=db).out))
    return next(r["person_id"] for r in rows if r["feed"] == feed and r["source_record_id"] == record_id)


@pytest.mark.parametrize("path", ["stream", "ingest"])
def test_a_departure_is_announced_when_a_record_of_another_feed_merges_its_person_with_the_traveller(
    tmp_path: Path, store_url: str, path: str
) -> None:
    """The departure (surname misspelt, no birth date, another passport) is linked to no traveller; an
    encounter stating the traveller's birth date and the departure's passport merges the two persons,
    and the admission the departure now ends is announced, by whichever path the encounter came."""
    trip = {"admitted_on": "2024-03-01", "admit_until": "2024-08-31"}
    traveller = arrival("1", **DOE, **trip, date_of_birth="1970-01-01", document_number="K1111111")
    assert ilos("ingest", "arrivals", str(write_csv(tmp_path / "a.csv", [traveller])), db=store_url).code == 0
    left = {**departure("D1", 0, "2024-08-20"), **DOE, "family_name": "DOWE", "document_number": "K2222222"}
    del left["date_of_birth"]
    assert [o for o in run_stream("departures", [json.dumps(left)], store_url) if o["type"] == "event"] == []
    assert _person_of_record(store_url, "departures", "D1") != _person_of_record(store_url, "arrivals", "1")
    encounter = {"source_system": "ICE-EID", "source_record_id": "E1", "recorded_at": "2024-06-01T08:00:00Z",
                 **DOE, "date_of_birth": "1970-01-01", "document_number": "K2222222", "encounter_id": "E1",
                 "event_date": "2024-05-01", "agency": "CBP_PORT", "encounter_type": "CHECK_IN",
                 "outcome": "RELEASED_ATD"}  # fmt: skip
    if path == "stream":
        out = run_stream("encounters", [json.dumps(encounter)], store_url)
        announced = [(e["admission_number"], e["departure_date"]) for e in out if e["type"] == "event"]
        assert announced == [("00000000001", "2024-08-20")]
    else:
        result = ilos("ingest", "encounters", str(write_csv(tmp_path / "e.csv", [encounter])), db=store_url)
        assert "departure:verified events: 1" in result.out
    assert _person_of_record(store_url, "departures", "D1") == _person_of_record(store_url, "arrivals", "1")
    assert kept_events(store_url) == [("00000000001", "2024-08-20", "MANIFEST")]
    assert statuses(store_url)["00000000001"][0] == "DEPARTED_TIMELY"


def test_a_departure_is_announced_when_a_split_makes_it_end_another_admission(
    store_url: str, tmp_path: Path
) -> None:
    """One person, two admissions and a departure that ends the later one; the later arrival is then
    corrected to another traveller, the person splits, and the departure now ends the first admission."""
    ident = {**DOE, "date_of_birth": "1970-01-01", "document_number": "K1111111"}
    first = arrival(
        "1", **ident, admitted_on="2024-01-10", admit_until="2024-04-09", recorded_at="2024-01-10T10:00:00Z"
    )
    later = arrival(
        "2", **ident, admitted_on="2024-02-10", admit_until="2024-05-09", recorded_at="2024-02-10T10:00:00Z"
    )
    assert (
        ilos("ingest", "arrivals", str(write_csv(tmp_path / "a.csv", [first, later])), db=store_url).code == 0
    )
    run_stream("departures", [json.dumps({**departure("D1", 0, "2024-03-20"), **ident})], store_url)
    assert kept_events(store_url) == [("00000000002", "2024-03-20", "MANIFEST")]
    someone_else = {**later, "recorded_at": "2024-03-25T10:00:00Z", "family_name": "SMITH", "given_names": "JOHN",
                    "date_of_birth": "1960-02-02", "document_number": "Z9999999", "citizenship": "GBR",
                    "document_country": "GBR"}  # fmt: skip
    out = run_stream("arrivals", [json.dumps(someone_else)], store_url)
    assert [(e["admission_number"], e["departure_date"]) for e in out if e["type"] == "event"] == [
        ("00000000001", "2024-03-20")
    ]
    assert statuses(store_url)["00000000001"][0] == "DEPARTED_TIMELY"


def test_resolve_announces_the_departures_loaded_without_resolution(store: str, tmp_path: Path) -> None:
    """`ilos ingest --no-resolve` links and announces nothing; the `ilos resolve` after it announces
    each verified departure once, and a second `ilos resolve` nothing more."""
    loaded = ilos(
        "ingest", "--no-resolve", "departures", str(write_csv(tmp_path / "d.csv", DEPARTURES)), db=store
    )
    assert loaded.code == 0
    assert kept_events(store) == []
    assert "departure:verified events: 3" in ilos("resolve", db=store).out
    assert [subject for subject, _, _ in kept_events(store)] == ["00000000001", "00000000002", "00000000003"]
    assert "departure:verified events: 0" in ilos("resolve", db=store).out


def _link_row(db: str, uid: str) -> tuple[str, str | None] | None:
    """(person_id, anchor_uid) of a record's current link, or None."""
    with Ilos(Settings(), db) as app:
        bulk = app.store.bulk()
        try:
            rows = bulk.fetch_arrow(
                f"SELECT person_id, anchor_uid FROM identity_link WHERE record_uid = {bulk.param(1)}",
                [uid], text=["person_id", "anchor_uid"],
            ).to_pylist()  # fmt: skip
        finally:
            bulk.close()
    return (rows[0]["person_id"], rows[0]["anchor_uid"]) if rows else None


@pytest.fixture
def deciding(monkeypatch: pytest.MonkeyPatch) -> None:
    """New identities whose person is certain are linked as they are stored (off by default: ADR 11)."""
    monkeypatch.setenv("ILOS_DECIDE_ON_STORING", "1")


@pytest.mark.parametrize("decide", [True, False], ids=["deciding", "not deciding"])
def test_a_departure_repeating_a_linked_identity_is_linked_as_it_is_stored(
    store: str, decide: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A departure equal on every identity feature to an arrival already linked (ADR 13) shows in that
    arrival's status as soon as it is stored, by its person; one that differs (a given name misspelt),
    whose person the run will certainly give (ADR 11), too when the stream decides on storing, resting on
    that person's arrival; else it waits for the run. The run links both as they were linked, and the
    early links are then the run's."""
    monkeypatch.setenv("ILOS_DECIDE_ON_STORING", "1" if decide else "0")
    assert ilos("resolve", db=store).code == 0
    traveller, yuki = (_person_of_record(store, "arrivals", n) for n in ("1", "2"))
    with Ilos(Settings(), store) as app:
        pipeline = app.stream_pipeline
        assert pipeline.warm()
        repeat = pipeline.accept("departures", [json.dumps(DEPARTURES[0])], "repeat")
        misspelt = departure("D9", 1, "2024-08-25", given_names="YUKY")
        other = pipeline.accept("departures", [json.dumps(misspelt)], "misspelt")
        decided = ["departures/APIS/D9"] if decide else []
        assert (repeat.linked_on_storing, repeat.decided_on_storing) == (["departures/APIS/D1"], [])
        assert (other.linked_on_storing, other.decided_on_storing) == ([], decided)
        assert _link_row(store, "departures/APIS/D1") == (traveller, "arrivals/I94/1")
        assert _link_row(store, "departures/APIS/D9") == ((yuki, "arrivals/I94/2") if decide else None)
        stored = statuses(store)
        assert stored["00000000001"] == ("DEPARTED_TIMELY", "2024-08-20", "")
        assert stored["00000000002"][0] == ("DEPARTED_TIMELY" if decide else "SUSPECTED_IN_COUNTRY_OVERSTAY")
        run = pipeline.link([repeat, other], date(2024, 12, 1))
    assert _link_row(store, "departures/APIS/D1") == (traveller, None)
    assert _link_row(store, "departures/APIS/D9") == (yuki, None)
    assert statuses(store)["00000000002"] == ("DEPARTED_TIMELY", "2024-08-25", "")
    assert sorted(e["admission_number"] for e in run.events) == ["00000000001", "00000000002"]


def test_a_new_signature_waits_for_the_run_while_a_departure_no_run_linked_yet_pairs_with_it(
    store: str, deciding: None
) -> None:
    """A second misspelling of a traveller's name, stored before any run linked the first, pairs with it:
    the run resolves the two together, so the second waits for the run (ADR 11) however certain it
    would be alone; the first stays linked as it was stored. A run links both to the traveller, and a
    third misspelling after it is linked as it is stored again."""
    assert ilos("resolve", db=store).code == 0
    yuki = _person_of_record(store, "arrivals", "2")
    with Ilos(Settings(), store) as app:
        pipeline = app.stream_pipeline
        assert pipeline.warm()
        first = pipeline.accept(
            "departures", [json.dumps(departure("D8", 1, "2024-08-25", given_names="YUKY"))], "1"
        )
        second = pipeline.accept(
            "departures", [json.dumps(departure("D9", 1, "2024-08-27", given_names="YUUKI"))], "2"
        )
        assert (first.decided_on_storing, second.decided_on_storing) == (["departures/APIS/D8"], [])
        pipeline.link([first, second], date(2024, 12, 1))
        third = pipeline.accept(
            "departures", [json.dumps(departure("D7", 1, "2024-08-29", given_names="YUKII"))], "3"
        )
        assert third.decided_on_storing == ["departures/APIS/D7"]
    assert [_link_row(store, f"departures/APIS/{rid}") for rid in ("D8", "D9")] == [(yuki, None)] * 2
    assert _link_row(store, "departures/APIS/D7") == (yuki, "arrivals/I94/2")


def test_a_departure_linked_as_it_was_stored_and_retracted_before_the_run_keeps_its_last_person(
    store: str,
) -> None:
    """Withdrawn before any run linked it, the departure's link on storing goes: the run keeps its person
    as a retired link (for answers known before the retraction), as for any record withdrawn unlinked."""
    assert ilos("resolve", db=store).code == 0
    original = departure("D1", 0, "2024-08-20", recorded_at="2024-08-21T00:00:00Z")
    retraction = {**original, "recorded_at": "2024-10-01T00:00:00Z", "retracted": "true"}
    with Ilos(Settings(), store) as app:
        pipeline = app.stream_pipeline
        assert pipeline.warm()
        stored = pipeline.accept("departures", [json.dumps(original)], "original")
        assert stored.linked_on_storing == ["departures/APIS/D1"]
        withdrawn = pipeline.accept("departures", [json.dumps(retraction)], "retraction")
        pipeline.link([stored, withdrawn], date(2024, 12, 1))
    assert _link_row(store, "departures/APIS/D1") is None
    assert statuses(store)["00000000001"][0] == "SUSPECTED_IN_COUNTRY_OVERSTAY"
    known = ilos(
        "export", "admissions", "--as-of", "2024-09-15", "--known-at", "2024-09-01T00:00:00Z", db=store
    )
    rows = {r["admission_number"]: r for r in csv.DictReader(io.StringIO(known.out))}
    assert rows["00000000001"]["status"] == "DEPARTED_TIMELY"


def test_a_batch_left_unscored_leaves_every_new_signature_to_the_runs_until_one_has_linked_it(
    store: str, deciding: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_PENDING nodes a batch is not scored (ADR 11): a later batch could pair with it unseen, so
    nothing is decided, whoever it concerns, until a run has linked the unscored batch's records."""
    from ilos.adapters.identity import decided_on_storing

    assert ilos("resolve", db=store).code == 0
    with Ilos(Settings(), store) as app:
        pipeline = app.stream_pipeline
        assert pipeline.warm()
        monkeypatch.setattr(decided_on_storing, "MAX_PENDING", 0)
        over = pipeline.accept(
            "departures", [json.dumps(departure("D8", 1, "2024-08-25", given_names="YUKY"))], "1"
        )
        monkeypatch.setattr(decided_on_storing, "MAX_PENDING", 2_000)
        silva = departure("D6", 2, "2024-09-02", given_names="ANA MARIAH")
        other = pipeline.accept("departures", [json.dumps(silva)], "2")
        assert (over.decided_on_storing, other.decided_on_storing) == ([], [])
        pipeline.link([over, other], date(2024, 12, 1))
        again = pipeline.accept(
            "departures", [json.dumps(departure("D7", 1, "2024-08-29", given_names="YUKII"))], "3"
        )
        assert again.decided_on_storing == ["departures/APIS/D7"]


def test_the_stream_decides_new_identities_in_a_thread_after_the_repeats_and_before_the_run(
    store: str, deciding: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`stream_batches` with decisions on storing (ADR 11): a fourth thread, fed by the repeats thread,
    links the new identities whose person is certain. Held here until it has, the run finds the misspelt
    departure linked on storing and links it to the same person."""
    assert ilos("resolve", db=store).code == 0
    yuki = _person_of_record(store, "arrivals", "2")
    with Ilos(Settings(), store) as app:
        pipeline = app.stream_pipeline
        assert pipeline.warm()
        decided, threads = threading.Event(), []
        link_decided, save_links = pipeline.link_decided, pipeline.save_links

        def decide_then_tell(batches: list[Accepted]) -> Linked:
            threads.append(threading.current_thread().name)
            linked = link_decided(batches)
            decided.set()
            return linked

        def link_once_decided(batches: list[Accepted]) -> Linked:
            assert decided.wait(20)
            return save_links(batches)

        monkeypatch.setattr(pipeline, "link_decided", decide_then_tell)
        monkeypatch.setattr(pipeline, "save_links", link_once_decided)
        stored: list[Accepted] = []
        lines = [
            [json.dumps(DEPARTURES[0]), json.dumps(departure("D9", 1, "2024-08-25", given_names="YUKY"))]
        ]
        stream_batches(
            pipeline, "departures", lines, lambda: date(2024, 12, 1), stored.append, lambda run: None
        )
    assert threads == ["ilos-link-behind"]  # once, by a linking thread (not the one that stores)
    assert (stored[0].linked_on_storing, stored[0].decided_on_storing) == (
        ["departures/APIS/D1"],
        ["departures/APIS/D9"],
    )
    assert _link_row(store, "departures/APIS/D9") == (yuki, None)


def test_a_link_made_on_storing_goes_when_a_run_replaces_the_link_it_rests_on(store: str) -> None:
    """The store writes a link on storing only while its anchor's link is the one the snapshot saw, and a
    run that replaces the anchor's link removes the links resting on it (their records wait for a run)."""
    assert ilos("resolve", db=store).code == 0
    traveller = _person_of_record(store, "arrivals", "1")
    with Ilos(Settings(), store) as app:
        pipeline = app.stream_pipeline
        assert pipeline.warm()
        state = app.identity_work.link_state()
        anchor = state.filter(pc.equal(state.column("record_uid"), "arrivals/I94/1")).to_pylist()[0]
        found = {
            "feed": "departures",
            "source_system": "APIS",
            "anchor_uid": "arrivals/I94/1",
            "person_id": traveller,
        }
        stale = {
            **found,
            "record_uid": "departures/APIS/OLD",
            "source_record_id": "OLD",
            "anchor_hash": "other",
        }
        fresh = {**found, "record_uid": "departures/APIS/NEW", "source_record_id": "NEW",
                 "anchor_hash": anchor["identity_hash"]}  # fmt: skip
        table = pa.Table.from_pylist([stale, fresh], FOUND_SCHEMA)
        app.identity_store.link_on_storing(table)
        assert app.reader.linked_on_storing(["departures/APIS/OLD", "departures/APIS/NEW"]) == [
            "departures/APIS/NEW"
        ]
        app.identity_store.link_on_storing(table)  # linked already: written once
        later = pa.Table.from_pylist(
            [{**fresh, "record_uid": "departures/APIS/RUN", "source_record_id": "RUN"}], FOUND_SCHEMA
        )
        app.identity_store.link_on_storing(later, run_id=app.identity_work.run_id - 1)
        assert app.reader.linked_on_storing(["departures/APIS/RUN"]) == []  # decided on an older run's links
        app.identity_store.link_on_storing(later, run_id=app.identity_work.run_id)
        assert app.reader.linked_on_storing(["departures/APIS/RUN"]) == ["departures/APIS/RUN"]
        renamed = arrival("1", family_name="OKAFOR-EZE", recorded_at="2024-04-01T00:00:00Z")
        pipeline.link([pipeline.accept("arrivals", [json.dumps(renamed)], "renamed")], date(2024, 12, 1))
        assert _link_row(store, "arrivals/I94/1") == (traveller, None)
    assert _link_row(store, "departures/APIS/NEW") is None
    with Ilos(Settings(), store) as app:
        bulk = app.store.bulk()
        try:  # removed, not retired: the record was never in force
            assert (
                bulk.scalar("SELECT count(*) FROM retired_link WHERE record_uid = 'departures/APIS/NEW'") == 0
            )
        finally:
            bulk.close()


def test_the_stream_links_repeats_in_a_thread_of_their_own_before_the_run(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`stream_batches` stores a batch and goes on; a third thread links the batch's repeats (ADR 13)
    while the linking thread runs. Held here until the repeats are linked, the run finds the repeat
    already linked on storing; storing did not link it itself, and the run's link replaces it."""
    assert ilos("resolve", db=store).code == 0
    traveller = _person_of_record(store, "arrivals", "1")
    uid = "departures/APIS/D1"
    with Ilos(Settings(), store) as app:
        pipeline = app.stream_pipeline
        assert pipeline.warm()
        repeats_linked, callers, seen_by_run = threading.Event(), [], []
        link_repeats, save_links = pipeline.link_repeats, pipeline.save_links

        def repeats_then_tell(batches: list[Accepted]) -> Linked:
            callers.append(threading.current_thread() is threading.main_thread())
            linked = link_repeats(batches)
            repeats_linked.set()
            return linked

        def link_once_repeats_are(batches: list[Accepted]) -> Linked:
            assert repeats_linked.wait(20)
            seen_by_run.append(app.reader.linked_on_storing([uid]))
            return save_links(batches)

        monkeypatch.setattr(pipeline, "link_repeats", repeats_then_tell)
        monkeypatch.setattr(pipeline, "save_links", link_once_repeats_are)
        stored: list[Accepted] = []
        lines = [[json.dumps(DEPARTURES[0])]]
        stream_batches(
            pipeline, "departures", lines, lambda: date(2024, 12, 1), stored.append, lambda run: None
        )
    assert callers == [False]  # once, and not by the thread that stores
    assert stored[0].linked_on_storing == [uid]
    assert seen_by_run == [[uid]]
    assert _link_row(store, uid) == (traveller, None)
