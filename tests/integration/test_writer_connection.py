"""The store keeps one writing connection per thread for a stream's micro-batches (opening one costs about
50 ms on PostgreSQL, more than storing a batch); a connection lost under it costs a new one, not the
batch, and a write that fails drops it and leaves nothing half-written."""

from __future__ import annotations

import json
from contextlib import closing

import pytest
from sqlalchemy import create_engine, text

from ilos.adapters.db.bulk import BulkConnection
from ilos.bootstrap import Ilos
from ilos.config import Settings
from ilos.domain.feeds import feed as feed_named
from tests.feedfiles import arrival


def _line(rid: str) -> str:
    return json.dumps(arrival(rid))


def _lose(kept: BulkConnection, store_url: str) -> None:
    """Close a connection underneath its keeper, as a server restart or an idle timeout would."""
    if kept.sqlite:
        kept._conn.close()  # the embedded store has no server to drop it: close it underneath
        return
    backend = kept.scalar("SELECT pg_backend_pid()")
    engine = create_engine(store_url)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": backend}).scalar()
    engine.dispose()


def _kept_after_a_batch(app: Ilos) -> BulkConnection:
    """The kept writing connection after one batch is stored."""
    app.stream_pipeline.accept("arrivals", [_line("1")], "b1", repeats=False)
    kept = app.loader.store._writers._held()
    assert kept is not None
    return kept


def test_micro_batches_of_one_thread_are_stored_through_one_kept_connection(store_url: str) -> None:
    with Ilos(Settings(), store_url) as app:
        store = app.loader.store
        kept = _kept_after_a_batch(app)
        app.stream_pipeline.accept("arrivals", [_line("2")], "b2", repeats=False)
        assert store._writers._held() is kept
        assert app.reader.records_in_force(feed_named("arrivals")).num_rows == 2
    assert not store._writers._opened  # closed with the store


def test_a_batch_after_the_kept_connection_is_lost_is_stored_on_a_new_one(store_url: str) -> None:
    with Ilos(Settings(), store_url) as app:
        store = app.loader.store
        kept = _kept_after_a_batch(app)
        _lose(kept, store_url)
        accepted = app.stream_pipeline.accept("arrivals", [_line("2")], "b2", repeats=False)
        assert accepted.result.stored == 1
        assert store._writers._held() is not kept


def test_a_write_that_fails_drops_the_connection_and_stores_nothing(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Ilos(Settings(), store_url) as app:
        store = app.loader.store
        kept = _kept_after_a_batch(app)

        def fail(*_: object) -> None:
            raise RuntimeError("the disk is full")

        with monkeypatch.context() as patch:
            patch.setattr(type(store), "_finish", fail)
            with pytest.raises(RuntimeError, match="disk is full"):
                app.stream_pipeline.accept("arrivals", [_line("2")], "b2", repeats=False)
        assert store._writers._held() is None
        assert app.reader.records_in_force(feed_named("arrivals")).num_rows == 1
        app.stream_pipeline.accept("arrivals", [_line("3")], "b3", repeats=False)
        assert store._writers._held() not in (None, kept)
        assert app.reader.records_in_force(feed_named("arrivals")).num_rows == 2


def test_a_write_inside_a_write_gets_a_connection_of_its_own(store_url: str) -> None:
    with Ilos(Settings(), store_url) as app:
        store = app.loader.store
        with store.writing() as outer, outer.write_transaction():
            outer.execute(
                "INSERT INTO resolution_run (mode, started_at, finished_at, counts) VALUES ('full', '', '', '{}')"
            )
            with store.writing() as inner:
                assert inner is not outer
                assert inner.scalar("SELECT 1") == 1
        assert store._writers._held() is outer
        with closing(store.bulk()) as other:
            assert other.scalar("SELECT count(*) FROM resolution_run") == 1
