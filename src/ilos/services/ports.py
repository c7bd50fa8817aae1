"""What the use cases need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ilos.domain.feeds import Feed
from ilos.domain.outcomes import BatchResult

Progress = Callable[[int], None]


class FeedSource(Protocol):
    """Feed input opened for reading: a file or rows in memory."""

    feed: Feed
    name: str


class Loader(Protocol):
    """Reads, checks and stores feed input, each source in one transaction."""

    def preflight(self, feed: Feed, path: Path) -> None:
        """Raise FileUnreadableError now if `path` could never load (format, required columns)."""

    def open_file(self, feed: Feed, path: Path) -> FeedSource:
        """A feed file, ready to stream."""

    def open_json_rows(self, feed: Feed, rows: Any, name: str) -> FeedSource:
        """Rows given as JSON objects (columns `_row`, `line`), ready to stream."""

    def load(
        self, source: Any, origin: str, resolves: Any = None, progress: Progress | None = None
    ) -> BatchResult:
        """Store the source: new record versions, quarantined rows and the batch, atomically."""
