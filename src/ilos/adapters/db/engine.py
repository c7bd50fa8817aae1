"""Open a store: the embedded SQLite database (WAL) or PostgreSQL, with the same schema and migrations."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from ilos.services.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 7_140_221  # pg_advisory_lock key serialising schema upgrades


def is_sqlite(url: str) -> bool:
    """True for the embedded store."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    """The database file of an embedded-store URL."""
    database = make_url(url).database
    if not database:
        raise StoreError(f"{url}: an embedded store needs a file path")
    return Path(database)


def make_engine(url: str, busy_timeout_s: float = 600.0) -> Engine:
    """A SQLAlchemy engine; for SQLite, the file is created with WAL journaling and a busy timeout."""
    if is_sqlite(url):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": busy_timeout_s})
        _configure_sqlite(engine, busy_timeout_s)
        return engine
    if make_url(url).get_backend_name() != "postgresql":
        raise StoreError(f"{url}: unsupported store; use a path, sqlite:///FILE or postgresql+psycopg://...")
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, busy_timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below own transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA page_size=16384")  # only takes effect while the file is empty
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def head_revision() -> str | None:
    """The newest migration this code knows."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _alembic_config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(engine: Engine) -> str | None:
    """The schema revision the store is at (None for an empty store)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration; safe when several processes start at once."""
    if current_revision(engine) == head_revision():
        return
    with _migration_lock(engine), engine.begin() as conn:
        if MigrationContext.configure(conn).get_current_revision() != head_revision():
            command.upgrade(_alembic_config(conn), "head")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "sqlite":
        lock_path = Path(str(engine.url.database) + ".migrate.lock")
        with lock_path.open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
            conn.commit()
