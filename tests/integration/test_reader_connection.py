"""The reader keeps one reading connection per thread; a connection lost under it (a server restart,
an idle timeout) costs one retry, not the process."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ilos.bootstrap import Ilos
from ilos.config import Settings
from tests.cli import ilos
from tests.feedfiles import arrival, write_csv


def test_a_read_after_the_kept_connection_is_lost_opens_a_new_one(store_url: str, tmp_path: Path) -> None:
    assert (
        ilos("ingest", "arrivals", str(write_csv(tmp_path / "a.csv", [arrival("1")])), db=store_url).code == 0
    )
    with Ilos(Settings(), store_url) as app:
        assert len(app.reader.batch_ids()) == 1
        kept = app.reader._held()
        assert kept is not None
        if kept.sqlite:
            kept._conn.close()  # the embedded store has no server to drop it: close it underneath
        else:
            backend = kept.scalar("SELECT pg_backend_pid()")
            engine = create_engine(store_url)
            with engine.begin() as conn:
                assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": backend}).scalar()
            engine.dispose()
        assert len(app.reader.batch_ids()) == 1
        assert app.reader._held() is not kept


def test_a_query_that_fails_on_a_live_connection_fails_once_and_keeps_it(store_url: str) -> None:
    with Ilos(Settings(), store_url) as app:
        app.reader.batch_ids()
        kept = app.reader._held()
        with pytest.raises(Exception, match="no_such_table"):
            app.reader._read("test", "SELECT * FROM no_such_table")
        assert app.reader._held() is kept
