"""Settings read from the environment (ILOS_*)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide settings. `database_url` wins over `data_dir` when both are set."""

    model_config = SettingsConfigDict(env_prefix="ILOS_")

    database_url: str | None = None
    data_dir: Path = Path("ilos-data")
    #: How long a writer waits for another writer on the embedded store, in seconds.
    busy_timeout_s: float = 600.0
    #: Memory DuckDB may use for staging a feed file before it spills to disk.
    duckdb_memory_limit: str = "1GB"
    #: Fixed "now" (ISO 8601 with offset) for reproducible runs; the system clock when unset.
    now: datetime | None = None
    #: Whether the stream links, as they are stored, the new identities whose person the next run will
    #: certainly give (ADR 11). Off: on two cores it slowed every latency of the stream more than it showed
    #: early (docs/adr/0011, amendment of 2026-12-07, seventh).
    decide_on_storing: bool = False

    def now_utc(self) -> str:
        """The current time, normalised like stored timestamps (`YYYY-MM-DDTHH:MM:SS.ffffffZ`)."""
        moment = self.now or datetime.now(UTC)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def today(self) -> date:
        """The current UTC date (of the fixed "now" when one is set)."""
        return date.fromisoformat(self.now_utc()[:10])

    def resolved_url(self, override: str | None = None) -> str:
        """The store URL: `override` (a URL or a path), else ILOS_DATABASE_URL, else the data dir."""
        return store_url(override or self.database_url or str(self.data_dir))


def store_url(value: str) -> str:
    """Turn `--db` into a SQLAlchemy URL: URLs pass through; a path names an embedded store."""
    if "://" in value:
        return value
    path = Path(value)
    if path.suffix not in (".db", ".sqlite", ".sqlite3"):
        path = path / "ilos.db"
    return f"sqlite:///{path}"
