"""Shared fixtures: a fresh store on each backend (embedded always; PostgreSQL when configured)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

PG_ENV = "ILOS_TEST_POSTGRES_URL"
PG_HOW = (
    f"PostgreSQL tests skipped: set {PG_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/test to run them"
)


def postgres_url() -> str | None:
    """The PostgreSQL test server, or None when not configured."""
    return os.environ.get(PG_ENV) or None


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The configured PostgreSQL URL; skips (one clear line) without it, fails if set but unreachable."""
    url = postgres_url()
    if url is None:
        pytest.skip(PG_HOW)
    engine = create_engine(url)
    with engine.connect() as conn:  # an unreachable server fails here: never a skip when configured
        conn.execute(text("SELECT 1"))
    engine.dispose()
    return url


def fresh_pg_schema(server: str) -> Iterator[str]:
    """A URL whose search_path is a new empty schema, dropped afterwards."""
    schema = f"ilos_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in server else "?"
    yield f"{server}{sep}options={quote(f'-csearch_path={schema}')}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["embedded", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store: the embedded one, then PostgreSQL."""
    if request.param == "embedded":
        yield f"sqlite:///{tmp_path / 'store' / 'ilos.db'}"
        return
    yield from fresh_pg_schema(request.getfixturevalue("pg_server"))
