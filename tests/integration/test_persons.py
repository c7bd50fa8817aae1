"""Persons through the CLI on both stores, with a stand-in engine (the Splink engine has tests of its own):
stable ids across runs, merges and splits recorded, review decisions kept, `ilos export links`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from ilos.adapters.identity_work import DuckIdentityWork
from tests.cli import ilos
from tests.feedfiles import arrival, write_csv


class SameNameResolver:
    """Links records with the same family name and birth date; pairs whose names differ only in case go to review."""

    def __init__(self, con: duckdb.DuckDBPyConnection, model: dict[str, Any] | None) -> None:
        self.con = con
        self.members = None  # every record is its own signature

    def train(self, records: pa.Table) -> dict[str, Any]:
        return {"trained_on": records.num_rows}

    def score(self, records: pa.Table) -> pa.Table:
        cur = self.con.cursor()
        cur.register("r", records)
        pairs = cur.sql(
            """SELECT a.record_uid AS record_uid_l, b.record_uid AS record_uid_r, 10.0::DOUBLE AS match_weight,
                      0.999::DOUBLE AS match_probability, '' AS rule,
                      CASE WHEN a.family_name = b.family_name THEN 'link' ELSE 'review' END AS decision
               FROM r a JOIN r b ON a.record_uid < b.record_uid AND upper(a.family_name) = upper(b.family_name)
                    AND a.date_of_birth = b.date_of_birth"""
        ).to_arrow_table()
        cur.close()
        return pairs

    def cluster(self, records: pa.Table, pairs: pa.Table, unscored: object = None) -> pa.Table:
        assert unscored is None  # this engine keeps no index: an incremental run scores all it reaches
        parent = {u: u for u in records.column("record_uid").to_pylist()}

        def find(u: str) -> str:
            while parent[u] != u:
                u = parent[u]
            return u

        for p in pairs.to_pylist():
            if p["decision"] == "link":
                parent[find(p["record_uid_l"])] = find(p["record_uid_r"])
        roots = sorted({find(u) for u in parent})
        label = {r: i for i, r in enumerate(roots)}
        uids = sorted(parent)
        return pa.table({"record_uid": uids, "cluster": [label[find(u)] for u in uids]})


@pytest.fixture(autouse=True)
def stand_in_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DuckIdentityWork, "resolver", lambda self, model: SameNameResolver(self.con, model))


def links(db: str) -> dict[str, str]:
    out = ilos("export", "links", db=db)
    assert out.code == 0, out.err
    rows = list(csv.DictReader(io.StringIO(out.out)))
    assert list(rows[0]) == ["feed", "source_system", "source_record_id", "person_id"]
    return {r["source_record_id"]: r["person_id"] for r in rows}


def load(db: str, path: Path, *rows: dict[str, str]) -> None:
    assert ilos("ingest", "--no-resolve", "arrivals", str(write_csv(path, list(rows))), db=db).code == 0
    result = ilos("resolve", db=db)
    assert result.code == 0, result.err


def test_ids_are_stable_and_merges_keep_the_oldest(store_url: str, tmp_path: Path) -> None:
    load(
        store_url,
        tmp_path / "a.csv",
        arrival("1"),
        arrival("2", family_name="ADEYEMI", date_of_birth="1985-02-03"),
    )
    first = links(store_url)
    assert first["1"] != first["2"]

    load(store_url, tmp_path / "b.csv", arrival("3"))  # another record of person 1
    second = links(store_url)
    assert second["1"] == second["3"] == first["1"]
    assert second["2"] == first["2"]

    # a correction makes record 2 the same person as record 1: the older id survives
    fix = arrival("2", recorded_at="2024-04-01T00:00:00Z")
    load(store_url, tmp_path / "c.csv", fix)
    third = links(store_url)
    assert third["1"] == third["2"] == third["3"] == min(first["1"], first["2"])


def test_split_keeps_the_id_with_the_oldest_record(store_url: str, tmp_path: Path) -> None:
    load(store_url, tmp_path / "a.csv", arrival("1"), arrival("2", recorded_at="2024-03-05T00:00:00Z"))
    before = links(store_url)
    assert before["1"] == before["2"]
    moved = arrival("2", family_name="BELLO", recorded_at="2024-04-01T00:00:00Z")
    load(store_url, tmp_path / "b.csv", moved)
    after = links(store_url)
    assert after["1"] == before["1"]  # record 1 is the oldest
    assert after["2"] != before["1"]


def test_review_decisions_hold_for_later_runs(store_url: str, tmp_path: Path) -> None:
    load(store_url, tmp_path / "a.csv", arrival("1"), arrival("2", family_name="Okafor"))
    queue = list(csv.DictReader(io.StringIO(ilos("review", "list", db=store_url).out)))
    assert [(q["record_a"], q["record_b"]) for q in queue] == [("arrivals/I94/1", "arrivals/I94/2")]
    assert links(store_url)["1"] != links(store_url)["2"]

    decided = ilos(
        "review", "decide", queue[0]["pair"], "link", "--reason", "same passport photo page", db=store_url
    )
    assert decided.code == 0, decided.err
    assert ilos("resolve", "--retrain", db=store_url).code == 0
    assert links(store_url)["1"] == links(store_url)["2"]
    assert ilos("review", "list", db=store_url).out.count("\n") == 1  # decided pairs leave the queue
    assert ilos("review", "decide", "nope", "link", "--reason", "x", db=store_url).code == 1


def test_ingest_resolves_so_that_links_reflect_the_new_rows(store_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [arrival("1"), arrival("2")])
    result = ilos("ingest", "arrivals", str(path), db=store_url)
    assert result.code == 0, result.err
    assert "resolution run 1: 2 records, 1 persons" in result.out
    assert set(links(store_url)) == {"1", "2"}
    again = ilos("ingest", "arrivals", str(path), db=store_url)
    assert "resolution run" not in again.out  # nothing new was stored, nothing to resolve


def test_a_model_that_fails_is_never_kept(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training that fails, or a trained model that fails to resolve the store, leaves the saved model as
    it was: the next run (and every ingest) resolves as before, instead of failing again and again."""
    load(store_url, tmp_path / "a.csv", arrival("1"), arrival("2"))

    def cannot_train(self: SameNameResolver, records: pa.Table) -> dict[str, Any]:
        raise RuntimeError("EM could not converge\nmore detail")

    monkeypatch.setattr(SameNameResolver, "train", cannot_train)
    failed = ilos("resolve", "--retrain", db=store_url)
    assert failed.code == 1
    assert failed.err.strip() == (
        "error: training a model on 2 records failed: EM could not converge; the saved model is unchanged"
    )
    monkeypatch.undo()
    monkeypatch.setattr(DuckIdentityWork, "resolver", lambda self, model: SameNameResolver(self.con, model))
    original_score = SameNameResolver.score

    def score_only_the_old_model(self: SameNameResolver, records: pa.Table) -> pa.Table:
        if self.trained:
            raise ZeroDivisionError("float division by zero")
        return original_score(self, records)

    monkeypatch.setattr(SameNameResolver, "trained", False, raising=False)
    monkeypatch.setattr(
        SameNameResolver, "train", lambda self, records: setattr(self, "trained", True) or {"t": 1}
    )
    monkeypatch.setattr(SameNameResolver, "score", score_only_the_old_model)
    assert ilos("resolve", "--retrain", db=store_url).code == 1
    again = ilos("resolve", db=store_url)
    assert again.code == 0, again.err
    assert "model default" in again.out


def test_merges_and_splits_are_events_with_the_records_before_and_after(
    store_url: str, tmp_path: Path
) -> None:
    load(store_url, tmp_path / "a.csv", arrival("1"), arrival("2", family_name="ADEYEMI"))
    ids = links(store_url)
    load(
        store_url, tmp_path / "b.csv", arrival("2", recorded_at="2024-04-01T00:00:00Z")
    )  # now record 1's person
    load(store_url, tmp_path / "c.csv", arrival("2", family_name="BELLO", recorded_at="2024-05-01T00:00:00Z"))
    apart = links(store_url)

    def events(kind: str) -> list[dict[str, Any]]:
        out = ilos("events", "--kind", kind, db=store_url).out
        return [json.loads(line) for line in out.splitlines()]

    merged, split = events("person:merged"), events("person:split")
    uid = "arrivals/I94/{}".format
    assert [(e["person_id"], e["subject"], e["before"], e["after"]) for e in merged] == [
        (ids["1"], ids["2"], {ids["1"]: [uid(1)], ids["2"]: [uid(2)]}, {ids["1"]: [uid(1), uid(2)]})
    ]
    assert [(e["person_id"], e["subject"], e["before"], e["after"]) for e in split] == [
        (ids["1"], apart["2"], {ids["1"]: [uid(1), uid(2)]}, {ids["1"]: [uid(1)], apart["2"]: [uid(2)]})
    ]
    assert all(e["reason"] and e["mode"] in ("full", "incremental") for e in merged + split)


def test_the_latest_model_is_read_once_and_again_when_a_newer_one_is_saved(store_url: str) -> None:
    """A saved model never changes, so the store parses it once; a model saved since (by this process or
    another) is the one read next."""
    from ilos.adapters.db.identity_store import _insert_model
    from ilos.bootstrap import Ilos
    from ilos.config import Settings

    with Ilos(Settings(), store_url) as app, Ilos(Settings(), store_url) as other:
        store = app.identity_store
        assert store.latest_model() is None

        def save(model: dict[str, Any], by: Any) -> None:
            bulk = by.identity_store.store.bulk()
            try:
                with bulk.write_transaction():
                    _insert_model(bulk, model, 1)
            finally:
                bulk.close()

        save({"version": 1}, app)
        first = store.latest_model()
        assert first is not None
        assert first[1] == {"version": 1}
        assert store.latest_model() is first  # read once
        save({"version": 2}, other)
        second = store.latest_model()
        assert second is not None
        assert second[1] == {"version": 2}
        assert second[0] > first[0]
